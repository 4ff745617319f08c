// Attack: a tenant's database holds code that creates a SUPERUSER role whenever it runs with a
// superuser's rights: a CHECK constraint (evaluated by COPY while the data is loaded), an index
// expression (evaluated when the index is built after the data) and a materialized view (refreshed
// after the data). The tenant's backup is taken and restored, as the operator restores backups.
// Held: the restore runs as a throwaway role with no rights, in a quarantine database it owns, so
// every planted function runs without privileges; no role appears; the restored database stays
// owned by that role (NOLOGIN), and the executable objects are listed for review before anything
// else reads them.
import { describe, expect, it } from "vitest";
import { loadMigrations } from "../../lib/database/migrations";
import { backupTenant } from "../../providers/backup/dump";
import { discardRestore, restoreBackup } from "../../providers/backup/restore";
import { migrate } from "../../providers/postgres/runner";
import { useBackupServices } from "../integration/backup/setup";

const services = useBackupServices();
const server = () => services().server;
const s3 = () => services().s3;

/**
 * A function that makes `role` a superuser when it can, and hides its failure when it cannot. An
 * index expression must be IMMUTABLE, which forbids the CREATE ROLE; it is planted all the same.
 */
const escalate = (schema: string, name: string, role: string, returns: "boolean" | "integer", volatility = "VOLATILE") => `
  CREATE FUNCTION ${schema}.${name}(x integer) RETURNS ${returns} LANGUAGE plpgsql ${volatility} AS $fn$
  BEGIN
    BEGIN
      EXECUTE 'CREATE ROLE ${role} SUPERUSER LOGIN PASSWORD ''pwned''';
    EXCEPTION WHEN OTHERS THEN NULL;
    END;
    RETURN ${returns === "boolean" ? "true" : "x"};
  END $fn$`;

const planted = ["evil_check", "evil_index", "evil_matview"];

async function superusers(): Promise<string[]> {
  return (await server().query(`SELECT rolname FROM pg_roles WHERE rolsuper ORDER BY 1`)).map((r) => r.rolname);
}

describe("restore of a hostile dump", () => {
  it("runs every planted function without privileges: no role appears, the quarantine is owned by a NOLOGIN role with no rights", async () => {
    const id = "hostile-dump";
    const { target } = await server().tenant("database", id);
    await migrate(target, loadMigrations(), 3);
    const s = target.schema;
    // Planted as the admin here because, since the fix, a tenant cannot create objects in its own
    // database any more; backups taken before it (when tenants owned their database) can hold them.
    for (const sql of [
      escalate(s, "check_fn", planted[0], "boolean"),
      escalate(s, "index_fn", planted[1], "integer", "IMMUTABLE"),
      escalate(s, "view_fn", planted[2], "integer"),
      `CREATE TABLE ${s}.planted (x integer CHECK (${s}.check_fn(x)))`,
      `INSERT INTO ${s}.planted VALUES (1), (2)`,
      `CREATE INDEX planted_idx ON ${s}.planted ((${s}.index_fn(x)))`,
      `CREATE MATERIALIZED VIEW ${s}.planted_view AS SELECT ${s}.view_fn(x) AS y FROM ${s}.planted`,
    ]) {
      await server().query(sql, [], target.database);
    }
    // Planting ran as the superuser: drop what it made, so only the restore could make them again.
    for (const role of planted) await server().query(`DROP ROLE IF EXISTS ${role}`);
    const before = await superusers();

    const backup = await backupTenant({ target, store: services().store, credentials: s3().credentials });
    const into = { ...server().admin, database: "restore_hostile" };
    const restored = await restoreBackup({ store: services().store, credentials: s3().credentials, key: backup.key, into });

    expect(await server().query(`SELECT rolname FROM pg_roles WHERE rolname = ANY($1)`, [planted])).toEqual([]);
    expect(await superusers()).toEqual(before);
    // The data came back, into a database owned by the throwaway role, which can no longer log in.
    expect(await server().query(`SELECT count(*)::int AS n FROM ${s}.planted`, [], restored.database)).toEqual([{ n: 2 }]);
    const [owner] = await server().query(
      `SELECT r.rolname, r.rolsuper, r.rolcanlogin, r.rolcreaterole, r.rolcreatedb, r.rolbypassrls,
              (SELECT count(*)::int FROM pg_auth_members m WHERE m.member = r.oid) AS memberships,
              pg_get_userbyid(d.datdba) AS database_owner
         FROM pg_roles r, pg_database d WHERE r.rolname = $1 AND d.datname = $2`,
      [restored.owner, restored.database],
    );
    expect(owner).toEqual({
      rolname: restored.owner,
      rolsuper: false,
      rolcanlogin: false,
      rolcreaterole: false,
      rolcreatedb: false,
      rolbypassrls: false,
      memberships: 0,
      database_owner: restored.owner,
    });
    // The check lists what would run code for whoever uses it, before anyone reads the restore.
    expect(restored.executable).toEqual(
      expect.arrayContaining([
        `function ${s}.check_fn(integer)`,
        `function ${s}.index_fn(integer)`,
        `function ${s}.view_fn(integer)`,
        `materialized view ${s}.planted_view`,
      ]),
    );
    expect(restored.executable).not.toContain(`table ${s}.projects`);

    await discardRestore(server().admin, restored);
    expect(await server().query(`SELECT 1 FROM pg_database WHERE datname = $1`, [restored.database])).toEqual([]);
    expect(await server().query(`SELECT 1 FROM pg_roles WHERE rolname = $1`, [restored.owner])).toEqual([]);
  });

  it("a restore that fails inside the dump leaves no quarantine behind and says why", async () => {
    const id = "failing-dump";
    const { target } = await server().tenant("database", id);
    await migrate(target, loadMigrations(), 3);
    const s = target.schema;
    // Without the exception handler, the escalation attempt fails the load: the restore fails.
    await server().query(
      `CREATE FUNCTION ${s}.loud(x integer) RETURNS boolean LANGUAGE plpgsql AS $fn$
       BEGIN EXECUTE 'CREATE ROLE evil_loud SUPERUSER'; RETURN true; END $fn$`,
      [],
      target.database,
    );
    await server().query(`CREATE TABLE ${s}.loud_table (x integer CHECK (${s}.loud(x)))`, [], target.database);
    await server().query(`INSERT INTO ${s}.loud_table VALUES (1)`, [], target.database);
    await server().query(`DROP ROLE evil_loud`);
    const backup = await backupTenant({ target, store: services().store, credentials: s3().credentials });
    const roles = async () => (await server().query(`SELECT rolname FROM pg_roles WHERE rolname LIKE 'tenancy_restore%' OR rolname = 'evil_loud'`)).map((r) => r.rolname);
    const before = await roles();
    const error = await restoreBackup({ store: services().store, credentials: s3().credentials, key: backup.key, into: { ...server().admin, database: "restore_loud" } }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/pg_restore .* failed .*must be superuser to create superusers/s);
    expect(await roles()).toEqual(before);
    expect(await server().query(`SELECT 1 FROM pg_database WHERE datname = 'restore_loud'`)).toEqual([]);
  });
});
