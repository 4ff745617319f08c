// TenantMigrations: one tenant's tables at the version its rollout ring allows. The inputs carry
// the target version and the fingerprint of the migrations up to it (lib/database/migrations.ts),
// not the SQL: the provider reads migrations/ of the project it runs in, and refuses to run unless
// those files are the ones the fingerprint names, which are the ones the plan showed.
//
// Update runs the runner again: at an unchanged version it applies nothing (it re-grants, see
// runner.ts), so an update that only re-addresses the server or rewrites the stored loader
// changes no data. Delete removes what the tenant holds in a shared place (schema mode: the
// schema's contents; shared mode: its rows); a database of its own goes with its Database resource.
import { checksum, fingerprint, loadMigrations, MIGRATIONS_DIR, type Migration } from "../../lib/database/migrations";
import { defineProvider, DRIFT, type MoveGuarded } from "../kit";
import { migrate, removeTenantData, targetState, type TargetState } from "./runner";
import { targetId } from "./seed";
import { locatedFailures, serverTargetProblems, TARGET_PLACE_KEYS, TARGET_UPDATE_KEYS, type ServerTarget } from "./target";

export interface TenantMigrationsInputs extends ServerTarget, MoveGuarded {
  /** Version to migrate to: the ring's cap, or the latest migration below it. */
  targetVersion: number;
  /** Fingerprint of the migrations up to targetVersion, as the program computed it from the same files. */
  fingerprint: string;
  /**
   * An adopted schema's version (`adopt.migration_version`): migrations up to it are recorded as
   * applied without running them, once, into empty bookkeeping (runner.ts baseline). Never above targetVersion.
   */
  baselineVersion?: number;
}

export interface TenantMigrationsOutputs extends TenantMigrationsInputs {
  /** Version the target is at after the last create/update, or as found by read. */
  version: number;
  /** Versions the last create/update applied and reverted. */
  applied: number[];
  reverted: number[];
  /**
   * The tables of the tenant's schema after the last create/update. Tenants cannot create tables
   * there, so these are the migrations' work: one missing later was dropped outside Pulumi.
   */
  tables: string[];
  /** The version the target was at when `tables` were recorded (`version` is what a read found since). */
  tablesVersion: number;
  /** Set by a read that found recorded tables missing (see DRIFT in providers/kit.ts). */
  drift?: string;
}

export interface MigrationsOptions {
  /** The migration set; by default the files of migrations/ in the project the provider runs in. */
  migrations?: Migration[];
}

export function migrationInputProblems(inputs: Partial<TenantMigrationsInputs>): string[] {
  const problems = serverTargetProblems(inputs);
  if (!Number.isInteger(inputs.targetVersion) || (inputs.targetVersion as number) < 0) {
    problems.push(`targetVersion must be a whole number >= 0, got ${JSON.stringify(inputs.targetVersion)}`);
  }
  if (typeof inputs.fingerprint !== "string" || !/^[0-9a-f]{64}$/.test(inputs.fingerprint)) {
    problems.push(`fingerprint must be the sha256 of the migration set (64 hex digits), got ${JSON.stringify(inputs.fingerprint)}`);
  }
  if (inputs.baselineVersion !== undefined) {
    const b = inputs.baselineVersion;
    if (!Number.isInteger(b) || b < 1) problems.push(`baselineVersion must be a whole number >= 1, got ${JSON.stringify(b)}`);
    else if (Number.isInteger(inputs.targetVersion) && b > (inputs.targetVersion as number)) {
      problems.push(`baselineVersion ${b} is above targetVersion ${inputs.targetVersion}: the adopted tables would be lowered at once, their down migrations dropping them`);
    }
    if (inputs.isolation === "shared") problems.push("baselineVersion: a shared tenant has no schema of its own to adopt");
  }
  return problems;
}

/**
 * Refuses a migration set that is not the one the plan showed: a file whose text does not match its
 * checksum, or files whose fingerprint up to the target version is not the one in the inputs.
 */
export function checkMigrationSet(inputs: Pick<TenantMigrationsInputs, "tenantId" | "targetVersion" | "fingerprint">, migrations: readonly Migration[]): void {
  const problems = migrations.filter((m) => checksum(m.sql) !== m.checksum).map((m) => `${m.file}: its SQL does not match its checksum`);
  if (inputs.targetVersion > migrations.length) {
    problems.push(`target version ${inputs.targetVersion} is above the latest migration (${migrations.length}) in ${MIGRATIONS_DIR}`);
  } else if (fingerprint(migrations, inputs.targetVersion) !== inputs.fingerprint) {
    problems.push(
      `fingerprint ${String(inputs.fingerprint).slice(0, 12)} is not the fingerprint of the migrations up to version ${inputs.targetVersion} ` +
        `in ${MIGRATIONS_DIR}: the files changed since the plan was made; preview again`,
    );
  }
  if (problems.length > 0) throw new Error(`TenantMigrations of ${inputs.tenantId} refused: ${problems.join("; ")}`);
}

async function runMigrations(inputs: TenantMigrationsInputs, options: MigrationsOptions = {}): Promise<TenantMigrationsOutputs> {
  const migrations = options.migrations ?? loadMigrations();
  checkMigrationSet(inputs, migrations);
  const result = await migrate(inputs, migrations, inputs.targetVersion, { baselineVersion: inputs.baselineVersion });
  return { ...inputs, version: result.to, applied: result.applied, reverted: result.reverted, tables: result.tables, tablesVersion: result.to };
}

/**
 * Recorded tables gone from the target while every migration recorded then is still applied: no
 * migration will make them again, they were dropped by hand. (Migrations reverted by hand show as a
 * lower version instead, and the next update applies them again.)
 */
function droppedTables(props: TenantMigrationsOutputs, state: TargetState): string[] {
  const version = state.applied.at(-1)?.version ?? 0;
  if (version < (props.tablesVersion ?? props.version)) return [];
  return (props.tables ?? []).filter((t) => !state.tables.includes(t));
}

const dropped = (tenantId: string, tables: string[]) =>
  `tables ${tables.join(", ")} of tenant ${tenantId}, made by its migrations, were dropped outside Pulumi`;

export const tenantMigrations = defineProvider<TenantMigrationsInputs, TenantMigrationsOutputs, MigrationsOptions>({
  kind: "TenantMigrations",
  // baselineVersion acts only on empty bookkeeping: adding or removing it later re-runs nothing.
  keys: { place: TARGET_PLACE_KEYS, update: [...TARGET_UPDATE_KEYS, "targetVersion", "fingerprint", "baselineVersion"] },
  check: (inputs) => locatedFailures(migrationInputProblems(inputs)),
  create: async (inputs, options) => ({ id: targetId(inputs), outs: await runMigrations(inputs, options) }),
  /**
   * The version the target is really at, and the fingerprint of what it holds up to its target
   * version (computed from schema_migrations the way the program computes it from the files): a
   * migration reverted or edited behind Pulumi's back changes it, so the next up repairs the
   * target. An empty id when the target is gone.
   */
  async read(id, props) {
    const state = await targetState(props);
    if (state === null) return { id: "", props };
    const { applied } = state;
    const version = applied.at(-1)?.version ?? 0;
    const missing = droppedTables(props, state);
    const { [DRIFT]: _old, ...rest } = props;
    return {
      id,
      props: { ...rest, version, fingerprint: fingerprint(applied, props.targetVersion), ...(missing.length > 0 ? { [DRIFT]: dropped(props.tenantId, missing) } : {}) },
    };
  },
  /**
   * Recorded tables that are missing are not made again: an empty table in place of a dropped one
   * would hide the loss. The update stops, saying what to do, until they are restored.
   */
  async update(_id, olds, news, options) {
    const state = await targetState(olds);
    const missing = state ? droppedTables(olds, state) : [];
    if (missing.length > 0) {
      throw new Error(
        `${dropped(news.tenantId, missing)}: restore them from the tenant's backup (docs/runbooks.md), ` +
          `or re-create them by hand, then run \`pulumi refresh\`; nothing was migrated`,
      );
    }
    return { outs: await runMigrations(news, options) };
  },
  delete: async (_id, props) => removeTenantData(props),
});
