// `tenancy plan`: the program evaluated under Pulumi's mocks for the working tree's catalog and,
// with a base ref, for the catalog at that ref (same program code, so only the catalog differs),
// then diffed and printed. Needs no credentials, no Pulumi CLI and no network.
import { existsSync, readFileSync } from "node:fs";
import { join, posix, resolve } from "node:path";
import { formatError, loadCatalog, readCatalogAtRef, readCatalogDir, type Catalog, type CatalogFile } from "../catalog";
import { parseTenancyConfig, rawConfigFromStackFile, type RawConfig, type TenancyConfig } from "../config";
import { loadMigrations, parseMigrationFiles, type Migration } from "../database/migrations";
import { migrationRollout } from "../database/rollout";
import { registerProgram } from "../program";
import { diffRegistrations } from "./diff";
import { evaluate, type Registration } from "./evaluate";
import { formatPlan, type Format } from "./format";
import { buildPlan, type Plan } from "./plan";

export { diffRegistrations, type Action, type ResourceChange } from "./diff";
export { evaluate, plaintextOccurrences, type Evaluation, type Registration } from "./evaluate";
export { FORMATS, formatPlan, type Format } from "./format";
export type { MigrationStep, Plan, TenantPlan } from "./plan";

/** Pulumi.yaml's project name: URNs carry it. */
export const PROJECT = "tenancy";

/** The migrations directory, relative to the project root, as read at the base ref. */
const MIGRATIONS_PATH = "migrations";

/** The complete stack file with placeholders that ships with the code; used for a cell without its own stack file. */
export const EXAMPLE_STACK_FILE = resolve(__dirname, "..", "..", "Pulumi.example.yaml");

export interface PlanOptions {
  /** Catalog directory, relative to `cwd` (default `tenants`). */
  dir?: string;
  /** Git ref of the catalog to compare against; without it everything is a create. */
  base?: string;
  format: Format;
  /** Project root: where the git repository, the catalog and the stack files are (default: process.cwd()). */
  cwd?: string;
}

export interface PlanResult {
  output: string;
  exitCode: number;
  /** True when a plan was made (even one with errors): it is the command's output, not a failure message. */
  planned: boolean;
}

function loadOrThrow(files: CatalogFile[], dir: string, where: string): Catalog {
  const loaded = loadCatalog(files, dir);
  if (!loaded.ok) throw new Error(`the tenant catalog${where} is invalid (${loaded.errors.length} error(s)):\n${loaded.errors.map(formatError).join("\n")}`);
  return loaded.catalog;
}

/**
 * Stack config for `cell`: `Pulumi.<cell>.yaml` in the project root if there is one (at `ref` when
 * given, so a change of stack config shows in the plan too; its encrypted values stay opaque
 * placeholders), else the example stack file. Without a real stack file the servers are unknown,
 * so every server the catalogs name gets a placeholder like the example's.
 */
export function planConfig(cell: string, catalogs: readonly Catalog[], cwd: string, ref?: string): TenancyConfig {
  const name = `Pulumi.${cell}.yaml`;
  const own =
    ref === undefined
      ? existsSync(join(cwd, name))
        ? readFileSync(join(cwd, name), "utf8")
        : undefined
      : readCatalogAtRef(ref, ".", cwd, new RegExp(`^${name.replace(/\./g, "\\.")}$`))[0]?.text;
  const raw: RawConfig = rawConfigFromStackFile(own ?? readFileSync(EXAMPLE_STACK_FILE, "utf8"));
  if (own === undefined) {
    const servers = { ...(raw.databaseServers as Record<string, Record<string, unknown>>) };
    const passwords = { ...(raw.databasePasswords as Record<string, string>) };
    const [template] = Object.keys(servers);
    for (const server of new Set(catalogs.flatMap((c) => c.tenants.map((t) => t.database.server)))) {
      if (servers[server]) continue;
      servers[server] = { ...servers[template], host: `db-${server}.internal.example.com` };
      passwords[server] = passwords[template];
    }
    Object.assign(raw, { databaseServers: servers, databasePasswords: passwords });
  }
  return parseTenancyConfig(raw, cell);
}

/** Every registration of the catalog's cells, one evaluation (stack) per cell; `ref`: where the stack files are read. */
async function evaluateCatalog(catalog: Catalog, cells: readonly string[], catalogs: readonly Catalog[], cwd: string, ref?: string): Promise<Registration[]> {
  const out: Registration[] = [];
  for (const cell of cells) {
    // A cell without tenants on this side has no stack to speak of: it is created or removed whole.
    if (!catalog.tenants.some((t) => t.cell === cell)) continue;
    const config = planConfig(cell, catalogs, cwd, ref);
    const evaluation = await evaluate(() => registerProgram(catalog, config), { project: PROJECT, stack: cell });
    out.push(...evaluation.registrations);
  }
  return out;
}

/** Builds the plan without formatting it (for callers that want the data). */
export async function computePlan(options: Omit<PlanOptions, "format">): Promise<Plan> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const dir = posix.normalize((options.dir ?? "tenants").split("\\").join("/"));
  const head = loadOrThrow(readCatalogDir(dir, cwd), dir, "");
  const headMigrations = loadMigrations();
  let base: Catalog = { ...head, tenants: [] };
  let baseMigrations: Migration[] = headMigrations;
  if (options.base !== undefined) {
    let baseFiles: CatalogFile[];
    try {
      baseFiles = readCatalogAtRef(options.base, dir, cwd);
    } catch (err) {
      throw new Error((err as Error).message);
    }
    // A catalog that did not exist at the ref is an empty one: every tenant is new.
    if (baseFiles.length > 0) base = loadOrThrow(baseFiles, dir, ` at ${options.base}`);
    // The migrations at the ref tell which versions the base deployed and whether an applied file
    // was edited since; a repository without them at the ref (a catalog-only checkout) has the same as now.
    const migrationFiles = readCatalogAtRef(options.base, MIGRATIONS_PATH, cwd, /\.sql$/);
    if (migrationFiles.length > 0) baseMigrations = parseMigrationFiles(migrationFiles, `${MIGRATIONS_PATH} at ${options.base}`);
  }
  const cells = [...new Set([...base.tenants, ...head.tenants].map((t) => t.cell))].sort();
  const catalogs = [base, head];
  const baseRegistrations = await evaluateCatalog(base, cells, catalogs, cwd, options.base);
  const headRegistrations = await evaluateCatalog(head, cells, catalogs, cwd);
  return buildPlan({
    base: options.base ?? null,
    baseCatalog: base,
    headCatalog: head,
    cells,
    changes: diffRegistrations(baseRegistrations, headRegistrations),
    rollout: migrationRollout(options.base === undefined ? null : { tenants: base.tenants, migrations: baseMigrations }, { tenants: head.tenants, migrations: headMigrations }),
  });
}

/** The `tenancy plan` command: output to print and exit code (1 on an invalid catalog, a failed evaluation or a plan error). */
export async function runPlan(options: PlanOptions): Promise<PlanResult> {
  let plan: Plan;
  try {
    plan = await computePlan(options);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { output: `tenancy plan: ${message}\n`, exitCode: 1, planned: false };
  }
  return { output: formatPlan(plan, options.format), exitCode: plan.errors.length > 0 ? 1 : 0, planned: true };
}
