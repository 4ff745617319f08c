// Attack: a database-mode tenant uses its own database to reach the admin. As the owner it could
// give the database settings every later session takes (`ALTER DATABASE ... SET role`, a read-only
// default that breaks the admin's migrations), create schemas and functions, and grant its
// database to other roles.
// Held: the admin owns every tenant database; the tenant gets CONNECT and TEMPORARY on it, USAGE on
// its schema and DML on its tables, nothing else, so each of those is refused. A database still
// owned by its tenant is refused by the runner; one whose settings were poisoned before it changed
// hands is cleaned by the next run.
import { describe, expect, it } from "vitest";
import { loadMigrations } from "../../lib/database/migrations";
import { targetFor } from "../../lib/database/layout";
import { naming } from "../../lib/naming";
import { migrate } from "../../providers/postgres/runner";
import { useServer } from "../integration/postgres/setup";
import { asTenant, DENIED } from "./tenant-session";

const server = useServer();

describe("a database-mode tenant", () => {
  it("owns neither its database nor its schema; it has CONNECT and TEMPORARY, USAGE and DML", async () => {
    const { target, password } = await server().tenant("database", "owner-check");
    await migrate(target, loadMigrations(), 3);
    const [owners] = await server().query(
      `SELECT pg_get_userbyid(d.datdba) AS database_owner,
              has_database_privilege($1, d.oid, 'CONNECT') AS can_connect, has_database_privilege($1, d.oid, 'TEMPORARY') AS can_temp,
              has_database_privilege($1, d.oid, 'CREATE') AS can_create
         FROM pg_database d WHERE d.datname = $2`,
      [target.role, target.database],
    );
    expect(owners).toEqual({ database_owner: server().pg.user, can_connect: true, can_temp: true, can_create: false });
    const [schema] = await server().query(
      `SELECT pg_get_userbyid(nspowner) AS owner, has_schema_privilege($1, oid, 'CREATE') AS can_create FROM pg_namespace WHERE nspname = $2`,
      [target.role, target.schema],
      target.database,
    );
    expect(schema).toEqual({ owner: server().pg.user, can_create: false });
    const work = await asTenant(server(), "owner-check", password, target.database, [
      `INSERT INTO projects (name) VALUES ('mine')`,
      `CREATE TEMP TABLE scratch (x int)`,
      `SELECT name FROM projects`,
    ]);
    expect(work).toEqual({ rows: [{ name: "mine" }] });
  });

  it("cannot poison the admin's sessions, plant objects or hand its database out", async () => {
    const { target, password } = await server().tenant("database", "poisoner");
    await migrate(target, loadMigrations(), 3);
    const db = target.database;
    const attempts: Record<string, string> = {
      "ALTER DATABASE SET role": `ALTER DATABASE ${db} SET role = ${target.role}`,
      "ALTER DATABASE SET default_transaction_read_only": `ALTER DATABASE ${db} SET default_transaction_read_only = on`,
      "ALTER DATABASE SET search_path": `ALTER DATABASE ${db} SET search_path = trap, pg_catalog`,
      "rename the database": `ALTER DATABASE ${db} RENAME TO stolen`,
      "give the database away": `ALTER DATABASE ${db} OWNER TO ${naming.sharedAppRole}`,
      "create a schema": `CREATE SCHEMA trap`,
      "create a function in public": `CREATE FUNCTION public.trap() RETURNS int LANGUAGE sql AS 'SELECT 1'`,
      "create a function in its schema": `CREATE FUNCTION ${target.schema}.trap() RETURNS int LANGUAGE sql AS 'SELECT 1'`,
      "create a table in its schema": `CREATE TABLE ${target.schema}.planted (x int)`,
      "take its schema": `ALTER SCHEMA ${target.schema} OWNER TO ${target.role}`,
      "drop its tables": `DROP TABLE ${target.schema}.invoices`,
      "change the runner's bookkeeping": `DELETE FROM ${target.schema}.schema_migrations`,
    };
    const allowed: string[] = [];
    for (const [name, sql] of Object.entries(attempts)) {
      const outcome = await asTenant(server(), "poisoner", password, db, [sql]);
      if (outcome.code !== DENIED) allowed.push(`${name}: ${outcome.code ?? "succeeded"} ${outcome.message ?? ""}`);
    }
    expect(allowed).toEqual([]);
    // A GRANT without the right to grant only warns ("no privileges were granted"): check the effect.
    await asTenant(server(), "poisoner", password, db, [`GRANT CONNECT ON DATABASE ${db} TO PUBLIC`]);
    expect(await server().query(`SELECT has_database_privilege('public', $1, 'CONNECT') AS open`, [db])).toEqual([{ open: false }]);
    expect(await server().query(`SELECT setconfig FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = $1`, [db])).toEqual([]);
  });
});

describe("databases provisioned before the admin owned them", () => {
  /** The old layout: the tenant role owns its database, as provisionSql made it before this fix. */
  async function oldStyle(id: string): Promise<{ password: string; database: string; role: string }> {
    const role = naming.role(id);
    const database = naming.database(id);
    const password = `pw-${id}`;
    await server().query(`CREATE ROLE ${role} LOGIN NOINHERIT PASSWORD '${password}'`);
    await server().query(`CREATE DATABASE ${database} OWNER ${role}`);
    await server().query(`REVOKE ALL ON DATABASE ${database} FROM PUBLIC`);
    return { password, database, role };
  }

  it("the runner refuses a database its tenant owns, and names the fix", async () => {
    const old = await oldStyle("still-owner");
    const target = targetFor(server().admin, "database", "still-owner");
    await expect(migrate(target, loadMigrations(), 3)).rejects.toThrow(
      `database ${old.database} is owned by ${old.role}, the tenant's own role; the admin must own it (its postgresql.Database owner), so nothing was migrated`,
    );
  });

  it("settings the tenant gave its database while it owned it are reset once the admin owns it", async () => {
    const old = await oldStyle("was-owner");
    const poison = await asTenant(server(), "was-owner", old.password, old.database, [
      `ALTER DATABASE ${old.database} SET default_transaction_read_only = on`,
      `ALTER DATABASE ${old.database} SET role = ${old.role}`,
      `SELECT 1`,
    ]);
    expect(poison.code).toBeUndefined();
    // What the Database resource's update does when its owner changes to the admin.
    await server().query(`ALTER DATABASE ${old.database} OWNER TO ${server().pg.user}`);
    const target = targetFor(server().admin, "database", "was-owner");
    expect(await migrate(target, loadMigrations(), 3)).toMatchObject({ to: 3 });
    const owners = await server().query(`SELECT DISTINCT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE relnamespace = $1::regnamespace AND relkind = 'r'`, [target.schema], old.database);
    expect(owners).toEqual([{ owner: server().pg.user }]);
    expect(await server().query(`SELECT 1 FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = $1 AND s.setrole = 0`, [old.database])).toEqual([]);
    const after = await asTenant(server(), "was-owner", old.password, old.database, [`SELECT current_user AS who, current_setting('default_transaction_read_only') AS ro`]);
    expect(after.rows).toEqual([{ who: old.role, ro: "off" }]);
  });
});
