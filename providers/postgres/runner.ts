// Applies the migration set to one tenant target, inside the provider host (TenantMigrations) and in
// tests and benchmarks.
//
// Where the tables live, per isolation mode (the same SQL files in every mode):
// - database: the tenant's own database (owned by the admin), in a schema named like the tenant role
//   (not `public`, where a tenant that once owned its database may have left objects); tables
//   owned by the migrating admin, the tenant role gets CONNECT, TEMPORARY, USAGE and DML.
// - schema:   the tenant's schema (created here, dropped by removeTenantData), in a shared
//   database; the tenant role gets USAGE on that schema only, and DML on its tables.
// - shared:   one shared schema per database server, owned by the owner role; every table carries
//   tenant_id, row-level security is enabled and forced, and the policy compares tenant_id with
//   current_tenant_id(), which maps `current_user` to a tenant through the owner-only table
//   tenant_roles. A tenant controls no parameter that changes current_user (SET ROLE needs
//   membership, SET SESSION AUTHORIZATION needs superuser), is no member of the owner, and owns
//   no table, so it cannot step around the policy.
// Before migrating, the place is made safe (place.ts); after each migration, the grants are stated
// and shared mode's guards run (grants.ts, guard.ts); runs on one target take turns (lock.ts).
import type { Client } from "pg";
import type { Migration } from "../../lib/database/migrations";
import { literal, quoteIdent as q } from "../../lib/database/sql";
import { expectedTables } from "../../lib/database/tables";
import { connect, isMissingDatabase } from "./connection";
import { BOOKKEEPING, secure } from "./grants";
import { catalogSnapshot, refuseOutside } from "./guard";
import { isLockTimeout, lockTarget, lockTimeoutError } from "./lock";
import { securePlace } from "./place";
import { checkTarget, type Target } from "./target";

export interface MigrateResult {
  from: number;
  /** Versions recorded as applied without running them (an adopted schema's baseline); only when there were any. */
  baselined?: number[];
  to: number;
  applied: number[];
  reverted: number[];
  /** The tables of the tenant's schema afterwards (the runner's own left out): what the migrations made. */
  tables: string[];
}

/** Schema of a template database; renamed to the tenant's schema in each clone. */
export const TEMPLATE_SCHEMA = "tenancy_template";

/** Every problem with the migration list and the requested version. */
export function migrationProblems(migrations: readonly Pick<Migration, "version" | "file">[], version: number): string[] {
  const problems: string[] = [];
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) problems.push(`migration ${m.file} has version ${m.version} at position ${i + 1}; versions run 1, 2, ... without gaps`);
  });
  if (!Number.isInteger(version) || version < 0 || version > migrations.length) {
    problems.push(`target version must be a whole number from 0 to ${migrations.length} (the migrations given), got ${JSON.stringify(version)}`);
  }
  return problems;
}

/** Line of a PostgreSQL error position (1-based character offset) in the SQL text. */
function lineOf(sql: string, position: unknown): string {
  const offset = Number(position);
  if (!Number.isInteger(offset) || offset < 1) return "";
  return ` (line ${sql.slice(0, offset - 1).split("\n").length})`;
}

/**
 * One transaction on the target, as the owner role in shared mode (`asOwner`). A statement that
 * waited past lock_timeout fails with who held the lock (lock.ts).
 */
async function inTransaction<T>(client: Client, target: Target, work: () => Promise<T>, asOwner = true): Promise<T> {
  await client.query("BEGIN");
  try {
    // The shared schema belongs to the owner role, so everything created there does too.
    if (asOwner && target.isolation === "shared") await client.query(`SET LOCAL ROLE ${q(target.ownerRole)}`);
    await client.query(`SET LOCAL search_path TO ${q(target.schema)}`);
    const result = await work();
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    if (isLockTimeout(error)) throw await lockTimeoutError(client, target, (error as Error).message);
    throw error;
  }
}

/** Runs `work` in one transaction on the target, as a migration runs (owner role in shared mode, search_path). */
export async function withTarget<T>(targetIn: Target, work: (client: Client) => Promise<T>): Promise<T> {
  const target = checkTarget(targetIn);
  const client = await connect(target);
  try {
    return await inTransaction(client, target, () => work(client));
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function prepare(client: Client, target: Target): Promise<void> {
  const s = q(target.schema);
  await inTransaction(client, target, async () => {
    if (target.isolation === "database") {
      // A database cloned from a template (template.ts) holds the template's schema: it becomes
      // the tenant's. Only if the admin made it: a schema the tenant created is never adopted.
      await client.query(
        `DO $do$ BEGIN
           IF to_regnamespace(${literal(target.schema)}) IS NULL AND EXISTS (
                SELECT 1 FROM pg_namespace WHERE nspname = ${literal(TEMPLATE_SCHEMA)} AND nspowner = current_user::regrole) THEN
             ALTER SCHEMA ${q(TEMPLATE_SCHEMA)} RENAME TO ${s};
           END IF;
         END $do$`,
      );
    }
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (
         version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    if (target.isolation !== "shared") {
      await client.query(
        `CREATE OR REPLACE FUNCTION ${s}.current_tenant_id() RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
         AS $fn$ SELECT ${literal(target.tenantId)}::text $fn$`,
      );
      await client.query(`GRANT USAGE ON SCHEMA ${s} TO ${q(target.role)}`);
      return;
    }
    const { rows } = await client.query(`SELECT to_regclass($1) IS NOT NULL AS present`, [`${s}.tenant_roles`]);
    // Set up once: ALTER TABLE and policy changes would lock the mapping every tenant's queries read.
    if (!rows[0].present) {
      const app = q(target.appRole);
      await client.query(`CREATE TABLE ${s}.tenant_roles (role_name name PRIMARY KEY, tenant_id text NOT NULL UNIQUE)`);
      await client.query(`ALTER TABLE ${s}.tenant_roles ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY`);
      await client.query(`CREATE POLICY own_role ON ${s}.tenant_roles FOR SELECT TO ${app} USING (role_name = current_user)`);
      await client.query(`CREATE POLICY owner_all ON ${s}.tenant_roles TO ${q(target.ownerRole)} USING (true) WITH CHECK (true)`);
      await client.query(`GRANT USAGE ON SCHEMA ${s} TO ${app}`);
      await client.query(`GRANT SELECT ON ${s}.tenant_roles TO ${app}`);
      // A fixed search_path, so no object a session puts on its own path can stand in for ours.
      await client.query(
        `CREATE FUNCTION ${s}.current_tenant_id() RETURNS text LANGUAGE sql STABLE
         SET search_path = pg_catalog, pg_temp
         AS $fn$ SELECT tenant_id FROM ${s}.tenant_roles WHERE role_name = current_user $fn$`,
      );
    }
    await client.query(
      `INSERT INTO ${s}.tenant_roles (role_name, tenant_id) VALUES ($1, $2)
       ON CONFLICT (role_name) DO UPDATE SET tenant_id = EXCLUDED.tenant_id WHERE tenant_roles.tenant_id <> EXCLUDED.tenant_id`,
      [target.role, target.tenantId],
    );
  });
}

/** A row of schema_migrations. */
export interface Applied {
  version: number;
  name: string;
  checksum: string;
}

/** The tables in `schema`, sorted, the runner's bookkeeping left out. */
async function schemaTables(client: Client, schema: string): Promise<string[]> {
  const { rows } = await client.query(
    `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relname = ANY($2) ORDER BY c.relname`,
    [schema, BOOKKEEPING],
  );
  return rows.map((r) => r.relname);
}

async function readApplied(client: Client, schema: string): Promise<Applied[]> {
  const { rows } = await client.query(`SELECT version, name, checksum FROM ${q(schema)}.schema_migrations ORDER BY version`);
  return rows;
}

async function applyOne(client: Client, target: Target, m: Migration): Promise<void> {
  const s = q(target.schema);
  await inTransaction(client, target, async () => {
    const before = target.isolation === "shared" ? await catalogSnapshot(client, target) : undefined;
    try {
      await client.query(m.sql);
    } catch (error) {
      const e = error as { message?: string; position?: string; code?: string };
      if (isLockTimeout(error)) throw error;
      throw new Error(`migration ${m.file} failed: ${e.message}${lineOf(m.sql, e.position)}`);
    }
    await secure(client, target, m.file);
    if (before) refuseOutside(m.file, target, before, await catalogSnapshot(client, target));
    await client.query(`INSERT INTO ${s}.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)`, [m.version, m.name, m.checksum]);
  });
}

async function revertOne(client: Client, target: Target, m: Migration): Promise<void> {
  const down = m.down!;
  await inTransaction(client, target, async () => {
    try {
      await client.query(down.sql);
    } catch (error) {
      const e = error as { message?: string; position?: string };
      throw new Error(`down migration ${down.file} failed: ${e.message}${lineOf(down.sql, e.position)}`);
    }
    await client.query(`DELETE FROM ${q(target.schema)}.schema_migrations WHERE version = $1`, [m.version]);
  });
}

/**
 * An adopted schema (a tenant that ran before tenancy, `adopt.migration_version`) already holds what
 * migrations 1..`version` make: they are recorded as applied, with their current names and
 * checksums, and not run. Nothing of the tenant's is read or written but the runner's own
 * bookkeeping. Only into empty bookkeeping (a schema migrated or baselined before is left as it is,
 * so a rerun changes nothing); refused, recording nothing, unless every table those migrations
 * leave is there and the admin owns it (the later migrations and the grants act as its owner).
 */
async function baseline(client: Client, target: Target, migrations: readonly Migration[], version: number): Promise<number[]> {
  if (target.isolation === "shared") {
    throw new Error(`cannot baseline ${target.tenantId}: the shared schema serves every shared tenant of the server, it is never adopted; nothing was recorded`);
  }
  if (!Number.isInteger(version) || version < 1 || version > migrations.length) {
    throw new Error(`cannot baseline ${target.tenantId} at version ${version}: versions run from 1 to ${migrations.length} (the migrations given); nothing was recorded`);
  }
  return inTransaction(client, target, async () => {
    const { rows } = await client.query(
      `SELECT c.relname, pg_get_userbyid(c.relowner) AS owner FROM pg_class c
        WHERE c.relnamespace = $1::regnamespace AND c.relkind IN ('r', 'p')`,
      [target.schema],
    );
    const found = new Map<string, string>(rows.map((r) => [r.relname, r.owner]));
    const wanted = expectedTables(migrations, version);
    const missing = wanted.filter((t) => !found.has(t));
    if (missing.length > 0) {
      throw new Error(
        `cannot baseline ${target.tenantId} at migration version ${version}: ${target.database}.${target.schema} lacks table(s) ${missing.join(", ")} ` +
          `that migrations 1..${version} make; adopt it at the version its tables are at (adopt.migration_version); nothing was recorded`,
      );
    }
    const foreign = wanted.filter((t) => found.get(t) !== target.user);
    if (foreign.length > 0) {
      throw new Error(
        `cannot baseline ${target.tenantId}: table(s) ${foreign.map((t) => `${t} (owner ${found.get(t)})`).join(", ")} are not owned by the admin ${target.user}, ` +
          `which runs the later migrations and the grants: ALTER TABLE ... OWNER TO ${target.user} first (docs/runbooks.md, "Adopting an existing tenant"); nothing was recorded`,
      );
    }
    const recorded = migrations.filter((m) => m.version <= version);
    for (const m of recorded) {
      await client.query(`INSERT INTO ${q(target.schema)}.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)`, [m.version, m.name, m.checksum]);
    }
    return recorded.map((m) => m.version);
  });
}

/** Refuses when an applied migration is no longer the file it was, naming the file. */
function checkApplied(applied: readonly Applied[], migrations: readonly Migration[], target: Target): void {
  for (const a of applied) {
    const m = migrations[a.version - 1];
    if (!m) {
      throw new Error(`${target.schema} has migration ${a.version} (${a.name}) applied, but no such migration was given; restore its file before deploying`);
    }
    if (m.checksum !== a.checksum || m.name !== a.name) {
      throw new Error(`migration ${m.file} was edited after it was applied to ${target.database}.${target.schema} (checksum ${a.checksum.slice(0, 12)} applied, ${m.checksum.slice(0, 12)} now); add a new migration instead of editing an applied one`);
    }
  }
}

/**
 * Brings the target to `version`: pending migrations up, each in its own transaction, or down
 * files in reverse when the version is lowered. Concurrent runs on one target wait for each other
 * on an advisory lock. In shared mode the schema serves every shared tenant of the server, so it
 * only ever moves up: a lower version leaves it where it is.
 */
export async function migrate(targetIn: Target, migrations: Migration[], version: number, options: { baselineVersion?: number } = {}): Promise<MigrateResult> {
  const target = checkTarget(targetIn);
  const problems = migrationProblems(migrations, version);
  if (problems.length > 0) throw new Error(`cannot migrate ${target.tenantId}: ${problems.join("; ")}`);
  const client = await connect(target);
  try {
    await lockTarget(client, target);
    await inTransaction(client, target, () => securePlace(client, target), false);
    await prepare(client, target);
    let applied = await readApplied(client, target.schema);
    const baselined = applied.length === 0 && options.baselineVersion ? await baseline(client, target, migrations, options.baselineVersion) : [];
    if (baselined.length > 0) applied = await readApplied(client, target.schema);
    checkApplied(applied, migrations, target);
    const done = new Set(applied.map((a) => a.version));
    const from = applied.length === 0 ? 0 : applied[applied.length - 1].version;
    const result: MigrateResult = { from, ...(baselined.length > 0 ? { baselined } : {}), to: from, applied: [], reverted: [], tables: [] };
    const goal = target.isolation === "shared" ? Math.max(version, from) : version;
    const toRevert = applied.filter((a) => a.version > goal).reverse().map((a) => migrations[a.version - 1]);
    const missing = toRevert.filter((m) => !m.down);
    if (missing.length > 0) {
      throw new Error(`cannot lower ${target.tenantId} from version ${from} to ${goal}: no down migration ${missing.map((m) => m.file.replace(/\.sql$/, ".down.sql")).join(", ")}; nothing was reverted`);
    }
    for (const m of migrations) {
      if (m.version > goal || done.has(m.version)) continue;
      await applyOne(client, target, m);
      result.applied.push(m.version);
    }
    for (const m of toRevert) {
      await revertOne(client, target, m);
      result.reverted.push(m.version);
    }
    // Nothing to apply still re-grants: a database cloned from a template, grants changed by hand,
    // or granted by an older version of this runner, converge too (only what differs is changed).
    if (result.applied.length === 0 && result.reverted.length === 0) {
      await inTransaction(client, target, () => secure(client, target, "(already applied)"));
    }
    result.to = goal;
    result.tables = await schemaTables(client, target.schema);
    return result;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** What refresh reads of a target: the applied migrations, oldest first, and the schema's tables. */
export interface TargetState {
  applied: Applied[];
  tables: string[];
}

/**
 * The target as it is; null when it is gone (no database, or no bookkeeping table: the schema was
 * dropped or never migrated).
 */
export async function targetState(targetIn: Target): Promise<TargetState | null> {
  const target = checkTarget(targetIn);
  let client: Client;
  try {
    client = await connect(target);
  } catch (error) {
    if (isMissingDatabase(error)) return null;
    throw error;
  }
  try {
    const { rows } = await client.query(`SELECT to_regclass($1) IS NOT NULL AS present`, [`${q(target.schema)}.schema_migrations`]);
    if (!rows[0].present) return null;
    return { applied: await readApplied(client, target.schema), tables: await schemaTables(client, target.schema) };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Highest applied version, 0 when none is; null when the target is gone. */
export async function appliedVersion(target: Target): Promise<number | null> {
  const state = await targetState(target);
  return state === null ? null : (state.applied.at(-1)?.version ?? 0);
}

/**
 * Drops the schema with every object in it, whatever the migrations created, and creates it again
 * with the same owner and privileges, in one transaction.
 */
async function emptySchema(client: Client, schema: string): Promise<void> {
  const s = q(schema);
  await client.query("BEGIN");
  try {
    const { rows } = await client.query(
      `SELECT n.nspowner::regrole::text AS owner,
              ARRAY(SELECT format('GRANT %s ON SCHEMA %s TO %s%s', a.privilege_type, $2::text,
                                  CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END,
                                  CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END)
                      FROM aclexplode(n.nspacl) a) AS grants
         FROM pg_namespace n WHERE n.nspname = $1`,
      [schema, s],
    );
    await client.query(`DROP SCHEMA ${s} CASCADE`);
    await client.query(`CREATE SCHEMA ${s} AUTHORIZATION ${rows[0].owner}`);
    for (const grant of rows[0].grants as string[]) await client.query(grant);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}

/**
 * What deleting a tenant's migrations removes: schema mode empties the tenant schema of
 * everything in it; shared mode deletes the tenant's rows and its role mapping; database mode
 * removes nothing, because dropping the database belongs to the database resource. The emptied
 * schema stays, with its owner and grants, for the schema and grant resources that made it to
 * drop and revoke (they are deleted after this).
 */
export async function removeTenantData(targetIn: Target): Promise<void> {
  const target = checkTarget(targetIn);
  if (target.isolation === "database") return;
  const client = await connect(target);
  try {
    await lockTarget(client, target);
    const { rows } = await client.query(`SELECT to_regnamespace($1) IS NOT NULL AS present`, [target.schema]);
    if (!rows[0].present) return;
    if (target.isolation === "schema") {
      await emptySchema(client, target.schema);
      return;
    }
    await inTransaction(client, target, async () => {
      // Newest tables first, so rows that reference older tables go before what they reference.
      const { rows: tables } = await client.query(
        `SELECT c.relname FROM pg_class c
           WHERE c.relnamespace = $1::regnamespace AND c.relkind IN ('r', 'p')
             AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
           ORDER BY c.oid DESC`,
        [target.schema],
      );
      for (const { relname } of tables) {
        await client.query(`DELETE FROM ${q(target.schema)}.${q(relname)} WHERE tenant_id = $1`, [target.tenantId]);
      }
      await client.query(`DELETE FROM ${q(target.schema)}.tenant_roles WHERE role_name = $1 OR tenant_id = $2`, [target.role, target.tenantId]);
    });
  } finally {
    await client.end().catch(() => undefined);
  }
}
