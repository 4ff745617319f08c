// Attack: a tenant takes a lock and keeps its transaction open, to hang what others need: the
// runner's advisory lock (every later migration and offboarding of the target waits forever), a
// shared table (every other shared tenant, the dump of a tenant being offboarded).
// Held: the runner's lock, held by anyone but the admin, is taken back (the holder's session is
// ended) and the run goes on; every admin session has statement, lock and idle timeouts, and
// pg_dump a lock-wait timeout, so a held table lock fails the call with an error naming the holder
// instead of hanging it. A shared tenant's UPDATE is granted column by column, which LOCK does not
// accept. The limit: DELETE, which tenants need, still lets a shared tenant LOCK a shared table in
// any mode (PostgreSQL grants LOCK with table-level UPDATE, DELETE or TRUNCATE); SECURITY.md says
// what that costs and what the operator does.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadMigrations } from "../../lib/database/migrations";
import { naming } from "../../lib/naming";
import { backupTenant } from "../../providers/backup/dump";
import { connect } from "../../providers/postgres/connection";
import { migrate, removeTenantData } from "../../providers/postgres/runner";
import { startS3, type TestS3 } from "../harness/s3";
import { useServer } from "../integration/postgres/setup";
import { asTenant, DENIED, openTenantSession } from "./tenant-session";

const server = useServer();
const BUCKET = "tenancy-backups";
let s3: TestS3;
beforeAll(async () => {
  s3 = await startS3([BUCKET]);
});
afterAll(async () => {
  await s3?.stop();
});
const S = naming.sharedSchema;

/** Resolves to "done" or "still waiting" after `ms`, whichever comes first. */
async function within<T>(ms: number, work: Promise<T>): Promise<T | "still waiting"> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"still waiting">((resolve) => (timer = setTimeout(() => resolve("still waiting"), ms)));
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

describe("locks a tenant can take", () => {
  it("every admin session carries statement, lock and idle timeouts", async () => {
    const client = await connect({ ...server().admin, database: "postgres" });
    try {
      const { rows } = await client.query(
        `SELECT current_setting('statement_timeout') AS statement, current_setting('lock_timeout') AS lock,
                current_setting('idle_in_transaction_session_timeout') AS idle_in_transaction, current_setting('idle_session_timeout') AS idle`,
      );
      expect(rows).toEqual([{ statement: "15min", lock: "15s", idle_in_transaction: "1min", idle: "10min" }]);
    } finally {
      await client.end();
    }
  });

  it.each(["shared", "database"] as const)("%s: a tenant holding the runner's advisory lock does not stop the next migration", async (mode) => {
    const { target: a, password } = await server().tenant(mode, `hostage-${mode}-a`);
    await migrate(a, loadMigrations(), 2);
    // The key is no secret: pg_locks shows it to everyone while a migration runs.
    const holder = await openTenantSession(server(), `hostage-${mode}-a`, password, a.database);
    await holder.query(`SELECT pg_advisory_lock(hashtextextended($1, 0))`, [`tenancy-migrations:${a.schema}`]);
    const victim = mode === "shared" ? (await server().tenant(mode, `hostage-${mode}-b`)).target : a;
    const outcome = await within(10_000, migrate(victim, loadMigrations(), 3));
    expect(outcome).toMatchObject({ to: 3 });
    // The squatter's session was ended.
    await expect(holder.query("SELECT 1")).rejects.toThrow(/terminat|connection error/);
    await holder.end().catch(() => undefined);
  });

  it("a shared tenant's UPDATE is column-level: its rows stay writable, but UPDATE no longer grants LOCK", async () => {
    const { target, password } = await server().tenant("shared", "locker-a");
    await migrate(target, loadMigrations(), 3);
    const [acl] = await server().query(
      `SELECT has_table_privilege($1, $2, 'UPDATE') AS table_update, has_column_privilege($1, $2, 'name', 'UPDATE') AS name_update,
              has_column_privilege($1, $2, 'tenant_id', 'UPDATE') AS tenant_id_update, has_table_privilege($1, $2, 'TRUNCATE') AS truncate`,
      [naming.sharedAppRole, `${S}.projects`],
      target.database,
    );
    expect(acl).toEqual({ table_update: false, name_update: true, tenant_id_update: false, truncate: false });
    const work = await asTenant(server(), "locker-a", password, target.database, [
      `INSERT INTO ${S}.projects (name) VALUES ('p')`,
      `UPDATE ${S}.projects SET name = 'q' WHERE name = 'p' RETURNING name`,
    ]);
    expect(work.rows).toEqual([{ name: "q" }]);
    // The seeded profile is read-only for tenants, so no mode of LOCK is granted on it.
    const lock = await asTenant(server(), "locker-a", password, target.database, [`BEGIN`, `LOCK TABLE ${S}.tenant_profile IN ACCESS EXCLUSIVE MODE`]);
    expect(lock.code).toBe(DENIED);
  });

  it("the limit: DELETE lets a shared tenant LOCK a shared table; the dump and the offboarding of another tenant fail in bounded time, naming the holder", async () => {
    const { target: a, password } = await server().tenant("shared", "locker-b");
    await migrate(a, loadMigrations(), 3);
    const { target: b } = await server().tenant("shared", "victim-b");
    await migrate(b, loadMigrations(), 3);
    const holder = await openTenantSession(server(), "locker-b", password, a.database);
    await holder.query(`BEGIN`);
    await holder.query(`LOCK TABLE ${S}.projects IN ACCESS EXCLUSIVE MODE`);
    try {
      const started = Date.now();
      const dump = await backupTenant({ target: b, store: { bucket: BUCKET, region: s3.region, endpoint: s3.endpoint, forcePathStyle: true }, credentials: s3.credentials, lockWaitMs: 1_000 }).catch((e: Error) => e);
      expect((dump as Error).message).toMatch(/backup of tenant victim-b failed, so nothing of it was deleted: a lock on a table was held longer than pg_dump's --lock-wait-timeout \(1 s\).*LOCK TABLE tenancy_shared.projects/s);
      const removal = await removeTenantData(b).catch((e: Error) => e);
      expect((removal as Error).message).toMatch(/waited .* for a lock held by tenant_locker_b \(pid \d+/);
      expect(Date.now() - started).toBeLessThan(25_000);
    } finally {
      await holder.end().catch(() => undefined);
    }
  });
});
