// `tenancy plan`: the program evaluated under Pulumi's mocks for the working tree's catalog and,
// with a base ref, for the catalog at the merge-base of that ref and HEAD (with this code, or with
// the base's own code in a git worktree when code differs: lib/plan/base-code.ts), then diffed,
// checked for data loss (lib/plan/safety.ts) and printed. Needs no credentials, no Pulumi CLI and no network.
import { existsSync, readFileSync } from "node:fs";
import { join, posix, resolve } from "node:path";
import { formatError, loadCatalog, readCatalogAtRef, readCatalogDir, type Catalog, type CatalogFile } from "../catalog";
import { estimateTenantResources, TENANT_RESOURCES } from "../cells/estimate";
import { parseTenancyConfig, rawConfigFromStackFile, type RawConfig, type TenancyConfig } from "../config";
import { destructiveStatementsByFile, type DestructiveStatement } from "../database/migration-lint";
import { loadMigrations, parseMigrationFiles, type Migration } from "../database/migrations";
import { migrationRollout } from "../database/rollout";
import { registerProgramAsync } from "../program";
import { diffRegistrations } from "./diff";
import { evaluate, type Registration } from "./evaluate";
import { formatPlan, type Format } from "./format";
import { buildPlan, type Plan } from "./plan";
import { catalogFilesAtRef } from "./base-catalog";
import { changedPaths, planScope, type Scope } from "./scope";
import { lostFiles, nestedCatalogFiles } from "./lost-files";
import { resolvePlanBase } from "./merge-base";
import { codeChange, evaluateWithBaseCode, programAt } from "./base-code";
import { parseSizes } from "./sizes";

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
  /**
   * Git ref to compare against; the plan reads the base side at the merge-base of it and HEAD
   * (lib/plan/merge-base.ts). Without it everything is a create.
   */
  base?: string;
  /** Tenants whose data loss (an offboarding without backup, a refused place change, lowered migrations) the change acknowledges. */
  allowDataLoss?: readonly string[];
  /** Tenants whose cell move is acknowledged: their state was moved between the stacks. */
  allowCellMove?: readonly string[];
  /**
   * A JSON file of each tenant's size in bytes, `{ "<tenant id>": <bytes> }` (lib/plan/sizes.ts),
   * relative to `cwd`: the plan estimates a move's maintenance from it.
   */
  sizes?: string;
  format: Format;
  /** Project root: where the git repository, the catalog and the stack files are (default: process.cwd()). */
  cwd?: string;
  /**
   * Evaluate every tenant on both sides even when only some tenants changed (lib/plan/scope.ts);
   * the plan is the same, only slower.
   */
  full?: boolean;
  /** Told each phase as it starts (reading, evaluating a cell, comparing): the CLI's progress lines. */
  progress?: (message: string) => void;
}

export interface PlanResult {
  output: string;
  exitCode: number;
  /** True when a plan was made (even one with errors): it is the command's output, not a failure message. */
  planned: boolean;
}

/** `ref`: the git ref a catalog was read at (it may predate _cells.yaml); none for the working tree. */
function loadOrThrow(files: CatalogFile[], dir: string, ref?: string): Catalog {
  const loaded = loadCatalog(files, dir, { atRef: ref !== undefined });
  const where = ref === undefined ? "" : ` at ${ref}`;
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
  progress: (message: string) => void,
): Promise<Registration[]> {
  const out: Registration[] = [];
  for (const cell of cells) {
    // A cell without tenants on this side has no stack to speak of: it is created or removed whole.
    if (!catalog.tenants.some((t) => t.cell === cell)) continue;
    const tenants = catalog.tenants.filter((t) => t.cell === cell && (!only || only.has(t.id))).length;
    progress(`evaluating cell ${cell} ${ref === undefined ? "in the working tree" : `at ${ref}`}: ${tenants} tenant(s)`);
    const config = planConfig(cell, catalogs, cwd, ref);
    const evaluation = await evaluate(() => registerProgramAsync(catalog, config, { tenants: only }), { project: PROJECT, stack: cell });
    out.push(...evaluation.registrations);
  }
  return out;
}

/**
 * The destructive statements of each migration file (up and down) by name, each judged with the
 * column types the ups before it left (a widening is no finding); the first set naming a file wins.
 */
function destructiveIn(migrations: readonly Migration[]): (file: string) => DestructiveStatement[] {
  const sql = new Map<string, string>();
  for (const m of migrations) {
    if (!sql.has(m.file)) sql.set(m.file, m.sql);
    if (m.down && !sql.has(m.down.file)) sql.set(m.down.file, m.down.sql);
  }
  const found = destructiveStatementsByFile([...sql].map(([name, text]) => ({ name, text })));
  return (file) => found.get(file) ?? [];
}

/** The --sizes file, checked against the tenant ids of both catalogs; none without the option. */
function readSizes(file: string | undefined, cwd: string, catalogs: readonly Catalog[]): Map<string, number> | undefined {
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(resolve(cwd, file), "utf8");
  } catch (error) {
    throw new Error(`--sizes ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); give the path of a JSON file of tenant id to size in bytes`);
  }
  return parseSizes(text, file, [...new Set(catalogs.flatMap((c) => c.tenants.map((t) => t.id)))].sort());
}

/** Builds the plan without formatting it (for callers that want the data). */
export async function computePlan(options: Omit<PlanOptions, "format">): Promise<Plan> {
  return (await computePlanWithScope(options)).plan;
}

/** computePlan, and what it evaluated (lib/plan/scope.ts). */
export async function computePlanWithScope(options: Omit<PlanOptions, "format">): Promise<{ plan: Plan; scope: Scope }> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const dir = posix.normalize((options.dir ?? "tenants").split("\\").join("/"));
  const progress = options.progress ?? (() => undefined);
  progress(`reading the catalog${options.base === undefined ? "" : ` and the one at ${options.base}`}`);
  const headFiles = readCatalogDir(dir, cwd);
  const head = loadOrThrow(headFiles, dir);
  const headMigrations = loadMigrations();
  let base: Catalog = { ...head, tenants: [] };
  let baseMigrations: Migration[] = headMigrations;
  let changed: string[] | null = null;
  let baseFiles: CatalogFile[] = [];
  // What the base side is read at: the merge-base commit, by its hash.
  const at = options.base === undefined ? undefined : resolvePlanBase(options.base, cwd);
  if (at !== undefined) {
    baseFiles = catalogFilesAtRef(at.commit, dir, cwd, headFiles);
    // A catalog that did not exist at the ref is an empty one: every tenant is new.
    if (baseFiles.length > 0) base = loadOrThrow(baseFiles, dir, at.label);
    // The migrations at the ref tell which versions the base deployed and whether an applied file
    // was edited since; a repository without them at the ref (a catalog-only checkout) has the same as now.
    const migrationFiles = readCatalogAtRef(at.commit, MIGRATIONS_PATH, cwd, /\.sql$/);
    if (migrationFiles.length > 0) baseMigrations = parseMigrationFiles(migrationFiles, `${MIGRATIONS_PATH} at ${at.label}`);
    changed = changedPaths(at.commit, cwd);
  }
  // Read before the evaluation, which takes seconds: a wrong file fails at once.
  const sizes = readSizes(options.sizes, cwd, [base, head]);
  const lost = lostFiles({ base, head, baseFiles, headFiles, nested: nestedCatalogFiles(dir, cwd), dir });
  const rollout = migrationRollout(options.base === undefined ? null : { tenants: base.tenants, migrations: baseMigrations }, { tenants: head.tenants, migrations: headMigrations });
  const scope: Scope = options.full
    ? { full: true, reason: "full evaluation asked for" }
    : planScope({ base, head, changedPaths: changed, dir, migrations: { base: baseMigrations, head: headMigrations }, rollout });
  const only = scope.full ? undefined : scope.tenants;
  const cells = [...new Set([...base.tenants, ...head.tenants].map((t) => t.cell))].sort();
  const catalogs = [base, head];
  progress(scope.full ? `evaluating every tenant (${scope.reason})` : `evaluating ${scope.tenants.size} tenant(s) (${scope.reason})`);
  // Code that differs makes the base side run with its own code, in a worktree of the merge-base.
  const code = at && changed ? codeChange(changed, dir) : undefined;
  const ownCode = at !== undefined && code !== undefined && programAt(at.commit, cwd);
  let baseRegistrations: Registration[];
  if (ownCode) {
    progress(`evaluating ${at.label} with its own code (${code} changed), in a git worktree`);
    baseRegistrations = evaluateWithBaseCode(at.commit, cwd, dir, cells).registrations;
  } else {
    baseRegistrations = await evaluateCatalog(base, cells, catalogs, cwd, at?.commit, only, progress);
  }
  const headRegistrations = await evaluateCatalog(head, cells, catalogs, cwd, undefined, only, progress);
  progress("comparing");
  // A tenant left out is the same on both sides: its resources are counted unchanged by the estimate
  // that sizes cells, which test/unit/cells/estimate-program.test.ts holds to the program's count.
  const unevaluated = only ? head.tenants.filter((t) => !only.has(t.id)) : [];
  const plan = buildPlan({
    base: at?.label ?? null,
    ...(at && code ? { baseCode: ownCode ? `evaluated with its own code (${code} changed)` : `evaluated with this code: ${code} changed, but the base holds no program of its own` } : {}),
    baseCatalog: base,
    headCatalog: head,
    cells,
    changes: diffRegistrations(baseRegistrations, headRegistrations),
    rollout,
    unevaluatedResources: unevaluated.reduce((sum, t) => sum + estimateTenantResources(t) - TENANT_RESOURCES.components, 0),
    destructive: destructiveIn([...headMigrations, ...baseMigrations]),
    lostFiles: lost,
    acknowledgements: { dataLoss: options.allowDataLoss, cellMove: options.allowCellMove },
    sizes,
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
