// TenantMigrations and TenantSeed, called as the provider host calls them (plain inputs, the
// engine's `__provider` key included where the engine sends it), against the embedded PostgreSQL.
// The admin password is a canary that must appear nowhere but in the `password` field the resource
// classes mark secret, and in nothing the providers print.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { loadMigrations, migrationSet, parseMigrationFiles, type Migration } from "../../../lib/database/migrations";
import { TENANT_MOVE } from "../../../providers/kit";
import { tenantMigrations, type MigrationsOptions, type TenantMigrationsInputs, type TenantMigrationsOutputs } from "../../../providers/postgres/migrations";
import { migrate } from "../../../providers/postgres/runner";
import { tenantSeed, type TenantSeedInputs } from "../../../providers/postgres/seed";
import type { ServerTarget, Target } from "../../../providers/postgres/target";
import { usePrintedOutput } from "../../harness/printed";
import { MODES, migrationsWith, startServer, type Server } from "./setup";

const CANARY = `canary-${randomBytes(8).toString("hex")}`;
const SERVER = "main";
let server: Server;
const logs: string[] = [];
const printed = usePrintedOutput();

beforeAll(async () => {
  server = await startServer();
  // Every provider call authenticates as an admin whose password is the canary.
  await server.query(`CREATE ROLE canary_admin LOGIN SUPERUSER PASSWORD '${CANARY}'`);
  Object.assign(server.admin, { user: "canary_admin", password: CANARY });
});
afterAll(async () => {
  await server?.stop();
});

const placed = (target: Target): ServerTarget => ({ ...target, server: SERVER });

function migrationInputs(target: Target, maxVersion: number, set = loadMigrations()): TenantMigrationsInputs {
  const { version, fingerprint } = migrationSet(maxVersion, set);
  return { ...placed(target), targetVersion: version, fingerprint };
}

/** One provider call, its printed output kept for the canary check. */
async function call<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } finally {
    logs.push(printed.take());
  }
}

/** Outputs must carry the password only in the field the resource classes mark secret. */
function expectCanaryOnlyInPassword(outs: object) {
  const { password, ...rest } = outs as Record<string, unknown>;
  expect(password).toBe(CANARY);
  expect(JSON.stringify(rest)).not.toContain(CANARY);
}

describe.each(MODES)("isolation %s", (mode) => {
  test("create, diff, update, read, seed, rename, delete", async () => {
    const id = `eng-${mode}`;
    const { target } = await server.tenant(mode, id);
    const v2 = migrationInputs(target, 2);

    const created = await call(() => tenantMigrations.create(v2));
    expect(created.id).toBe(`${target.database}/${target.schema}/${id}`);
    expect(created.outs).toMatchObject({ version: 2, targetVersion: 2, applied: [1, 2], reverted: [] });
    expectCanaryOnlyInPassword(created.outs);
    expect((created.outs as { migrations?: unknown }).migrations).toBeUndefined();

    // Everything delete needs, and nothing it does not, is in the outputs.
    expect(Object.keys(created.outs).sort()).toEqual(
      ["appRole", "applied", "database", "fingerprint", "host", "isolation", "ownerRole", "password", "port", "reverted", "role", "schema", "server", "sslmode", "tables", "tablesVersion", "targetVersion", "tenantId", "user", "version"],
    );

    expect(await call(() => tenantMigrations.diff(created.id, created.outs, v2))).toEqual({ changes: false, replaces: [] });
    const v3 = migrationInputs(target, 3);
    expect(await call(() => tenantMigrations.diff(created.id, created.outs, v3))).toEqual({ changes: true, replaces: [] });

    const updated = await call(() => tenantMigrations.update(created.id, created.outs, v3));
    expect(updated.outs).toMatchObject({ version: 3, applied: [3] });
    const read = await call(() => tenantMigrations.read(created.id, updated.outs));
    expect(read).toEqual({ id: created.id, props: { ...updated.outs, version: 3 } });

    const profile: TenantSeedInputs = { ...placed(target), name: "Engine Corp", friendlyName: "Engine", settings: { features: { sso: true } } };
    const seeded = await call(() => tenantSeed.create(profile));
    expectCanaryOnlyInPassword(seeded.outs);
    const row = async () =>
      (await server.query(`SELECT name, friendly_name, settings FROM ${target.schema}.tenant_profile WHERE tenant_id = $1`, [id], target.database))[0];
    expect(await row()).toEqual({ name: "Engine Corp", friendly_name: "Engine", settings: { features: { sso: true } } });
    // Key order of the settings is no change; a rename is.
    const reordered = { ...profile, settings: JSON.parse('{"features":{"sso":true}}') };
    expect(await call(() => tenantSeed.diff(seeded.id, seeded.outs, reordered))).toEqual({ changes: false, replaces: [] });
    const renamed = { ...profile, name: "Engine Corporation" };
    expect(await call(() => tenantSeed.diff(seeded.id, seeded.outs, renamed))).toEqual({ changes: true, replaces: [] });
    const reseeded = await call(() => tenantSeed.update(seeded.id, seeded.outs, renamed));
    expect((await row()).name).toBe("Engine Corporation");
    expect((await call(() => tenantSeed.read(seeded.id, reseeded.outs))).props.name).toBe("Engine Corporation");
    // A second create finds the row and adopts it.
    await call(() => tenantSeed.create(renamed));
    expect((await server.query(`SELECT count(*)::int AS n FROM ${target.schema}.tenant_profile`, [], target.database))[0].n).toBe(1);

    await call(() => tenantSeed.delete(seeded.id, reseeded.outs));
    expect(await row()).toBeUndefined();
    expect((await call(() => tenantSeed.read(seeded.id, reseeded.outs))).id).toBe("");
    await call(() => tenantMigrations.delete(created.id, updated.outs));
    await call(() => tenantMigrations.delete(created.id, updated.outs)); // a repeated delete converges
    // Schema mode: the tenant's tables are gone (the schema itself is the Schema resource's to drop).
    const tablesLeft = await server.query(`SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY 1`, [target.schema], target.database);
    expect(tablesLeft.map((r) => r.tablename)).toEqual(
      mode === "schema" ? [] : mode === "shared" ? ["invoices", "projects", "schema_migrations", "tenant_profile", "tenant_roles"] : ["invoices", "projects", "schema_migrations", "tenant_profile"],
    );
  });
});

test("refresh shows drift: read reports the version the database is really at, and up repairs it", async () => {
  const { target } = await server.tenant("schema", "eng-drift");
  const inputs = migrationInputs(target, 3);
  const created = await call(() => tenantMigrations.create(inputs));
  await migrate(target, loadMigrations(), 1);
  const read = await call(() => tenantMigrations.read(created.id, created.outs));
  expect(read.props).toMatchObject({ version: 1, targetVersion: 3 });
  // What the target holds no longer has the fingerprint the program computes: the next up migrates it again.
  expect(await call(() => tenantMigrations.diff(created.id, read.props, inputs))).toEqual({ changes: true, replaces: [] });
  expect((await call(() => tenantMigrations.update(created.id, read.props, inputs))).outs).toMatchObject({ version: 3, applied: [2, 3] });
  // A target dropped behind Pulumi's back reads as gone, so refresh removes it and up recreates it.
  await server.query(`DROP SCHEMA ${target.schema} CASCADE`, [], target.database);
  expect((await call(() => tenantMigrations.read(created.id, created.outs))).id).toBe("");
  expect((await call(() => tenantMigrations.read(created.id, { ...created.outs, database: "no_such_db" }))).id).toBe("");
  expect((await call(() => tenantSeed.read(created.id, { ...created.outs, database: "no_such_db", name: "x", friendlyName: "x", settings: {} }))).id).toBe("");
});

test("a table the migrations made, dropped by hand, is drift: refresh shows it, up refuses to paper over it until it is restored", async () => {
  const { target } = await server.tenant("database", "eng-dropped");
  const inputs = migrationInputs(target, 3);
  const created = await call(() => tenantMigrations.create(inputs));
  expect(created.outs.tables).toEqual(["invoices", "projects", "tenant_profile"]);
  await server.query(`ALTER TABLE ${target.schema}.invoices RENAME TO invoices_old`, [], target.database);
  const read = await call(() => tenantMigrations.read(created.id, created.outs));
  expect(read.props.drift).toBe(`tables invoices of tenant eng-dropped, made by its migrations, were dropped outside Pulumi`);
  expect(await call(() => tenantMigrations.diff(created.id, read.props, inputs))).toEqual({ changes: true, replaces: [] });
  await expect(call(() => tenantMigrations.update(created.id, read.props, inputs))).rejects.toThrow(/were dropped outside Pulumi: restore them .*nothing was migrated/);
  // Restored (here: renamed back), the next refresh finds nothing amiss and the update goes through.
  await server.query(`ALTER TABLE ${target.schema}.invoices_old RENAME TO invoices`, [], target.database);
  const again = await call(() => tenantMigrations.read(created.id, read.props));
  expect(again.props.drift).toBeUndefined();
  expect(await call(() => tenantMigrations.diff(created.id, again.props, inputs))).toEqual({ changes: false, replaces: [] });
  expect((await call(() => tenantMigrations.update(created.id, read.props, inputs))).outs).toMatchObject({ version: 3, applied: [] });
});

test("a failing migration reports file and message, without the password", async () => {
  const { target } = await server.tenant("database", "eng-fail");
  const broken = migrationsWith({ "0004_broken.sql": "ALTER TABLE projects ADD COLUMN owner integer REFERENCES nowhere (id);" });
  const options: MigrationsOptions = { migrations: broken };
  const error = await call(() => tenantMigrations.create(migrationInputs(target, 4, broken), options)).catch((e: Error) => e);
  expect(error).toMatchObject({ message: 'migration 0004_broken.sql failed: relation "nowhere" does not exist' });
  const versions = await server.query(`SELECT version FROM ${target.schema}.schema_migrations ORDER BY 1`, [], target.database);
  expect(versions.map((r) => r.version)).toEqual([1, 2, 3]);
});

test("migration files that do not match the fingerprint are refused before connecting", async () => {
  const { target } = await server.tenant("schema", "eng-tamper");
  const inputs = migrationInputs(target, 3);
  const files = loadMigrations();
  const tampered: Migration[] = files.map((m) => (m.version === 2 ? { ...m, sql: `${m.sql}\nDROP TABLE tenant_profile;` } : m));
  await expect(call(() => tenantMigrations.create(inputs, { migrations: tampered }))).rejects.toThrow(/0002_projects\.sql: its SQL does not match its checksum/);
  // A file edited after the plan was made (consistent with its own checksum): the plan's fingerprint no longer names the files.
  const edited = parseMigrationFiles(files.map((m) => ({ name: m.file, text: m.version === 2 ? `${m.sql}\n-- edited` : m.sql })));
  await expect(call(() => tenantMigrations.create(inputs, { migrations: edited }))).rejects.toThrow(/is not the fingerprint of the migrations up to version 3/);
  const wrongPrint = { ...inputs, fingerprint: migrationSet(2, files).fingerprint };
  await expect(call(() => tenantMigrations.create(wrongPrint))).rejects.toThrow(/is not the fingerprint of the migrations up to version 3/);
  expect(await server.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [target.schema], target.database)).toEqual([]);
});

test("diff refuses a new place as a tenant move, and updates on a new address or new credentials", async () => {
  const { target } = await server.tenant("schema", "eng-diff");
  const inputs = migrationInputs(target, 3);
  const olds: TenantMigrationsOutputs = { ...inputs, version: 3, applied: [], reverted: [], tables: [], tablesVersion: 3 };
  await expect(tenantMigrations.diff("x", olds, { ...inputs, schema: "tenant_other" })).rejects.toThrow(`schema "tenant_eng_diff" -> "tenant_other"; ${TENANT_MOVE}`);
  await expect(tenantMigrations.diff("x", olds, { ...inputs, isolation: "shared" })).rejects.toThrow(TENANT_MOVE);
  await expect(tenantMigrations.diff("x", olds, { ...inputs, server: "other" })).rejects.toThrow(`server "main" -> "other"; ${TENANT_MOVE}`);
  expect(await tenantMigrations.diff("x", olds, { ...inputs, password: "rotated" })).toEqual({ changes: true, replaces: [] });
  // The same server at a new address: an update, never a replacement.
  expect(await tenantMigrations.diff("x", olds, { ...inputs, host: "db-2.internal", port: 6432, sslmode: "require" })).toEqual({ changes: true, replaces: [] });
  // A new migration above the target changes neither fingerprint nor target: no change.
  const more = migrationsWith({ "0004_later.sql": "CREATE TABLE later (tenant_id text NOT NULL DEFAULT current_tenant_id());" });
  expect(await tenantMigrations.diff("x", olds, migrationInputs(target, 3, more))).toEqual({ changes: false, replaces: [] });
});

test("a re-addressed server and a new loader text are updates that change no data", async () => {
  const { target, password } = await server.tenant("shared", "eng-upgrade");
  const inputs = migrationInputs(target, 3);
  const profile: TenantSeedInputs = { ...placed(target), name: "Upgrade Corp", friendlyName: "Upgrade", settings: { a: 1 } };
  const created = await call(() => tenantMigrations.create(inputs));
  const seeded = await call(() => tenantSeed.create(profile));
  const client = await server.tenantClient("shared", "eng-upgrade", password);
  await client.query(`INSERT INTO tenancy_shared.projects (name) VALUES ('kept')`);
  await client.end();
  const data = async () =>
    server.query(`SELECT (SELECT count(*)::int FROM tenancy_shared.projects WHERE tenant_id = $1) AS projects, (SELECT updated_at FROM tenancy_shared.tenant_profile WHERE tenant_id = $1) AS profile`, ["eng-upgrade"], target.database);
  const before = await data();

  // State written by the serialized providers: no server name, the old code in `__provider`.
  const { server: _server, ...oldMigrations } = created.outs;
  const { server: _server2, ...oldSeed } = seeded.outs;
  const stored = { __provider: "exports.handler = () => oldProvider;" };
  const news = { __provider: "exports.handler = () => loader;" };
  // The same server behind another address (127.0.0.1 -> localhost): an update.
  const moved = { host: "localhost" };
  expect(await tenantMigrations.diff(created.id, { ...oldMigrations, ...stored } as unknown as TenantMigrationsOutputs, { ...inputs, ...moved, ...news })).toEqual({ changes: true, replaces: [] });
  expect(await tenantSeed.diff(seeded.id, { ...oldSeed, ...stored } as unknown as TenantSeedInputs, { ...profile, ...moved, ...news })).toEqual({ changes: true, replaces: [] });
  const migrated = await call(() => tenantMigrations.update(created.id, { ...oldMigrations, ...stored } as unknown as TenantMigrationsOutputs, { ...inputs, ...moved, ...news }));
  expect(migrated.outs).toMatchObject({ version: 3, applied: [], reverted: [], host: "localhost", server: SERVER });
  expect((migrated.outs as { __provider?: string }).__provider).toBeUndefined();
  await call(() => tenantSeed.update(seeded.id, { ...oldSeed, ...stored } as unknown as TenantSeedInputs, { ...profile, ...moved, ...news }));
  expect(await data()).toEqual(before);
});

test("no provider call printed the password", () => {
  expect(logs.length).toBeGreaterThan(10);
  expect(logs.join("\n")).not.toContain(CANARY);
});
