// Cross-tenant attacks, in each isolation mode, with tenant A's own credentials against tenant B.
// Every attempt must be refused with a permission error (SQLSTATE 42501), or, where PostgreSQL
// answers a read by filtering or masking rather than refusing (row-level security,
// information_schema, pg_stat_activity), must reveal none of B's data. The roles and grants are
// the ones the Pulumi program creates (lib/database/layout.ts provisionSql).
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Client } from "pg";
import { loadMigrations, MIGRATIONS_DIR } from "../../../lib/database/migrations";
import { migrate } from "../../../providers/postgres/runner";
import type { Isolation, Target } from "../../../providers/postgres/target";
import { naming } from "../../../lib/naming";
import { MODES, useServer } from "./setup";

const server = useServer();

interface Tenant {
  id: string;
  target: Target;
  password: string;
}

/** An attempt is a list of statements; all but the last may succeed (e.g. SET ROLE to one's own group). */
interface Attempt {
  name: string;
  /** Database to connect to; the tenant's own by default. */
  database?: string;
  sql: string[];
  /** Absent: the last statement (or the connection) must fail with 42501. Present: rows it may return must pass. */
  reveals?: (rows: any[]) => boolean;
}

const SECRET_PROJECT = "b-secret-project";

async function seedTenant(t: Tenant, project: string) {
  await migrate(t.target, loadMigrations(), 3);
  const s = t.target.schema;
  await server().query(
    `WITH p AS (INSERT INTO ${s}.projects (tenant_id, name) VALUES ($1, $2) RETURNING tenant_id, id)
     INSERT INTO ${s}.invoices (tenant_id, project_id, amount_cents, currency) SELECT tenant_id, id, 4200, 'EUR' FROM p`,
    [t.id, project],
    t.target.database,
  );
  await server().query(`INSERT INTO ${s}.tenant_profile (tenant_id, name, friendly_name) VALUES ($1, $1, $1)`, [t.id], t.target.database);
}

/** Runs one attempt as A; true when it was denied (or revealed nothing of B). */
async function denied(a: Tenant, attempt: Attempt): Promise<{ denied: boolean; detail: string }> {
  const client = new Client(server().pg.config(attempt.database ?? a.target.database, naming.role(a.id), a.password));
  try {
    await client.connect();
  } catch (error) {
    const e = error as { code?: string; message: string };
    return { denied: e.code === "42501", detail: `connect: ${e.code} ${e.message}` };
  }
  try {
    let rows: any[] = [];
    for (const [i, sql] of attempt.sql.entries()) {
      try {
        rows = (await client.query(sql)).rows;
      } catch (error) {
        const e = error as { code?: string; message: string };
        const last = i === attempt.sql.length - 1;
        return { denied: last && !attempt.reveals && e.code === "42501", detail: `${e.code} ${e.message}` };
      }
    }
    if (!attempt.reveals) return { denied: false, detail: `succeeded: ${JSON.stringify(rows).slice(0, 200)}` };
    const hidden = attempt.reveals(rows);
    return { denied: hidden, detail: `${hidden ? "nothing of B" : "B's data"}: ${JSON.stringify(rows).slice(0, 200)}` };
  } finally {
    await client.end().catch(() => undefined);
  }
}

const noRows = (rows: any[]) => rows.length === 0;
const zero = (rows: any[]) => rows.length === 1 && Number(Object.values(rows[0])[0]) === 0;

/** Attacks that do not depend on the mode: roles, settings, server-side powers. */
function commonAttempts(a: Tenant, b: Tenant): Attempt[] {
  const bRole = naming.role(b.id);
  return [
    { name: "SET ROLE to B", sql: [`SET ROLE ${bRole}`] },
    { name: "SET SESSION AUTHORIZATION to B", sql: [`SET SESSION AUTHORIZATION ${bRole}`] },
    { name: "set_config('role', B)", sql: [`SELECT set_config('role', '${bRole}', false)`] },
    { name: "set_config('session_authorization', B)", sql: [`SELECT set_config('session_authorization', '${bRole}', false)`] },
    { name: "SET ROLE to the shared owner", sql: [`SET ROLE ${naming.sharedOwnerRole}`] },
    { name: "SET ROLE to the superuser", sql: [`SET ROLE ${server().pg.user}`] },
    { name: "grant B's role to oneself", sql: [`GRANT ${bRole} TO ${naming.role(a.id)}`] },
    { name: "grant the owner role to oneself", sql: [`GRANT ${naming.sharedOwnerRole} TO ${naming.role(a.id)}`] },
    { name: "change B's password", sql: [`ALTER ROLE ${bRole} PASSWORD 'taken-over'`] },
    { name: "make oneself superuser", sql: [`ALTER ROLE ${naming.role(a.id)} SUPERUSER`] },
    { name: "give oneself BYPASSRLS", sql: [`ALTER ROLE ${naming.role(a.id)} BYPASSRLS`] },
    { name: "create a role", sql: [`CREATE ROLE intruder LOGIN`] },
    { name: "read a server file", sql: [`SELECT pg_read_file('postgresql.conf')`] },
    { name: "COPY from a program", sql: [`COPY (SELECT 1) TO PROGRAM 'true'`] },
    { name: "terminate B's session", sql: [`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '${bRole}'`] },
    // Closed to tenants altogether where the admin is a superuser (providers/postgres/visibility.ts).
    { name: "read B's session in pg_stat_activity", sql: [`SELECT usename, query FROM pg_stat_activity WHERE usename = '${bRole}'`] },
  ];
}

/**
 * Traps for the admin or for other tenants: objects planted where someone else's session resolves
 * names. (A database-mode tenant owns its database, so it may create temp objects and schemas there;
 * the next test shows the admin's migrations never resolve names through them.)
 */
const publicTrap: Attempt = { name: "create a function in public", sql: [`CREATE FUNCTION public.trap() RETURNS int LANGUAGE sql AS 'SELECT 1'`] };
const plantAttempts: Attempt[] = [
  publicTrap,
  { name: "create a temp function (pg_temp trap)", sql: [`CREATE FUNCTION pg_temp.current_tenant_id() RETURNS text LANGUAGE sql AS $$SELECT 'x'$$`] },
  { name: "create a function in one's own tenant schema", sql: [`CREATE FUNCTION current_tenant_id(integer) RETURNS text LANGUAGE sql AS $$SELECT 'x'$$`] },
];

function modeAttempts(mode: Isolation, a: Tenant, b: Tenant): Attempt[] {
  const bs = b.target.schema;
  const otherDbs: Attempt[] = [
    { name: "connect to the schema-mode database", database: naming.schemaDatabase, sql: ["SELECT 1"] },
    { name: "connect to the shared database", database: naming.sharedDatabase, sql: ["SELECT 1"] },
  ].filter((x) => x.database !== a.target.database);
  if (mode === "database") {
    return [
      { name: "connect to B's database", database: b.target.database, sql: ["SELECT 1"] },
      ...otherDbs,
      publicTrap,
      plantAttempts[2],
      { name: "take over B's database", sql: [`ALTER DATABASE ${b.target.database} OWNER TO ${naming.role(a.id)}`] },
      { name: "grant oneself CONNECT on B's database", sql: [`GRANT CONNECT ON DATABASE ${b.target.database} TO ${naming.role(a.id)}`] },
      { name: "rename B's database", sql: [`ALTER DATABASE ${b.target.database} RENAME TO stolen`] },
      { name: "drop B's database", sql: [`DROP DATABASE ${b.target.database}`] },
      { name: "change the runner's bookkeeping", sql: [`DELETE FROM schema_migrations`] },
    ];
  }
  if (mode === "schema") {
    return [
      ...otherDbs,
      ...plantAttempts,
      { name: "read B's projects", sql: [`SELECT * FROM ${bs}.projects`] },
      { name: "read B's profile", sql: [`SELECT * FROM ${bs}.tenant_profile`] },
      { name: "insert into B's projects", sql: [`INSERT INTO ${bs}.projects (tenant_id, name) VALUES ('${b.id}', 'x')`] },
      { name: "update B's invoices", sql: [`UPDATE ${bs}.invoices SET amount_cents = 0`] },
      { name: "delete B's projects", sql: [`DELETE FROM ${bs}.projects`] },
      { name: "truncate B's invoices", sql: [`TRUNCATE ${bs}.invoices`] },
      { name: "lock B's table", sql: [`BEGIN`, `LOCK TABLE ${bs}.projects`] },
      { name: "create a table in B's schema", sql: [`CREATE TABLE ${bs}.planted (x int)`] },
      { name: "call B's owner-defined function", sql: [`SELECT ${bs}.current_tenant_id()`] },
      { name: "grant oneself USAGE on B's schema", sql: [`GRANT USAGE ON SCHEMA ${bs} TO ${naming.role(a.id)}`] },
      { name: "take over B's schema", sql: [`ALTER SCHEMA ${bs} OWNER TO ${naming.role(a.id)}`] },
      { name: "drop B's schema", sql: [`DROP SCHEMA ${bs} CASCADE`] },
      { name: "change one's own bookkeeping", sql: [`DELETE FROM ${a.target.schema}.schema_migrations`] },
      {
        name: "list B's tables through information_schema",
        sql: [`SELECT table_name FROM information_schema.tables WHERE table_schema = '${bs}'`],
        reveals: noRows,
      },
      {
        name: "list B's columns through information_schema",
        sql: [`SELECT column_name FROM information_schema.columns WHERE table_schema = '${bs}'`],
        reveals: noRows,
      },
    ];
  }
  const own = `tenant_id = '${a.id}'`;
  return [
    ...otherDbs,
    ...plantAttempts,
    { name: "read B's projects by tenant_id", sql: [`SELECT * FROM projects WHERE tenant_id = '${b.id}'`], reveals: noRows },
    { name: "read every profile", sql: [`SELECT tenant_id FROM tenant_profile WHERE tenant_id <> '${a.id}'`], reveals: noRows },
    { name: "insert a row as B", sql: [`INSERT INTO projects (tenant_id, name) VALUES ('${b.id}', 'planted')`] },
    { name: "move one's own row to B", sql: [`UPDATE projects SET tenant_id = '${b.id}' WHERE ${own}`] },
    { name: "update B's invoices", sql: [`WITH u AS (UPDATE invoices SET amount_cents = 0 WHERE tenant_id = '${b.id}' RETURNING 1) SELECT count(*) FROM u`], reveals: zero },
    { name: "delete B's projects", sql: [`WITH d AS (DELETE FROM projects WHERE tenant_id = '${b.id}' RETURNING 1) SELECT count(*) FROM d`], reveals: zero },
    { name: "truncate the shared invoices", sql: [`TRUNCATE invoices`] },
    { name: "row_security = off", sql: [`SET row_security = off`, `SELECT * FROM projects`] },
    { name: "set a tenant GUC to B", sql: [`SELECT set_config('app.tenant_id', '${b.id}', false)`, `SELECT * FROM projects WHERE tenant_id = '${b.id}'`], reveals: noRows },
    { name: "SET ROLE to the tenant group, then read B", sql: [`SET ROLE ${naming.sharedAppRole}`, `SELECT * FROM projects WHERE tenant_id = '${b.id}'`], reveals: noRows },
    { name: "SET ROLE to the tenant group, then insert as B", sql: [`SET ROLE ${naming.sharedAppRole}`, `INSERT INTO projects (tenant_id, name) VALUES ('${b.id}', 'planted')`] },
    {
      name: "error side channel in a WHERE clause",
      sql: [`SELECT count(*) FROM projects WHERE 1 / (CASE WHEN tenant_id = '${b.id}' THEN 0 ELSE 1 END) = 1 AND NOT ${own}`],
      reveals: zero,
    },
    { name: "read the role mapping of others", sql: [`SELECT * FROM tenant_roles WHERE tenant_id <> '${a.id}'`], reveals: noRows },
    { name: "map oneself to B", sql: [`UPDATE tenant_roles SET tenant_id = '${b.id}'`] },
    { name: "add a mapping to B", sql: [`INSERT INTO tenant_roles VALUES ('${naming.sharedAppRole}', '${b.id}')`] },
    { name: "replace the owner-defined tenant function", sql: [`CREATE OR REPLACE FUNCTION ${bs}.current_tenant_id() RETURNS text LANGUAGE sql AS $$SELECT '${b.id}'$$`] },
    { name: "disable row-level security", sql: [`ALTER TABLE projects DISABLE ROW LEVEL SECURITY`] },
    { name: "stop forcing row-level security", sql: [`ALTER TABLE projects NO FORCE ROW LEVEL SECURITY`] },
    { name: "drop the policy", sql: [`DROP POLICY tenant_isolation ON projects`] },
    { name: "add a permissive policy", sql: [`CREATE POLICY open ON projects USING (true)`] },
    { name: "take over the shared table", sql: [`ALTER TABLE projects OWNER TO ${naming.role(a.id)}`] },
    { name: "create a table in the shared schema", sql: [`CREATE TABLE planted (tenant_id text)`] },
    { name: "create a temp table", sql: [`CREATE TEMP TABLE t (x int)`] },
    { name: "change the runner's bookkeeping", sql: [`DELETE FROM schema_migrations`] },
    { name: "read statistics of the shared table", sql: [`SELECT * FROM pg_stats WHERE tablename = 'projects'`], reveals: noRows },
  ];
}

describe.each(MODES)("isolation %s", (mode) => {
  let a: Tenant;
  let b: Tenant;
  let bSession: Client;

  beforeAll(async () => {
    const make = async (id: string) => ({ id, ...(await server().tenant(mode, id)) });
    a = await make(`atk-${mode}-a`);
    b = await make(`atk-${mode}-b`);
    await seedTenant(a, "a-own-project");
    await seedTenant(b, SECRET_PROJECT);
    // B is connected and busy, so its session and query are there to be spied on and killed.
    bSession = new Client(server().pg.config(b.target.database, naming.role(b.id), b.password));
    // Terminated on purpose in afterAll.
    bSession.on("error", () => undefined);
    await bSession.connect();
    void bSession.query(`SELECT pg_sleep(60) /* ${SECRET_PROJECT} */`).catch(() => undefined);
    await server().query(`ANALYZE ${b.target.schema}.projects`, [], b.target.database);
  });
  afterAll(async () => {
    await server().query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1`, [naming.role(b.id)]);
    await bSession.end().catch(() => undefined);
  });

  test("A works with its own data (the attacks below fail for the right reason)", async () => {
    const client = new Client(server().pg.config(a.target.database, naming.role(a.id), a.password));
    await client.connect();
    try {
      await client.query(`SET search_path TO ${a.target.schema}`);
      const { rows } = await client.query(`SELECT tenant_id, name FROM projects`);
      expect(rows).toEqual([{ tenant_id: a.id, name: "a-own-project" }]);
      await client.query(`INSERT INTO projects (name) VALUES ('a-second')`);
    } finally {
      await client.end();
    }
  });

  test("every attack with A's credentials on B is denied", async () => {
    const attempts = [...commonAttempts(a, b), ...modeAttempts(mode, a, b)].map((attempt) => ({
      ...attempt,
      // A's session looks at its tables through its own schema, as an application would.
      sql: attempt.database ? attempt.sql : [`SET search_path TO ${a.target.schema}`, ...attempt.sql],
    }));
    const outcomes = [];
    for (const attempt of attempts) outcomes.push({ name: attempt.name, ...(await denied(a, attempt)) });
    const deniedCount = outcomes.filter((o) => o.denied).length;
    console.log(`isolation ${mode}: ${attempts.length} attempts, ${deniedCount} denied`);
    const allowed = outcomes.filter((o) => !o.denied).map((o) => `${o.name}: ${o.detail}`);
    expect(allowed).toEqual([]);
    expect(deniedCount).toBe(attempts.length);
    expect(attempts.length).toBeGreaterThanOrEqual(mode === "database" ? 26 : 35);

    // B's data came through untouched, and B's session is still alive.
    const projects = await server().query(`SELECT name FROM ${b.target.schema}.projects WHERE tenant_id = $1`, [b.id], b.target.database);
    expect(projects).toEqual([{ name: SECRET_PROJECT }]);
    const invoices = await server().query(`SELECT amount_cents FROM ${b.target.schema}.invoices WHERE tenant_id = $1`, [b.id], b.target.database);
    expect(invoices.map((r) => Number(r.amount_cents))).toEqual([4200]);
    const alive = await server().query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1`, [naming.role(b.id)]);
    expect(alive[0].n).toBe(1);
  });
});

test("a database-mode tenant cannot make the admin's migrations run its functions", async () => {
  const a = { id: "trap-owner", ...(await server().tenant("database", "trap-owner")) };
  await migrate(a.target, loadMigrations(), 2);
  // What a tenant could do while it owned its database (before the admin did; see
  // test/attack/database-tenant-owns-nothing-the-admin-runs.test.ts): functions that beat the
  // built-ins the runner calls (an exact argument match wins over pg_catalog's), its schema first
  // on the database's path. Planted here by the superuser, owned by the tenant.
  const role = naming.role(a.id);
  await server().query(`CREATE SCHEMA trap AUTHORIZATION ${role}`, [], a.target.database);
  for (const signature of ["hashtextextended(text, integer)", "to_regclass(text)", "to_regnamespace(text)", "format(text, text)"]) {
    const returns = signature.startsWith("hash") ? "bigint" : signature.startsWith("format") ? "text" : signature.startsWith("to_regclass") ? "regclass" : "regnamespace";
    await server().query(`CREATE FUNCTION trap.${signature} RETURNS ${returns} LANGUAGE plpgsql AS $$BEGIN RAISE EXCEPTION 'trap sprung'; END$$`, [], a.target.database);
    await server().query(`ALTER FUNCTION trap.${signature} OWNER TO ${role}`, [], a.target.database);
  }
  await server().query(`ALTER DATABASE ${a.target.database} SET search_path = trap, pg_catalog`);
  // The trap is real: an admin session that takes the database's defaults walks into it.
  const naive = await server().pg.adminClient(a.target.database);
  try {
    await expect(naive.query(`SELECT pg_advisory_lock(hashtextextended($1, 0))`, ["x"])).rejects.toThrow(/trap sprung/);
  } finally {
    await naive.end();
  }
  const withNew = loadMigrations(MIGRATIONS_DIR, [{ name: "0004_tags.sql", text: "CREATE TABLE tags (tenant_id text NOT NULL DEFAULT current_tenant_id(), tag text);" }]);
  expect(await migrate(a.target, withNew, 4)).toMatchObject({ from: 2, to: 4, applied: [3, 4] });
  expect(await migrate(a.target, withNew, 4)).toMatchObject({ applied: [] });
});
