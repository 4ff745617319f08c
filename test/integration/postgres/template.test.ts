// Provisioning database-mode tenants by cloning a migrated template (what bench:migrations
// measures): clones that end up exactly like migrated databases, and a template build that
// converges after dying halfway.
import { expect, test } from "vitest";
import { Client } from "pg";
import { provisionSql, targetFor } from "../../../lib/database/layout";
import { fingerprint, loadMigrations } from "../../../lib/database/migrations";
import { migrate, TEMPLATE_SCHEMA } from "../../../providers/postgres/runner";
import { ensureTemplate, templateName } from "../../../providers/postgres/template";
import { naming } from "../../../lib/naming";
import { useServer } from "./setup";

const server = useServer();

const migrations = loadMigrations();

test("clones of the template are the tenants' own databases, at the template's version", async () => {
  const template = await ensureTemplate(server().admin, migrations, 3);
  expect(template).toBe(templateName(fingerprint(migrations, 3)));
  const [db] = await server().query(`SELECT datistemplate, datallowconn FROM pg_database WHERE datname = $1`, [template]);
  expect(db).toEqual({ datistemplate: true, datallowconn: false });
  // A second call finds the template and builds nothing.
  expect(await ensureTemplate(server().admin, migrations, 3)).toBe(template);

  const ids = ["clone-a", "clone-b", "clone-c"];
  const tenants = await Promise.all(
    ids.map(async (id) => {
      const password = `pw-${id}`;
      for (const sql of provisionSql("database", id, password, { template })) await server().query(sql);
      return { id, password, target: targetFor(server().admin, "database", id) };
    }),
  );
  for (const t of tenants) {
    expect(await migrate(t.target, migrations, 3)).toEqual({ from: 3, to: 3, applied: [], reverted: [], tables: ["invoices", "projects", "tenant_profile"] });
    const client = await server().tenantClient("database", t.id, t.password);
    try {
      await client.query(`INSERT INTO projects (name) VALUES ('first')`);
      expect((await client.query(`SELECT tenant_id FROM projects`)).rows).toEqual([{ tenant_id: t.id }]);
    } finally {
      await client.end();
    }
    // Only the admin (owner) and this tenant hold privileges on the tables.
    const acl = await server().query(
      `SELECT DISTINCT (aclexplode(relacl)).grantee::regrole::text AS who FROM pg_class
        WHERE relnamespace = $1::regnamespace AND relacl IS NOT NULL ORDER BY 1`,
      [t.target.schema],
      t.target.database,
    );
    expect(acl.map((r) => r.who).sort()).toEqual([server().pg.user, naming.role(t.id)].sort());
  }
  // Each clone is closed to the others.
  const intruder = new Client(server().pg.config(naming.database("clone-b"), naming.role("clone-a"), "pw-clone-a"));
  await expect(intruder.connect()).rejects.toMatchObject({ code: "42501" });
});

test("a template build that died after CREATE DATABASE converges on the next run", async () => {
  const name = templateName(fingerprint(migrations, 2));
  await server().query(`CREATE DATABASE ${name}`);
  expect(await ensureTemplate(server().admin, migrations, 2)).toBe(name);
  const versions = await server().query(`SELECT version FROM ${TEMPLATE_SCHEMA}.schema_migrations ORDER BY 1`, [], name).catch((e: Error) => e);
  // Connections are closed once it is a template; open it briefly to look inside.
  expect(versions).toBeInstanceOf(Error);
  await server().query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS true`);
  const rows = await server().query(`SELECT version FROM ${TEMPLATE_SCHEMA}.schema_migrations ORDER BY 1`, [], name);
  expect(rows.map((r) => r.version)).toEqual([1, 2]);
});

test("a schema the tenant names like the template's is never adopted as its tables' schema", async () => {
  const { target } = await server().tenant("database", "fake-template");
  // Made by the tenant while it owned its database (it cannot since the admin owns it): planted here.
  await server().query(`CREATE SCHEMA ${TEMPLATE_SCHEMA} AUTHORIZATION ${target.role}`, [], target.database);
  await migrate(target, migrations, 3);
  const owners = await server().query(
    `SELECT nspname::text AS schema, nspowner::regrole::text AS owner FROM pg_namespace WHERE nspname IN ($1, $2) ORDER BY 1`,
    [target.schema, TEMPLATE_SCHEMA],
    target.database,
  );
  expect(owners).toEqual([
    { schema: TEMPLATE_SCHEMA, owner: target.role },
    { schema: target.schema, owner: server().pg.user },
  ]);
});
