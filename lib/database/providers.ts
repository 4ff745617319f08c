// The dynamic providers of a tenant database: TenantMigrations and TenantSeed. The engine
// serializes these objects and runs them in its own process, so every method is a plain function
// of its arguments: the admin password arrives as a (secret) input, and is kept in the outputs
// (marked secret by the resource classes) because delete receives nothing else.
import { checksum, fingerprint, type Migration } from "./migrations";
import { appliedVersion, checkTarget, migrate, removeTenantData, withTarget, type Target } from "./runner";

export interface TenantMigrationsInputs extends Target {
  /** Version to migrate to: the ring's cap, or the latest migration below it. */
  targetVersion: number;
  /** Fingerprint of the migrations up to targetVersion; diff compares it. */
  fingerprint: string;
  /** Every migration with its SQL, so the provider process needs no files of the repository. */
  migrations: Migration[];
}

export interface TenantMigrationsOutputs extends Target {
  targetVersion: number;
  fingerprint: string;
  /** Version the target is at after the last create/update, or as found by read. */
  version: number;
  /** Versions the last create/update applied and reverted. */
  applied: number[];
  reverted: number[];
}

export interface DiffResult {
  changes: boolean;
  replaces: string[];
}

/** Fields that name another place: a change means a new target, so the resource is replaced. */
const PLACE_KEYS = ["host", "port", "database", "isolation", "tenantId", "schema"] as const;
/** Fields that change how the target is reached or what it should hold: an update. */
const UPDATE_KEYS = ["user", "password", "sslmode", "role", "ownerRole", "appRole"] as const;

export function targetOf(props: Target): Target {
  const { host, port, user, password, database, sslmode, isolation, tenantId, schema, role, ownerRole, appRole } = props;
  return checkTarget({ host, port, user, password, database, sslmode, isolation, tenantId, schema, role, ownerRole, appRole });
}

export function migrationsId(props: Target): string {
  return `${props.database}/${props.schema}/${props.tenantId}`;
}

/** The migration texts must be the ones the fingerprint names, or the plan would lie about them. */
export function checkMigrationInputs(inputs: TenantMigrationsInputs): void {
  const problems: string[] = [];
  for (const m of inputs.migrations ?? []) {
    if (checksum(m.sql) !== m.checksum) problems.push(`${m.file}: its SQL does not match its checksum`);
  }
  if (!Array.isArray(inputs.migrations)) problems.push("migrations must be the list of migrations");
  else if (fingerprint(inputs.migrations, inputs.targetVersion) !== inputs.fingerprint) {
    problems.push(`fingerprint ${String(inputs.fingerprint).slice(0, 12)} is not the fingerprint of the migrations up to version ${inputs.targetVersion}`);
  }
  if (problems.length > 0) throw new Error(`invalid TenantMigrations inputs: ${problems.join("; ")}`);
}

async function runMigrations(inputs: TenantMigrationsInputs): Promise<TenantMigrationsOutputs> {
  checkMigrationInputs(inputs);
  const target = targetOf(inputs);
  const result = await migrate(target, inputs.migrations, inputs.targetVersion);
  return {
    ...target,
    targetVersion: inputs.targetVersion,
    fingerprint: inputs.fingerprint,
    version: result.to,
    applied: result.applied,
    reverted: result.reverted,
  };
}

export async function createMigrations(inputs: TenantMigrationsInputs): Promise<{ id: string; outs: TenantMigrationsOutputs }> {
  const outs = await runMigrations(inputs);
  return { id: migrationsId(outs), outs };
}

export async function diffMigrations(_id: string, olds: TenantMigrationsOutputs, news: TenantMigrationsInputs): Promise<DiffResult> {
  const replaces = PLACE_KEYS.filter((k) => olds[k] !== news[k]);
  const updates = UPDATE_KEYS.filter((k) => olds[k] !== news[k]);
  const changes = replaces.length > 0 || updates.length > 0 || olds.fingerprint !== news.fingerprint || olds.targetVersion !== news.targetVersion;
  return { changes, replaces: [...replaces] };
}

export async function updateMigrations(_id: string, _olds: TenantMigrationsOutputs, news: TenantMigrationsInputs): Promise<{ outs: TenantMigrationsOutputs }> {
  return { outs: await runMigrations(news) };
}

/** Refresh: the version the target is really at, so drift shows against targetVersion; an empty id when it is gone. */
export async function readMigrations(id: string, props: TenantMigrationsOutputs): Promise<{ id: string; props: TenantMigrationsOutputs }> {
  const version = await appliedVersion(targetOf(props));
  return version === null ? { id: "", props } : { id, props: { ...props, version } };
}

export async function deleteMigrations(_id: string, props: TenantMigrationsOutputs): Promise<void> {
  await removeTenantData(targetOf(props));
}

export const tenantMigrationsProvider = {
  create: createMigrations,
  diff: diffMigrations,
  update: updateMigrations,
  read: readMigrations,
  delete: deleteMigrations,
};

export type JsonObject = { [key: string]: unknown };

export interface TenantSeedInputs extends Target {
  name: string;
  friendlyName: string;
  /** The tenant's effective settings (ResolvedTenant.settings). */
  settings: JsonObject;
}

export type TenantSeedOutputs = TenantSeedInputs;

/** JSON with sorted keys, so two equal objects compare equal whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as JsonObject).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

export function seedProblems(inputs: Partial<TenantSeedInputs>): string[] {
  const problems: string[] = [];
  if (typeof inputs.name !== "string" || inputs.name.trim().length < 1 || inputs.name.length > 200) problems.push("name must be 1-200 characters");
  if (typeof inputs.friendlyName !== "string" || inputs.friendlyName.trim().length < 1 || inputs.friendlyName.length > 100) {
    problems.push("friendlyName must be 1-100 characters");
  }
  if (!inputs.settings || typeof inputs.settings !== "object" || Array.isArray(inputs.settings)) problems.push("settings must be a JSON object");
  return problems;
}

function checkSeed(inputs: TenantSeedInputs): TenantSeedOutputs {
  const problems = seedProblems(inputs);
  if (problems.length > 0) throw new Error(`invalid TenantSeed inputs for ${inputs.tenantId}: ${problems.join("; ")}`);
  return { ...targetOf(inputs), name: inputs.name, friendlyName: inputs.friendlyName, settings: inputs.settings };
}

/** Writes the profile row; a row already there is adopted and brought to the inputs. */
async function upsertProfile(inputs: TenantSeedInputs): Promise<TenantSeedOutputs> {
  const outs = checkSeed(inputs);
  await withTarget(outs, (client) =>
    client.query(
      `INSERT INTO tenant_profile (tenant_id, name, friendly_name, settings) VALUES ($1, $2, $3, $4::jsonb)
       ON CONFLICT (tenant_id) DO UPDATE
         SET name = EXCLUDED.name, friendly_name = EXCLUDED.friendly_name, settings = EXCLUDED.settings, updated_at = now()
         WHERE (tenant_profile.name, tenant_profile.friendly_name, tenant_profile.settings)
               IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.friendly_name, EXCLUDED.settings)`,
      [outs.tenantId, outs.name, outs.friendlyName, JSON.stringify(outs.settings)],
    ),
  );
  return outs;
}

export async function createSeed(inputs: TenantSeedInputs): Promise<{ id: string; outs: TenantSeedOutputs }> {
  const outs = await upsertProfile(inputs);
  return { id: migrationsId(outs), outs };
}

export async function diffSeed(_id: string, olds: TenantSeedOutputs, news: TenantSeedInputs): Promise<DiffResult> {
  const replaces = PLACE_KEYS.filter((k) => olds[k] !== news[k]);
  const updates = UPDATE_KEYS.filter((k) => olds[k] !== news[k]);
  const changes =
    replaces.length > 0 ||
    updates.length > 0 ||
    olds.name !== news.name ||
    olds.friendlyName !== news.friendlyName ||
    canonicalJson(olds.settings) !== canonicalJson(news.settings);
  return { changes, replaces: [...replaces] };
}

export async function updateSeed(_id: string, _olds: TenantSeedOutputs, news: TenantSeedInputs): Promise<{ outs: TenantSeedOutputs }> {
  return { outs: await upsertProfile(news) };
}

/** Refresh: the profile as it is in the database; an empty id when the row is gone. */
export async function readSeed(id: string, props: TenantSeedOutputs): Promise<{ id: string; props: TenantSeedOutputs }> {
  const rows = await withTarget(targetOf(props), async (client) => {
    const { rows: present } = await client.query(`SELECT to_regclass('tenant_profile') IS NOT NULL AS present`);
    if (!present[0].present) return [];
    return (await client.query(`SELECT name, friendly_name, settings FROM tenant_profile WHERE tenant_id = $1`, [props.tenantId])).rows;
  });
  if (rows.length === 0) return { id: "", props };
  return { id, props: { ...props, name: rows[0].name, friendlyName: rows[0].friendly_name, settings: rows[0].settings } };
}

export async function deleteSeed(_id: string, props: TenantSeedOutputs): Promise<void> {
  await withTarget(targetOf(props), async (client) => {
    const { rows } = await client.query(`SELECT to_regclass('tenant_profile') IS NOT NULL AS present`);
    if (rows[0].present) await client.query(`DELETE FROM tenant_profile WHERE tenant_id = $1`, [props.tenantId]);
  });
}

export const tenantSeedProvider = {
  create: createSeed,
  diff: diffSeed,
  update: updateSeed,
  read: readSeed,
  delete: deleteSeed,
};
