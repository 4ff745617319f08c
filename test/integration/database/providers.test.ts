// TenantMigrations and TenantSeed run the way the engine runs them: serialized with
// pulumi.runtime.serializeFunction, loaded in a fresh node process, called with plain inputs,
// against the embedded PostgreSQL. The admin password is a canary that must appear nowhere but in
// the `password` field the resource classes mark secret.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { loadMigrations, migrationSet } from "../../../lib/database/migrations";
import {
  diffMigrations,
  tenantMigrationsProvider,
  tenantSeedProvider,
  type TenantMigrationsInputs,
  type TenantMigrationsOutputs,
  type TenantSeedInputs,
} from "../../../lib/database/providers";
import { migrate, type Target } from "../../../lib/database/runner";
import { serializeProvider, type SerializedProvider } from "../../harness/engine";
import { MODES, migrationsWith, startServer, type Server } from "./setup";

const CANARY = `canary-${randomBytes(8).toString("hex")}`;
let server: Server;
let migrations: SerializedProvider;
let seed: SerializedProvider;
const logs: string[] = [];

beforeAll(async () => {
  server = await startServer();
  // Every provider call authenticates as an admin whose password is the canary.
  await server.query(`CREATE ROLE canary_admin LOGIN SUPERUSER PASSWORD '${CANARY}'`);
  Object.assign(server.admin, { user: "canary_admin", password: CANARY });
  [migrations, seed] = await Promise.all([serializeProvider(tenantMigrationsProvider), serializeProvider(tenantSeedProvider)]);
});
afterAll(async () => {
  await server?.stop();
});

function migrationInputs(target: Target, maxVersion: number, set = loadMigrations()): TenantMigrationsInputs {
  const { version, fingerprint } = migrationSet(maxVersion, set);
  return { ...target, targetVersion: version, fingerprint, migrations: set };
}

/** One call in a fresh provider process; its output is kept for the canary check. */
async function call(provider: SerializedProvider, method: "create" | "diff" | "update" | "read" | "delete", ...args: unknown[]) {
  const run = await provider.run([{ method, args }]);
  logs.push(run.logs);
  const [result] = run.results;
  if (!result.ok) throw new Error(result.message);
  return result.value;
}

/** Outputs must carry the password only in the field the resource classes mark secret. */
function expectCanaryOnlyInPassword(outs: Record<string, unknown>) {
  const { password, ...rest } = outs;
  expect(password).toBe(CANARY);
  expect(JSON.stringify(rest)).not.toContain(CANARY);
}

test("the serialized providers contain no secret and no captured client", () => {
  for (const p of [migrations, seed]) {
    expect(p.text).not.toContain(CANARY);
    expect(p.containsSecrets).toBe(false);
    expect(p.text).toContain('require("pg")');
  }
  // Checksums are recomputed in the provider process, with crypto required there.
  expect(migrations.text).toContain('require("crypto")');
});

describe.each(MODES)("through the engine, isolation %s", (mode) => {
  test("create, diff, update, read, seed, rename, delete", async () => {
    const id = `eng-${mode}`;
    const { target } = await server.tenant(mode, id);
    const v2 = migrationInputs(target, 2);

    const created = await call(migrations, "create", migrations.inputs(v2));
    expect(created.id).toBe(`${target.database}/${target.schema}/${id}`);
    expect(created.outs).toMatchObject({ version: 2, targetVersion: 2, applied: [1, 2], reverted: [] });
    expectCanaryOnlyInPassword(created.outs);
    expect(created.outs.migrations).toBeUndefined();

    // Everything delete needs, and nothing it does not, is in the outputs.
    expect(Object.keys(created.outs).sort()).toEqual(
      ["appRole", "applied", "database", "fingerprint", "host", "isolation", "ownerRole", "password", "port", "reverted", "role", "schema", "sslmode", "targetVersion", "tenantId", "user", "version"],
    );

    expect(await call(migrations, "diff", created.id, created.outs, migrations.inputs(v2))).toEqual({ changes: false, replaces: [] });
    const v3 = migrationInputs(target, 3);
    expect(await call(migrations, "diff", created.id, created.outs, migrations.inputs(v3))).toEqual({ changes: true, replaces: [] });

    const updated = await call(migrations, "update", created.id, created.outs, migrations.inputs(v3));
    expect(updated.outs).toMatchObject({ version: 3, applied: [3] });
    const read = await call(migrations, "read", created.id, updated.outs);
    expect(read).toEqual({ id: created.id, props: { ...updated.outs, version: 3 } });

    const profile: TenantSeedInputs = { ...target, name: "Engine Corp", friendlyName: "Engine", settings: { features: { sso: true } } };
    const seeded = await call(seed, "create", seed.inputs(profile));
    expectCanaryOnlyInPassword(seeded.outs);
    const row = async () =>
      (await server.query(`SELECT name, friendly_name, settings FROM ${target.schema}.tenant_profile WHERE tenant_id = $1`, [id], target.database))[0];
    expect(await row()).toEqual({ name: "Engine Corp", friendly_name: "Engine", settings: { features: { sso: true } } });
    // Key order of the settings is no change; a rename is.
    const reordered = { ...profile, settings: JSON.parse('{"features":{"sso":true}}') };
    expect(await call(seed, "diff", seeded.id, seeded.outs, seed.inputs(reordered))).toEqual({ changes: false, replaces: [] });
    const renamed = { ...profile, name: "Engine Corporation" };
    expect(await call(seed, "diff", seeded.id, seeded.outs, seed.inputs(renamed))).toEqual({ changes: true, replaces: [] });
    const reseeded = await call(seed, "update", seeded.id, seeded.outs, seed.inputs(renamed));
    expect((await row()).name).toBe("Engine Corporation");
    expect((await call(seed, "read", seeded.id, reseeded.outs)).props.name).toBe("Engine Corporation");
    // A second create finds the row and adopts it.
    await call(seed, "create", seed.inputs(renamed));
    expect((await server.query(`SELECT count(*)::int AS n FROM ${target.schema}.tenant_profile`, [], target.database))[0].n).toBe(1);

    await call(seed, "delete", seeded.id, reseeded.outs);
    expect(await row()).toBeUndefined();
    await call(migrations, "delete", created.id, updated.outs);
    await call(migrations, "delete", created.id, updated.outs); // a repeated delete converges
    // Schema mode: the tenant's tables are gone (the schema itself is the Schema resource's to drop).
    const tablesLeft = await server.query(`SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY 1`, [target.schema], target.database);
    expect(tablesLeft.map((r) => r.tablename)).toEqual(
      mode === "schema" ? [] : mode === "shared" ? ["invoices", "projects", "schema_migrations", "tenant_profile", "tenant_roles"] : ["invoices", "projects", "schema_migrations", "tenant_profile"],
    );
  });
});

test("refresh shows drift: read reports the version the database is really at", async () => {
  const { target } = await server.tenant("schema", "eng-drift");
  const created = await call(migrations, "create", migrations.inputs(migrationInputs(target, 3)));
  await migrate(target, loadMigrations(), 1);
  const read = await call(migrations, "read", created.id, created.outs);
  expect(read.props).toMatchObject({ version: 1, targetVersion: 3 });
  // A target dropped behind Pulumi's back reads as gone, so refresh removes it and up recreates it.
  await server.query(`DROP SCHEMA ${target.schema} CASCADE`, [], target.database);
  expect((await call(migrations, "read", created.id, created.outs)).id).toBe("");
  expect((await call(migrations, "read", created.id, { ...created.outs, database: "no_such_db" })).id).toBe("");
});

test("a failing migration reports file and message through the engine, without the password", async () => {
  const { target } = await server.tenant("database", "eng-fail");
  const broken = migrationsWith({ "0004_broken.sql": "ALTER TABLE projects ADD COLUMN owner integer REFERENCES nowhere (id);" });
  const run = await migrations.run([{ method: "create", args: [migrations.inputs(migrationInputs(target, 4, broken))] }]);
  logs.push(run.logs);
  expect(run.results[0]).toEqual({ ok: false, message: 'migration 0004_broken.sql failed: relation "nowhere" does not exist' });
  const versions = await server.query(`SELECT version FROM ${target.schema}.schema_migrations ORDER BY 1`, [], target.database);
  expect(versions.map((r) => r.version)).toEqual([1, 2, 3]);
});

test("inputs whose texts do not match the fingerprint are refused before connecting", async () => {
  const { target } = await server.tenant("schema", "eng-tamper");
  const inputs = migrationInputs(target, 3);
  const tampered = { ...inputs, migrations: inputs.migrations.map((m) => (m.version === 2 ? { ...m, sql: `${m.sql}\nDROP TABLE tenant_profile;` } : m)) };
  await expect(call(migrations, "create", migrations.inputs(tampered))).rejects.toThrow(/0002_projects\.sql: its SQL does not match its checksum/);
  const wrongPrint = { ...inputs, fingerprint: migrationSet(2, inputs.migrations).fingerprint };
  await expect(call(migrations, "create", migrations.inputs(wrongPrint))).rejects.toThrow(/is not the fingerprint of the migrations up to version 3/);
  expect(await server.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [target.schema], target.database)).toEqual([]);
});

test("diff replaces on a new place and updates on new credentials", async () => {
  const { target } = await server.tenant("schema", "eng-diff");
  const inputs = migrationInputs(target, 3);
  const olds = { ...inputs, version: 3, applied: [], reverted: [] } as TenantMigrationsOutputs;
  expect(await diffMigrations("x", olds, { ...inputs, schema: "tenant_other" })).toEqual({ changes: true, replaces: ["schema"] });
  expect(await diffMigrations("x", olds, { ...inputs, isolation: "shared" })).toEqual({ changes: true, replaces: ["isolation"] });
  expect(await diffMigrations("x", olds, { ...inputs, password: "rotated" })).toEqual({ changes: true, replaces: [] });
  // A new migration above the target changes neither fingerprint nor target: no change.
  const more = migrationsWith({ "0004_later.sql": "CREATE TABLE later (tenant_id text NOT NULL DEFAULT current_tenant_id());" });
  expect(await diffMigrations("x", olds, migrationInputs(target, 3, more))).toEqual({ changes: false, replaces: [] });
});

test("no provider process logged the password", () => {
  expect(logs.length).toBeGreaterThan(10);
  expect(logs.join("\n")).not.toContain(CANARY);
});
