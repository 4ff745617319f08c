// Provisioning database-mode tenants by cloning a migrated template: the TenantTemplate provider
// run as the engine runs it, clones that end up exactly like migrated databases, and a template
// build that converges after dying halfway.
import { afterAll, beforeAll, expect, test } from "vitest";
import { Client } from "pg";
import { provisionSql } from "../../../lib/database/layout";
import { fingerprint, loadMigrations } from "../../../lib/database/migrations";
import { tenantTemplateProvider, type TenantTemplateInputs } from "../../../lib/database/providers";
import { migrate, TEMPLATE_SCHEMA } from "../../../lib/database/runner";
import { ensureTemplate, templateName } from "../../../lib/database/template";
import { targetFor } from "../../../lib/database/layout";
import { naming } from "../../../lib/naming";
import { serializeProvider, type SerializedProvider } from "../../harness/engine";
import { startServer, type Server } from "./setup";

let server: Server;
let provider: SerializedProvider;
beforeAll(async () => {
  [server, provider] = await Promise.all([startServer(), serializeProvider(tenantTemplateProvider)]);
});
afterAll(async () => {
  await server?.stop();
});

const migrations = loadMigrations();

function inputs(version: number): TenantTemplateInputs {
  return { ...server.admin, database: "postgres", targetVersion: version, fingerprint: fingerprint(migrations, version), migrations };
}

test("clones of the template are the tenants' own databases, at the template's version", async () => {
  const created = await provider.call("create", provider.inputs(inputs(3)));
  expect(created.id).toBe(templateName(fingerprint(migrations, 3)));
  expect(created.outs.templateName).toBe(created.id);
  expect(created.outs.password).toBe(server.admin.password);
  const [db] = await server.query(`SELECT datistemplate, datallowconn FROM pg_database WHERE datname = $1`, [created.id]);
  expect(db).toEqual({ datistemplate: true, datallowconn: false });
  // A second create adopts the template that is there.
  expect((await provider.call("create", provider.inputs(inputs(3)))).id).toBe(created.id);

  const ids = ["clone-a", "clone-b", "clone-c"];
  const tenants = await Promise.all(
    ids.map(async (id) => {
      const password = `pw-${id}`;
      for (const sql of provisionSql("database", id, password, { template: created.id })) await server.query(sql);
      return { id, password, target: targetFor(server.admin, "database", id) };
    }),
  );
  for (const t of tenants) {
    expect(await migrate(t.target, migrations, 3)).toEqual({ from: 3, to: 3, applied: [], reverted: [] });
    const client = await server.tenantClient("database", t.id, t.password);
    try {
      await client.query(`INSERT INTO projects (name) VALUES ('first')`);
      expect((await client.query(`SELECT tenant_id FROM projects`)).rows).toEqual([{ tenant_id: t.id }]);
    } finally {
      await client.end();
    }
    // Only the admin (owner) and this tenant hold privileges on the tables.
    const acl = await server.query(
      `SELECT DISTINCT (aclexplode(relacl)).grantee::regrole::text AS who FROM pg_class
        WHERE relnamespace = $1::regnamespace AND relacl IS NOT NULL ORDER BY 1`,
      [t.target.schema],
      t.target.database,
    );
    expect(acl.map((r) => r.who).sort()).toEqual([server.pg.user, naming.role(t.id)].sort());
  }
  // Each clone is closed to the others.
  const intruder = new Client(server.pg.config(naming.database("clone-b"), naming.role("clone-a"), "pw-clone-a"));
  await expect(intruder.connect()).rejects.toMatchObject({ code: "42501" });

  expect(await provider.call("diff", created.id, created.outs, provider.inputs(inputs(2)))).toEqual({ changes: true, replaces: ["fingerprint"] });
  expect(await provider.call("diff", created.id, created.outs, provider.inputs(inputs(3)))).toEqual({ changes: false, replaces: [] });
  expect((await provider.call("read", created.id, created.outs)).id).toBe(created.id);

  await provider.call("delete", created.id, created.outs);
  expect(await server.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [created.id])).toEqual([]);
  expect((await provider.call("read", created.id, created.outs)).id).toBe("");
  // The clones do not depend on their template.
  const left = await server.query(`SELECT count(*)::int AS n FROM ${naming.schema("clone-c")}.projects`, [], naming.database("clone-c"));
  expect(left[0].n).toBe(1);
});

test("a template build that died after CREATE DATABASE converges on the next run", async () => {
  const name = templateName(fingerprint(migrations, 2));
  await server.query(`CREATE DATABASE ${name}`);
  expect(await ensureTemplate(server.admin, migrations, 2)).toBe(name);
  const versions = await server.query(`SELECT version FROM ${TEMPLATE_SCHEMA}.schema_migrations ORDER BY 1`, [], name).catch((e: Error) => e);
  // Connections are closed once it is a template; open it briefly to look inside.
  expect(versions).toBeInstanceOf(Error);
  await server.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS true`);
  const rows = await server.query(`SELECT version FROM ${TEMPLATE_SCHEMA}.schema_migrations ORDER BY 1`, [], name);
  expect(rows.map((r) => r.version)).toEqual([1, 2]);
});

test("a schema the tenant names like the template's is never adopted as its tables' schema", async () => {
  const { target, password } = await server.tenant("database", "fake-template");
  const tenant = await server.tenantClient("database", "fake-template", password);
  try {
    await tenant.query(`CREATE SCHEMA ${TEMPLATE_SCHEMA}`);
  } finally {
    await tenant.end();
  }
  await migrate(target, migrations, 3);
  const owners = await server.query(
    `SELECT nspname::text AS schema, nspowner::regrole::text AS owner FROM pg_namespace WHERE nspname IN ($1, $2) ORDER BY 1`,
    [target.schema, TEMPLATE_SCHEMA],
    target.database,
  );
  expect(owners).toEqual([
    { schema: TEMPLATE_SCHEMA, owner: target.role },
    { schema: target.schema, owner: server.pg.user },
  ]);
});
