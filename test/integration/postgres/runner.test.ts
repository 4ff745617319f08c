// The migration runner against a real PostgreSQL 15, in all three isolation modes, including what
// happens when a migration fails, is edited, is run twice at once, or dies halfway.
import { describe, expect, test } from "vitest";
import { checksum, loadMigrations } from "../../../lib/database/migrations";
import { appliedVersion, migrate, removeTenantData } from "../../../providers/postgres/runner";
import type { Target } from "../../../providers/postgres/target";
import { naming } from "../../../lib/naming";
import { MODES, migrationsWith, useServer } from "./setup";

const server = useServer();

const migrations = loadMigrations();

async function versions(target: Target): Promise<number[]> {
  const rows = await server().query(`SELECT version FROM ${target.schema}.schema_migrations ORDER BY version`, [], target.database);
  return rows.map((r) => r.version);
}

async function tables(target: Target): Promise<string[]> {
  const rows = await server().query(
    `SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename NOT IN ('schema_migrations', 'tenant_roles') ORDER BY 1`,
    [target.schema],
    target.database,
  );
  return rows.map((r) => r.tablename);
}

describe.each(MODES)("isolation %s", (mode) => {
  const id = `run-${mode}`;

  test("applies every migration once, lets the tenant use its tables, reruns as a no-op", async () => {
    const { target, password } = await server().tenant(mode, id);
    const first = await migrate(target, migrations, 3);
    expect(first).toEqual({ from: 0, to: 3, applied: [1, 2, 3], reverted: [], tables: ["invoices", "projects", "tenant_profile"] });
    expect(await versions(target)).toEqual([1, 2, 3]);
    expect(await tables(target)).toEqual(["invoices", "projects", "tenant_profile"]);
    const rows = await server().query(`SELECT name, checksum FROM ${target.schema}.schema_migrations ORDER BY version`, [], target.database);
    expect(rows).toEqual(migrations.map((m) => ({ name: m.name, checksum: m.checksum })));

    const again = await migrate(target, migrations, 3);
    expect(again).toEqual({ from: 3, to: 3, applied: [], reverted: [], tables: ["invoices", "projects", "tenant_profile"] });
    expect(await appliedVersion(target)).toBe(3);

    // The tenant's own role works with its tables, and tenant_id fills itself in.
    const tenant = await server().tenantClient(mode, id, password);
    try {
      await tenant.query(`SET search_path TO ${target.schema}`);
      await tenant.query(`INSERT INTO projects (name) VALUES ('apollo')`);
      const { rows: projects } = await tenant.query(`SELECT tenant_id, name FROM projects`);
      expect(projects).toEqual([{ tenant_id: id, name: "apollo" }]);
      await tenant.query(`INSERT INTO invoices (project_id, amount_cents, currency) SELECT id, 1200, 'EUR' FROM projects`);
      expect((await tenant.query(`SELECT count(*)::int AS n FROM invoices`)).rows[0].n).toBe(1);
      // The runner's bookkeeping is not the tenant's to read or change.
      await expect(tenant.query(`DELETE FROM schema_migrations`)).rejects.toThrow(/permission denied/);
    } finally {
      await tenant.end();
    }
  });

  test("a lower version runs the down files in reverse; raising it again re-applies", async () => {
    const target = (await server().tenant(mode, `${id}-down`)).target;
    await migrate(target, migrations, 3);
    const lowered = await migrate(target, migrations, 1);
    if (mode === "shared") {
      // The shared schema serves every shared tenant of the server: it never moves down for one of them.
      expect(lowered).toEqual({ from: 3, to: 3, applied: [], reverted: [], tables: ["invoices", "projects", "tenant_profile"] });
      expect(await tables(target)).toEqual(["invoices", "projects", "tenant_profile"]);
      return;
    }
    expect(lowered).toEqual({ from: 3, to: 1, applied: [], reverted: [3, 2], tables: ["tenant_profile"] });
    expect(await versions(target)).toEqual([1]);
    expect(await tables(target)).toEqual(["tenant_profile"]);
    expect(await migrate(target, migrations, 3)).toEqual({ from: 1, to: 3, applied: [2, 3], reverted: [], tables: ["invoices", "projects", "tenant_profile"] });
  });

  test("removeTenantData removes the schema or the tenant's rows, never another tenant's", async () => {
    const a = (await server().tenant(mode, `${id}-rm-a`)).target;
    const b = (await server().tenant(mode, `${id}-rm-b`)).target;
    for (const t of [a, b]) {
      await migrate(t, migrations, 3);
      await server().query(`INSERT INTO ${t.schema}.projects (tenant_id, name) VALUES ($1, 'p')`, [t.tenantId], t.database);
    }
    await removeTenantData(a);
    await removeTenantData(a); // converges: a second delete finds nothing to do
    const count = async (t: Target) =>
      (await server().query(`SELECT count(*)::int AS n FROM ${b.schema}.projects WHERE tenant_id = $1`, [t.tenantId], b.database))[0].n;
    if (mode === "database") {
      // Dropping the database belongs to the Database resource; the runner leaves it alone.
      expect(await versions(a)).toEqual([1, 2, 3]);
    } else if (mode === "schema") {
      // Emptied, but kept with its grants for the Schema and Grant resources, which are deleted next.
      const left = await server().query(
        `SELECT (SELECT count(*)::int FROM pg_class WHERE relnamespace = n.oid) + (SELECT count(*)::int FROM pg_proc WHERE pronamespace = n.oid) AS objects,
                has_schema_privilege($2, n.oid, 'USAGE') AS usage
           FROM pg_namespace n WHERE nspname = $1`,
        [a.schema, a.role],
        a.database,
      );
      expect(left).toEqual([{ objects: 0, usage: true }]);
      expect(await count(b)).toBe(1);
    } else {
      expect(await count(a)).toBe(0);
      expect(await count(b)).toBe(1);
      const mapping = await server().query(`SELECT role_name FROM ${a.schema}.tenant_roles WHERE tenant_id = $1`, [a.tenantId], a.database);
      expect(mapping).toEqual([]);
    }
  });
});

describe("faults (schema mode)", () => {
  test("a failing migration names its file and PostgreSQL's message and leaves the version unchanged", async () => {
    const { target } = await server().tenant("schema", "fault-fail");
    await migrate(target, migrations, 3);
    const broken = migrationsWith({
      "0004_broken.sql": "CREATE TABLE half_done (tenant_id text);\nINSERT INTO no_such_table VALUES (1);\n",
    });
    await expect(migrate(target, broken, 4)).rejects.toThrow(/migration 0004_broken\.sql failed: relation "no_such_table" does not exist \(line 2\)/);
    expect(await versions(target)).toEqual([1, 2, 3]);
    expect(await tables(target)).not.toContain("half_done");
  });

  test("an applied migration that was edited is refused with its file name", async () => {
    const { target } = await server().tenant("schema", "fault-edit");
    await migrate(target, migrations, 2);
    const edited = migrations.map((m) => (m.version === 2 ? { ...m, sql: `${m.sql}\n-- edited`, checksum: checksum(`${m.sql}\n-- edited`) } : m));
    await expect(migrate(target, edited, 3)).rejects.toThrow(/migration 0002_projects\.sql was edited after it was applied/);
    expect(await versions(target)).toEqual([1, 2]);
  });

  test("lowering past a migration without a down file fails clearly and reverts nothing", async () => {
    const { target } = await server().tenant("schema", "fault-nodown");
    const noDown = migrationsWith({ "0004_audit.sql": "CREATE TABLE audit (tenant_id text NOT NULL DEFAULT current_tenant_id(), at timestamptz);" });
    await migrate(target, noDown, 4);
    await expect(migrate(target, noDown, 2)).rejects.toThrow(
      /cannot lower fault-nodown from version 4 to 2: no down migration 0004_audit\.down\.sql; nothing was reverted/,
    );
    expect(await versions(target)).toEqual([1, 2, 3, 4]);
  });

  test("two concurrent runs on one tenant apply each migration exactly once", async () => {
    const { target } = await server().tenant("schema", "fault-race");
    // A slow first migration keeps the first runner busy while the second one arrives.
    const slow = migrationsWith({}).map((m) => (m.version === 1 ? { ...m, sql: `SELECT pg_sleep(0.5);\n${m.sql}` } : m));
    const results = await Promise.all([migrate(target, slow, 3), migrate(target, slow, 3)]);
    const applied = results.flatMap((r) => r.applied).sort();
    expect(applied).toEqual([1, 2, 3]);
    expect(await versions(target)).toEqual([1, 2, 3]);
  });

  test("a backend terminated mid-migration leaves no partial version, and a rerun converges", async () => {
    const { target } = await server().tenant("schema", "fault-kill");
    await migrate(target, migrations, 3);
    const slow = migrationsWith({
      "0004_slow.sql": "CREATE TABLE slow_a (tenant_id text);\nSELECT pg_sleep(2);\nCREATE TABLE slow_b (tenant_id text);\n",
    });
    // Settled at once, so the rejection is observed however long the polling below takes.
    const outcome = migrate(target, slow, 4).then(() => new Error("the migration was not interrupted"), (error: Error) => error);
    let killed = false;
    for (let i = 0; i < 100 && !killed; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const rows = await server().query(
        `SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity
           WHERE application_name = 'tenancy-migrations' AND wait_event = 'PgSleep'`,
      );
      killed = rows.some((r) => r.done);
    }
    expect(killed).toBe(true);
    expect((await outcome).message).toMatch(/migration 0004_slow\.sql failed: terminating connection due to administrator command/);
    expect(await versions(target)).toEqual([1, 2, 3]);
    expect(await tables(target)).not.toContain("slow_a");

    const rerun = await migrate(target, slow, 4);
    expect(rerun).toEqual({ from: 3, to: 4, applied: [4], reverted: [], tables: ["invoices", "projects", "slow_a", "slow_b", "tenant_profile"] });
    expect(await tables(target)).toEqual(expect.arrayContaining(["slow_a", "slow_b"]));
  });
});

test("a run with nothing to apply restores grants taken away by hand", async () => {
  const { target, password } = await server().tenant("database", "regrant");
  await migrate(target, migrations, 3);
  await server().query(`REVOKE ALL ON ${target.schema}.projects FROM ${target.role}`, [], target.database);
  expect(await migrate(target, migrations, 3)).toMatchObject({ applied: [], reverted: [] });
  const tenant = await server().tenantClient("database", "regrant", password);
  try {
    expect((await tenant.query(`SELECT count(*)::int AS n FROM projects`)).rows).toEqual([{ n: 0 }]);
  } finally {
    await tenant.end();
  }
});

test("a second shared tenant reuses the shared tables without touching their policies", async () => {
  const first = (await server().tenant("shared", "shared-one")).target;
  const second = (await server().tenant("shared", "shared-two")).target;
  await migrate(first, migrations, 3);
  const policies = () => server().query(`SELECT tablename, policyname FROM pg_policies WHERE schemaname = $1 ORDER BY 1, 2`, [first.schema], first.database);
  const before = await policies();
  expect(await migrate(second, migrations, 3)).toMatchObject({ applied: [] });
  expect(await policies()).toEqual(before);
  const mapping = await server().query(`SELECT role_name::text, tenant_id FROM ${first.schema}.tenant_roles WHERE tenant_id LIKE 'shared-%' ORDER BY 2`, [], first.database);
  expect(mapping).toEqual([
    { role_name: "tenant_shared_one", tenant_id: "shared-one" },
    { role_name: "tenant_shared_two", tenant_id: "shared-two" },
  ]);
});

test.each(MODES)("a non-superuser admin migrates, seeds and removes in %s mode with the grants provisionSql documents", async (mode) => {
  const admin = "plain_admin";
  await server().query(`DO $$ BEGIN CREATE ROLE ${admin} LOGIN CREATEDB CREATEROLE PASSWORD 'plain-admin-pw'; EXCEPTION WHEN duplicate_object THEN NULL; END $$`);
  await server().query(`GRANT ${naming.sharedOwnerRole} TO ${admin}`);
  await server().query(`GRANT CREATE, CONNECT ON DATABASE ${naming.schemaDatabase} TO ${admin}`);
  const id = `plain-${mode}`;
  const { target: asSuperuser } = await server().tenant(mode, id);
  // Database mode: the admin owns the tenant's database (the Pulumi program makes it so).
  if (mode === "database") await server().query(`ALTER DATABASE ${asSuperuser.database} OWNER TO ${admin}`);
  const target = { ...asSuperuser, user: admin, password: "plain-admin-pw" };
  expect(await migrate(target, migrations, 3)).toMatchObject({ to: 3 });
  expect(await appliedVersion(target)).toBe(3);
  expect(await migrate(target, migrations, 2)).toMatchObject({ to: mode === "shared" ? 3 : 2 });
  await removeTenantData(target);
});

describe("shared mode guards", () => {
  test("a table without tenant_id, a view, or a SECURITY DEFINER function is refused", async () => {
    const { target } = await server().tenant("shared", "guard-shared");
    await migrate(target, migrations, 3);
    const cases: [string, RegExp][] = [
      ["CREATE TABLE notes (body text);", /table notes has no tenant_id column/],
      ["CREATE VIEW all_projects AS SELECT * FROM projects;", /all_projects is a view/],
      [
        "CREATE FUNCTION peek() RETURNS bigint LANGUAGE sql SECURITY DEFINER AS 'SELECT count(*) FROM projects';",
        /SECURITY DEFINER function peek/,
      ],
    ];
    for (const [sql, message] of cases) {
      await expect(migrate(target, migrationsWith({ "0004_guard.sql": sql }), 4)).rejects.toThrow(message);
      expect(await versions(target)).toEqual([1, 2, 3]);
    }
  });
});

describe("input checks", () => {
  test("a bad target or version is refused before connecting", async () => {
    const { target } = await server().tenant("schema", "bad-input");
    await expect(migrate({ ...target, schema: 'x"; DROP' }, migrations, 3)).rejects.toThrow(/schema must be a lowercase PostgreSQL identifier/);
    await expect(migrate({ ...target, sslmode: "maybe" as never }, migrations, 3)).rejects.toThrow(/sslmode must be one of disable, require, verify-full/);
    await expect(migrate(target, migrations, 9)).rejects.toThrow(/target version must be a whole number from 0 to 3/);
    expect(await server().query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [target.schema], target.database)).toEqual([]);
  });
});
