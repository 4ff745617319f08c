// `tenancy plan`: the program evaluated under Pulumi's mocks for the working tree's catalog and,
// with a base ref, for the catalog at that ref (same program code, so only the catalog differs),
// then diffed and printed. Needs no credentials, no Pulumi CLI and no network.
import { existsSync, readFileSync } from "node:fs";
import { join, posix, resolve } from "node:path";
import { formatError, loadCatalog, readCatalogAtRef, readCatalogDir, type Catalog, type CatalogFile } from "../catalog";
import { estimateTenantResources, TENANT_RESOURCES } from "../cells/estimate";
import { parseTenancyConfig, rawConfigFromStackFile, type RawConfig, type TenancyConfig } from "../config";
import { loadMigrations, parseMigrationFiles, type Migration } from "../database/migrations";
import { migrationRollout } from "../database/rollout";
import { registerProgramAsync } from "../program";
import { diffRegistrations } from "./diff";
import { evaluate, type Registration } from "./evaluate";
import { formatPlan, type Format } from "./format";
import { buildPlan, type Plan } from "./plan";
import { catalogFilesAtRef } from "./base-catalog";
import { changedPaths, planScope, type Scope } from "./scope";

export { diffRegistrations, type Action, type ResourceChange } from "./diff";
export { evaluate, plaintextOccurrences, type Evaluation, type Registration } from "./evaluate";
export { FORMATS, formatPlan, type Format } from "./format";
export type { MigrationStep, Plan, TenantPlan } from "./plan";
export type { Scope } from "./scope";

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
  /**
   * Evaluate every tenant on both sides even when only some tenants changed (lib/plan/scope.ts);
   * the plan is the same, only slower.
   */
  full?: boolean;
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

/**
 * Every registration of the catalog's cells, one evaluation (stack) per cell; `ref`: where the stack
 * files are read. `only`: the tenants to register (with every cell's shared resources), else all.
 */
async function evaluateCatalog(
  catalog: Catalog,
  cells: readonly string[],
  catalogs: readonly Catalog[],
  cwd: string,
  ref: string | undefined,
  only: ReadonlySet<string> | undefined,
): Promise<Registration[]> {
  const out: Registration[] = [];
  for (const cell of cells) {
    // A cell without tenants on this side has no stack to speak of: it is created or removed whole.
    if (!catalog.tenants.some((t) => t.cell === cell)) continue;
    const config = planConfig(cell, catalogs, cwd, ref);
    const evaluation = await evaluate(() => registerProgramAsync(catalog, config, { tenants: only }), { project: PROJECT, stack: cell });
    out.push(...evaluation.registrations);
  }
  return out;
}

/** Builds the plan without formatting it (for callers that want the data). */
export async function computePlan(options: Omit<PlanOptions, "format">): Promise<Plan> {
  return (await computePlanWithScope(options)).plan;
}

/** computePlan, and what it evaluated (lib/plan/scope.ts). */
export async function computePlanWithScope(options: Omit<PlanOptions, "format">): Promise<{ plan: Plan; scope: Scope }> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const dir = posix.normalize((options.dir ?? "tenants").split("\\").join("/"));
  const headFiles = readCatalogDir(dir, cwd);
  const head = loadOrThrow(headFiles, dir, "");
  const headMigrations = loadMigrations();
  let base: Catalog = { ...head, tenants: [] };
  let baseMigrations: Migration[] = headMigrations;
  let changed: string[] | null = null;
  if (options.base !== undefined) {
    const baseFiles = catalogFilesAtRef(options.base, dir, cwd, headFiles);
    // A catalog that did not exist at the ref is an empty one: every tenant is new.
    if (baseFiles.length > 0) base = loadOrThrow(baseFiles, dir, ` at ${options.base}`);
    // The migrations at the ref tell which versions the base deployed and whether an applied file
    // was edited since; a repository without them at the ref (a catalog-only checkout) has the same as now.
    const migrationFiles = readCatalogAtRef(options.base, MIGRATIONS_PATH, cwd, /\.sql$/);
    if (migrationFiles.length > 0) baseMigrations = parseMigrationFiles(migrationFiles, `${MIGRATIONS_PATH} at ${options.base}`);
    changed = changedPaths(options.base, cwd);
  }
  const rollout = migrationRollout(options.base === undefined ? null : { tenants: base.tenants, migrations: baseMigrations }, { tenants: head.tenants, migrations: headMigrations });
  const scope: Scope = options.full
    ? { full: true, reason: "full evaluation asked for" }
    : planScope({ base, head, changedPaths: changed, dir, migrations: { base: baseMigrations, head: headMigrations }, rollout });
  const only = scope.full ? undefined : scope.tenants;
  const cells = [...new Set([...base.tenants, ...head.tenants].map((t) => t.cell))].sort();
  const catalogs = [base, head];
  const baseRegistrations = await evaluateCatalog(base, cells, catalogs, cwd, options.base, only);
  const headRegistrations = await evaluateCatalog(head, cells, catalogs, cwd, undefined, only);
  // A tenant left out is the same on both sides: its resources are counted unchanged by the estimate
  // that sizes cells, which test/unit/cells/estimate-program.test.ts holds to the program's count.
  const unevaluated = only ? head.tenants.filter((t) => !only.has(t.id)) : [];
  const plan = buildPlan({
    base: options.base ?? null,
    baseCatalog: base,
    headCatalog: head,
    cells,
    changes: diffRegistrations(baseRegistrations, headRegistrations),
    rollout,
    unevaluatedResources: unevaluated.reduce((sum, t) => sum + estimateTenantResources(t) - TENANT_RESOURCES.components, 0),
  });
  return { plan, scope };
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
