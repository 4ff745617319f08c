// One tenant's whole life through the providers (called as the provider host calls them), against
// the real services: embedded PostgreSQL 15, s3rver (backups bucket), AuthHero (identity control
// plane) and an HTTPS webhook receiver.
// onboard -> update -> suspend -> resume -> offboard, each provider called in the order the engine
// calls it (creation right to left along the chain of lib/lifecycle/order.ts, deletion left to
// right), then a search for anything of the tenant left behind, except the backup, which restores.
//
// Not exercised here: the @pulumi/postgresql, aws and cloudflare resources need the Pulumi CLI's
// provider plugins, which cannot be installed on these machines. Their PostgreSQL part is replayed
// with the SQL twin of lib/database/layout.ts (provisionSql) and the statements the postgresql
// provider issues on delete (DROP SCHEMA, REVOKE, DROP DATABASE, DROP OWNED, DROP ROLE). The tenant's
// objects under its prefix of the shared bucket (storage mode prefix) go through TenantPrefix; a
// bucket of its own, DNS and certificate are not covered.
import { CreateBucketCommand, DeleteBucketCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ControlPlane } from "../../../lib/catalog/schema";
import { provisionSql, targetFor } from "../../../lib/database/layout";
import { migrationSet } from "../../../lib/database/migrations";
import { entityFingerprint } from "../../../lib/identity/fingerprint";
import { naming } from "../../../lib/naming";
import { tenantBackup, type TenantBackupInputs } from "../../../providers/backup/backup";
import { backupJson, backupManifest, listTenantBackups } from "../../../providers/backup/history";
import type { IdentitySnapshot } from "../../../providers/backup/identity";
import type { ObjectsPart } from "../../../providers/backup/objects";
import { listBackups, restoreBackup } from "../../../providers/backup/restore";
import type { S3Store } from "../../../providers/s3/client";
import { listVersions } from "../../../providers/s3/list";
import { createManagementClient } from "../../../providers/identity/client";
import { entitySync } from "../../../providers/identity/entity-sync";
import { identitySeed } from "../../../providers/identity/identity-seed";
import { organization, type OrganizationInputs } from "../../../providers/identity/organization";
import { tenantMigrations } from "../../../providers/postgres/migrations";
import { tenantSeed } from "../../../providers/postgres/seed";
import { tenantSuspension } from "../../../providers/postgres/suspension";
import type { Isolation } from "../../../providers/postgres/target";
import { tenantPrefix, type TenantPrefixInputs } from "../../../providers/s3/prefix";
import { deletedHook, lifecycleHook, type DeletedHookInputs, type LifecycleHookInputs } from "../../../providers/webhooks/hooks";
import { verifySignature, webhookKey, type HookTenant } from "../../../providers/webhooks/signature";
import { TEST_ONLY_LOOPBACK_ENV } from "../../../providers/webhooks/target";
import { MODES, startServer, type Server } from "../postgres/setup";
import { startAuthHero, type AuthHeroServer } from "../../harness/authhero";
import { startS3, type TestS3 } from "../../harness/s3";
import { startWebhookReceiver, type WebhookReceiver } from "../../harness/webhook-receiver";

const BUCKET = "tenancy-backups";
const SHARED_BUCKET = "tenancy-shared-default-us-east-1";
const SECRET = "whsec-e2e-canary-5c1d9a0b7e";
const TABLES = ["tenant_profile", "projects", "invoices"];
const ENTITIES: ControlPlane = {
  resource_servers: [{ identifier: "https://api.example.com", name: "Example API", scopes: [{ value: "read:projects", description: "" }] }],
  roles: [
    { name: "tenant-admin", description: "admin", permissions: [{ resource_server: "https://api.example.com", scopes: ["read:projects"] }] },
    { name: "tenant-member", description: "member", permissions: [] },
  ],
};
const fastIdentity = { retry: { baseDelayMs: 5, maxDelayMs: 20 } };

let server: Server;
let s3: TestS3;
let ah: AuthHeroServer;
let receiver: WebhookReceiver;
beforeAll(async () => {
  [server, s3, ah, receiver] = await Promise.all([startServer(), startS3([BUCKET, SHARED_BUCKET]), startAuthHero(), startWebhookReceiver()]);
  // The hooks' check() takes no options: the receiver on 127.0.0.1 is allowed the way the engine tests allow it.
  process.env[TEST_ONLY_LOOPBACK_ENV] = "1";
});
afterAll(async () => {
  delete process.env[TEST_ONLY_LOOPBACK_ENV];
  await Promise.all([server?.stop(), s3?.stop(), ah?.stop(), receiver?.stop()]);
});

const identityConnection = () => ({ url: ah.url, clientId: ah.clientId, clientSecret: ah.clientSecret, controlPlaneTenantId: ah.controlPlaneTenantId });

async function tableFingerprint(database: string, schema: string, tenantId: string) {
  const out: Record<string, { rows: number; md5: string }> = {};
  for (const table of TABLES) {
    const [row] = await server.query(
      `SELECT count(*)::int AS rows, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS md5 FROM ${schema}.${table} t WHERE tenant_id = $1`,
      [tenantId],
      database,
    );
    out[table] = row;
  }
  return out;
}

/** What @pulumi/postgresql does when the tenant's Schema, Grant, Database and Role resources are deleted. */
async function dropDatabaseResources(isolation: Isolation, id: string): Promise<void> {
  const role = naming.role(id);
  if (isolation === "database") await server.query(`DROP DATABASE IF EXISTS ${naming.database(id)} WITH (FORCE)`);
  if (isolation === "schema") {
    // Without CASCADE, like the Schema resource: TenantMigrations' delete has emptied it already.
    await server.query(`DROP SCHEMA IF EXISTS ${naming.schema(id)}`, [], naming.schemaDatabase);
    await server.query(`REVOKE CONNECT ON DATABASE ${naming.schemaDatabase} FROM ${role}`);
  }
  for (const db of ["postgres", naming.schemaDatabase, naming.sharedDatabase]) {
    await server.query(`REASSIGN OWNED BY ${role} TO ${server.pg.user}`, [], db);
    await server.query(`DROP OWNED BY ${role}`, [], db);
  }
  await server.query(`DROP ROLE ${role}`);
}

const tenantOf = (id: string): HookTenant => ({ id, name: "Acme Corporation", friendly_name: "Acme", plan: "pro", status: "active", cell: "eu-1", region: "eu-west-1", parent: null });

/**
 * One tenant's provider states, created in the engine's creation order (the right end of the chain
 * first), with the updates and the deletion steps the engine would run.
 */
async function onboard(isolation: Isolation, id: string, backupBucket = BUCKET) {
  let tenant = tenantOf(id);
  const deletedInputs = (t: HookTenant): DeletedHookInputs => ({ tenant: t, urls: [`${receiver.url}/deleted`], secret: SECRET });
  const deleted = await deletedHook.create(deletedInputs(tenant), { ca: receiver.ca, allowLoopback: true });
  let deletedState = deleted.outs;

  // Storage mode prefix: the application writes under the tenant's prefix; another tenant's objects sit next to them.
  const prefixInputs: TenantPrefixInputs = {
    tenantId: id,
    bucket: SHARED_BUCKET,
    region: s3.region,
    prefix: naming.storagePrefix(id),
    onDelete: "delete",
    endpoint: s3.endpoint,
    forcePathStyle: true,
    credentials: s3.credentials,
  };
  const storagePrefix = await tenantPrefix.create(prefixInputs);
  for (const key of [`${naming.storagePrefix(id)}avatar.png`, `${naming.storagePrefix(id)}exports/2026/11.csv`, `tenants/${id}x/neighbour.txt`]) {
    await s3.client.send(new PutObjectCommand({ Bucket: SHARED_BUCKET, Key: key, Body: key }));
  }

  const password = `pw-${id}-canary-1f2e`;
  for (const sql of provisionSql(isolation, id, password)) await server.query(sql);
  const target = { ...targetFor(server.admin, isolation, id), server: "main" };
  const set = migrationSet(3);
  const migrations = await tenantMigrations.create({ ...target, targetVersion: set.version, fingerprint: set.fingerprint });
  let seed = (await tenantSeed.create({ ...target, name: tenant.name, friendlyName: tenant.friendly_name, settings: { tier: "gold" } })).outs;
  const { password: adminPassword, ...adminConnection } = { ...server.admin, database: "postgres" };
  let suspension = (await tenantSuspension.create({ connection: adminConnection, password: adminPassword, role: naming.role(id), suspended: false })).outs;

  const { password: targetPassword, ...targetWithoutPassword } = target;
  const identityTenant = naming.identityTenant(id);
  await ah.createTenant(identityTenant, tenant.name);
  // The whole-tenant backup: database, the objects under its prefix, its configuration, its organization.
  const backupInputs: TenantBackupInputs = {
    target: targetWithoutPassword,
    password: targetPassword,
    store: { bucket: backupBucket, region: s3.region, endpoint: s3.endpoint, forcePathStyle: true },
    credentials: s3.credentials,
    onDelete: "backup",
    objects: { bucket: SHARED_BUCKET, prefix: naming.storagePrefix(id), region: s3.region, versioning: true, endpoint: s3.endpoint, forcePathStyle: true },
    identity: identityConnection(),
    configuration: { format: "tenancy-configuration/1", tenant: { id, settings: { tier: "gold" } } },
    retentionDays: 30,
  };
  const entities = await entitySync.create({ connection: identityConnection(), tenantId: id, entities: ENTITIES, fingerprint: entityFingerprint(ENTITIES) }, fastIdentity);
  const orgInputs = (t: HookTenant): OrganizationInputs => ({
    connection: identityConnection(),
    tenantId: id,
    displayName: t.name,
    metadata: { plan: t.plan, status: t.status, cell: t.cell },
    roles: ["tenant-member"],
    adminRole: "tenant-admin",
    admins: [`ops@${id}.example.com`],
  });
  let org = await organization.create(orgInputs(tenant), fastIdentity);
  const seeded = await identitySeed.create({ connection: identityConnection(), tenantId: id, hostnames: [`${id}.example.com`], admins: [`ops@${id}.example.com`] }, fastIdentity);
  let backup = await tenantBackup.create(backupInputs);

  const hookInputs = (t: HookTenant): LifecycleHookInputs => ({
    tenant: t,
    urls: { created: [`${receiver.url}/created`], updated: [`${receiver.url}/updated`], deleting: [`${receiver.url}/deleting`] },
    secret: SECRET,
  });
  const hooks = { ca: receiver.ca, allowLoopback: true };
  let hook = (await lifecycleHook.create(hookInputs(tenant), hooks)).outs;

  return {
    id,
    isolation,
    password,
    target,
    backupInputs,
    identityTenant,
    get tenant() {
      return tenant;
    },
    /** A change of the tenant file, applied along the chain (right end first, the LifecycleHook last). */
    async update(next: HookTenant) {
      deletedState = (await deletedHook.update(deleted.id, deletedState, deletedInputs(next), hooks)).outs;
      seed = (await tenantSeed.update(seed.tenantId, seed, { ...seed, name: next.name, friendlyName: next.friendly_name })).outs;
      const wantSuspended = next.status === "suspended";
      if (suspension.suspended !== wantSuspended) {
        const { terminated: _previous, ...inputs } = suspension;
        suspension = (await tenantSuspension.update("s", suspension, { ...inputs, suspended: wantSuspended })).outs;
      }
      org = { id: org.id, outs: (await organization.update(org.id, org.outs, orgInputs(next), fastIdentity)).outs };
      // The backup's suspendedMembers input is the Organization's output (components/tenant.ts): the engine updates it next.
      const closed = org.outs.suspendedMembers ? { suspendedMembers: org.outs.suspendedMembers } : {};
      backup = { id: backup.id, outs: (await tenantBackup.update(backup.id, backup.outs, { ...backupInputs, ...closed })).outs };
      hook = (await lifecycleHook.update("h", hook, hookInputs(next), hooks)).outs;
      tenant = next;
      return { terminated: suspension.terminated };
    },
    /** The deletion steps in the engine's order (left end of the chain first). */
    offboardSteps(): { name: string; run: () => Promise<unknown> }[] {
      return [
        { name: "deleting hook", run: () => lifecycleHook.delete("h", hook, hooks) },
        { name: "backup", run: () => tenantBackup.delete(backup.id, backup.outs) },
        { name: "identity seed", run: () => identitySeed.delete(seeded.id, seeded.outs, fastIdentity) },
        { name: "organization", run: () => organization.delete(org.id, org.outs, fastIdentity) },
        { name: "entity sync", run: () => entitySync.delete(entities.id, entities.outs, fastIdentity) },
        { name: "seed", run: () => tenantSeed.delete(seed.tenantId, seed) },
        { name: "migrations", run: () => tenantMigrations.delete(migrations.id, migrations.outs) },
        { name: "role and database", run: () => dropDatabaseResources(isolation, id) },
        { name: "objects under the prefix", run: () => tenantPrefix.delete(storagePrefix.id, storagePrefix.outs) },
        { name: "deleted hook", run: () => deletedHook.delete(deleted.id, deletedState, hooks) },
      ];
    },
  };
}
type Onboarded = Awaited<ReturnType<typeof onboard>>;

/**
 * Runs deletion steps as the engine does: in order, stopping at the first failure (a failed delete
 * leaves the resource and everything it depends on in place). Returns the index to resume from.
 */
async function runSteps(steps: { name: string; run: () => Promise<unknown> }[], from = 0): Promise<{ next: number; error?: Error }> {
  for (let i = from; i < steps.length; i++) {
    try {
      await steps[i].run();
    } catch (error) {
      return { next: i, error: error as Error };
    }
  }
  return { next: steps.length };
}

/** Every key under the prefix; none when the bucket is gone (the failing offboarding deletes it on purpose). */
async function allKeys(bucket: string, prefix: string): Promise<string[]> {
  try {
    return (await listVersions(s3.client, bucket, prefix)).versions.map((v) => v.key).sort();
  } catch (error) {
    if ((error as Error).name === "NoSuchBucket") return [];
    throw error;
  }
}

/** Every key of the tenant's verified backups: each part, each copied object, each manifest. */
async function backupParts(store: S3Store, id: string): Promise<Set<string>> {
  const parts = new Set<string>();
  for (const b of await listTenantBackups(store, id, s3.credentials)) {
    if (!b.verified) continue;
    const manifest = await backupManifest(store, b.key, s3.credentials);
    parts.add(`${b.key}manifest.json`);
    for (const record of Object.values(manifest.parts)) if (record) parts.add(record.key);
    const objects = await backupJson<ObjectsPart>(store, manifest, "objects", s3.credentials);
    for (const o of objects?.objects ?? []) if (o.part) parts.add(o.part.key);
  }
  return parts;
}

async function tenantData(t: Onboarded) {
  return tableFingerprint(t.target.database, t.target.schema, t.id);
}

/** Everything of the tenant that could be left behind, each with how many are left. */
async function orphanChecks(t: Onboarded) {
  const { id, identityTenant } = t;
  const checks: { where: string; what: string; left: number }[] = [];
  const check = async (where: string, what: string, count: () => Promise<number>) => checks.push({ where, what, left: await count() });
  const one = async (sql: string, params: unknown[], db = "postgres") => (await server.query(sql, params, db))[0].n as number;
  await check("postgres", `database ${naming.database(id)}`, () => one(`SELECT count(*)::int AS n FROM pg_database WHERE datname = $1`, [naming.database(id)]));
  await check("postgres", `role ${naming.role(id)}`, () => one(`SELECT count(*)::int AS n FROM pg_roles WHERE rolname = $1`, [naming.role(id)]));
  await check("postgres", `sessions of ${naming.role(id)}`, () => one(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1`, [naming.role(id)]));
  await check("postgres", `schema ${naming.schema(id)} in ${naming.schemaDatabase}`, () => one(`SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = $1`, [naming.schema(id)], naming.schemaDatabase));
  const sharedTables = (await server.query(`SELECT tablename FROM pg_tables WHERE schemaname = $1`, [naming.sharedSchema], naming.sharedDatabase)).map((r) => r.tablename as string);
  for (const table of sharedTables.filter((name) => name !== "schema_migrations")) {
    await check("postgres", `rows of ${id} in ${naming.sharedSchema}.${table}`, () => one(`SELECT count(*)::int AS n FROM ${naming.sharedSchema}.${table} WHERE tenant_id = $1`, [id], naming.sharedDatabase));
  }
  const mc = createManagementClient(identityConnection());
  await check("identity", `organization ${id} on the control plane`, async () => (await mc.listAll<{ name: string }>(ah.controlPlaneTenantId, "list", "/organizations")).filter((o) => o.name === id).length);
  await check("identity", `applications in ${identityTenant}`, async () => (await mc.listAll<unknown>(identityTenant, "list", "/clients")).length);
  await check("identity", `connections in ${identityTenant}`, async () => (await mc.listAll<unknown>(identityTenant, "list", "/connections")).length);
  await check("identity", `resource servers in ${identityTenant}`, async () => (await mc.listAll<unknown>(identityTenant, "list", "/resource-servers")).length);
  await check("identity", `roles in ${identityTenant}`, async () => (await mc.listAll<unknown>(identityTenant, "list", "/roles")).length);
  await check("identity", `users in ${identityTenant}`, async () => (await ah.data.users.list(identityTenant, {})).users.length);
  // Its backups stay: every key of it in the backups bucket is a part of a verified backup, as its manifest lists it.
  const keys = await allKeys(t.backupInputs.store.bucket, naming.backupsOf(id));
  const accounted = keys.length === 0 ? new Set<string>() : await backupParts(t.backupInputs.store, id);
  await check("s3", `objects of ${id} in the backups bucket that no verified backup's manifest lists`, async () => keys.filter((k) => !accounted.has(k)).length);
  await check("s3", `objects under ${naming.storagePrefix(id)} in the shared bucket`, async () =>
    ((await s3.client.send(new ListObjectsV2Command({ Bucket: SHARED_BUCKET, Prefix: naming.storagePrefix(id) }))).Contents ?? []).length,
  );
  console.log(
    `orphan check for ${id} (${t.isolation}):\n${checks.map((c) => `  ${c.left === 0 ? "none" : `${c.left} LEFT`}  ${c.where}: ${c.what}`).join("\n")}\n` +
      "  not checked: a bucket of its own, DNS record, certificate, custom hostnames (their providers need the Pulumi CLI's plugins);\n" +
      "  the identity tenant record itself (made by the AuthHero harness, not by a provider)",
  );
  return { checks, keys };
}

describe.each(MODES)("tenant lifecycle, isolation %s", (isolation) => {
  it("onboard -> update -> suspend -> resume -> offboard leaves nothing but a restorable backup", async () => {
    const id = `e2e-${isolation}`;
    const t = await onboard(isolation, id);
    const events = () => receiver.requests.filter((r) => JSON.parse(r.body).tenant.id === id);

    // The tenant uses its database.
    const session = await server.tenantClient(isolation, id, t.password);
    session.on("error", () => undefined);
    await session.query(`SET search_path TO ${t.target.schema}`);
    await session.query(`INSERT INTO projects (name) SELECT 'project ' || g FROM generate_series(1, 40) g`);
    await session.query(`INSERT INTO invoices (project_id, amount_cents, currency) SELECT id, id * 250, 'EUR' FROM projects`);

    // update: rename and change plan
    await t.update({ ...t.tenant, name: "Acme Inc.", plan: "enterprise" });
    const [profile] = await server.query(`SELECT name FROM ${t.target.schema}.tenant_profile WHERE tenant_id = $1`, [id], t.target.database);
    expect(profile.name).toBe("Acme Inc.");

    // suspend: the open session ends, logins are refused, the organization says so
    const before = await tenantData(t);
    expect(await t.update({ ...t.tenant, status: "suspended" })).toEqual({ terminated: 1 });
    await expect(session.query("SELECT 1")).rejects.toThrow();
    await expect(server.tenantClient(isolation, id, t.password)).rejects.toThrow(/not permitted to log in/);
    const orgs = await createManagementClient(identityConnection()).listAll<{ id: string; name: string; metadata: Record<string, string> }>(ah.controlPlaneTenantId, "list", "/organizations");
    expect(orgs.find((o) => o.name === id)?.metadata.status).toBe("suspended");
    // ... and keeps no member, so AuthHero issues nobody a token for it (org-suspension.ts).
    const orgId = orgs.find((o) => o.name === id)!.id;
    const orgMembers = () => createManagementClient(identityConnection()).listAll<{ email: string }>(ah.controlPlaneTenantId, "list", `/organizations/${orgId}/members`);
    expect(await orgMembers()).toEqual([]);

    // resume: the tenant is back to untouched data
    await t.update({ ...t.tenant, status: "active" });
    const back = await server.tenantClient(isolation, id, t.password);
    await back.query(`SET search_path TO ${t.target.schema}`);
    expect((await back.query(`SELECT count(*)::int AS n FROM projects`)).rows[0].n).toBe(40);
    await back.end();
    expect(await tenantData(t)).toEqual(before);
    expect((await orgMembers()).map((m) => m.email)).toEqual([`ops@${id}.example.com`]);
    expect(before).toMatchObject({ tenant_profile: { rows: 1 }, projects: { rows: 40 }, invoices: { rows: 40 } });

    // offboard
    const objectsBefore = (await listVersions(s3.client, SHARED_BUCKET, naming.storagePrefix(id))).versions;
    expect(await runSteps(t.offboardSteps())).toEqual({ next: 10 });
    const { checks, keys } = await orphanChecks(t);
    expect(checks.filter((c) => c.left !== 0)).toEqual([]);
    expect(checks.length).toBeGreaterThanOrEqual(isolation === "shared" ? 16 : 12);
    expect(keys.length).toBeGreaterThan(0);
    // The neighbour whose id extends this one keeps its objects.
    expect(((await s3.client.send(new ListObjectsV2Command({ Bucket: SHARED_BUCKET, Prefix: `tenants/${id}x/` }))).Contents ?? []).map((o) => o.Key)).toEqual([`tenants/${id}x/neighbour.txt`]);

    // the backup restores to the data as it was, and holds the objects and the organization
    const [key] = await listBackups(t.backupInputs.store, id, s3.credentials);
    const [whole] = await listTenantBackups(t.backupInputs.store, id, s3.credentials);
    expect(key).toBe(`${whole.key}database.dump`);
    const manifest = await backupManifest(t.backupInputs.store, whole.key, s3.credentials);
    expect(manifest).toMatchObject({ tenant: id, reason: "offboarding", objects: 2, missing: {} });
    expect(keys.length).toBe(2 + 1 + 1 + 1 + 1 + 2);
    const objects = await backupJson<ObjectsPart>(t.backupInputs.store, manifest, "objects", s3.credentials);
    expect(objects!.objects.map((o) => [o.key, o.etag])).toEqual(objectsBefore.map((o) => [o.key.slice(naming.storagePrefix(id).length), o.etag]));
    const identity = await backupJson<IdentitySnapshot>(t.backupInputs.store, manifest, "identity", s3.credentials);
    expect(identity!.organization).toMatchObject({ name: id, display_name: "Acme Inc." });
    expect(identity!.members).toEqual([{ email: `ops@${id}.example.com`, roles: ["tenant-admin", "tenant-member"] }]);
    const scratch = `restore_e2e_${isolation}`;
    await server.query(`CREATE DATABASE ${scratch}`);
    const metadata = await restoreBackup({ store: t.backupInputs.store, credentials: s3.credentials, key, into: { ...server.admin, database: scratch } });
    expect(metadata).toMatchObject({ tenant: id, isolation, migrationVersion: 3 });
    expect(await tableFingerprint(scratch, t.target.schema, id)).toEqual(before);
    console.log(`backup ${key} (${metadata.size} bytes) restored into ${scratch}: ${TABLES.map((name) => `${name} ${before[name].rows} rows`).join(", ")}, checksums equal`);

    // the hooks, in order, all signed
    const received = events();
    for (const r of received) expect(verifySignature({ keys: [webhookKey(SECRET, JSON.parse(r.body).tenant.id)], header: r.headers["x-tenancy-signature"] as string, body: r.body }).ok).toBe(true);
    expect(received.map((r) => `${JSON.parse(r.body).event}:${JSON.parse(r.body).tenant.status}`)).toEqual([
      "created:active",
      "updated:active",
      "updated:suspended",
      "updated:active",
      "deleting:active",
      "deleted:active",
    ]);
    expect(JSON.parse(received[1].body).tenant).toMatchObject({ name: "Acme Inc.", plan: "enterprise" });
  });
});

describe("offboarding a suspended tenant", () => {
  it("the backup keeps the members the suspension took out of the organization, marked suspended", async () => {
    const id = "e2e-suspended";
    const t = await onboard("shared", id);
    await t.update({ ...t.tenant, status: "suspended" });
    const mc = createManagementClient(identityConnection());
    const org = (await mc.listAll<{ id: string; name: string }>(ah.controlPlaneTenantId, "list", "/organizations")).find((o) => o.name === id)!;
    expect(await mc.listAll(ah.controlPlaneTenantId, "list", `/organizations/${org.id}/members`)).toEqual([]);

    expect(await runSteps(t.offboardSteps())).toEqual({ next: 10 });
    const [whole] = await listTenantBackups(t.backupInputs.store, id, s3.credentials);
    const manifest = await backupManifest(t.backupInputs.store, whole.key, s3.credentials);
    expect(manifest.missing).toEqual({});
    const identity = await backupJson<IdentitySnapshot>(t.backupInputs.store, manifest, "identity", s3.credentials);
    expect(identity!.organization?.metadata.status).toBe("suspended");
    expect(identity!.members).toEqual([{ email: `ops@${id}.example.com`, roles: ["tenant-admin", "tenant-member"], suspended: true }]);
  });
});

describe("offboarding that fails", () => {
  it("a refused deleting hook deletes nothing; a failed backup drops no data; reruns converge", async () => {
    const bucket = "tenancy-backups-flaky";
    await s3.client.send(new CreateBucketCommand({ Bucket: bucket }));
    const id = "e2e-failing";
    const t = await onboard("database", id, bucket);
    const admin = await server.tenantClient("database", id, t.password);
    await admin.query(`INSERT INTO projects (name) VALUES ('keep me')`);
    await admin.end();
    const before = await tenantData(t);
    const steps = t.offboardSteps();

    // 1. The deleting hook's receiver refuses: nothing at all is deleted.
    receiver.respond = (r) => (r.path === "/deleting" ? 422 : 200);
    const first = await runSteps(steps);
    expect(first.next).toBe(0);
    expect(first.error?.message).toMatch(/deleting webhook of tenant e2e-failing failed .*HTTP 422 .*Nothing of tenant e2e-failing was deleted/);
    expect((await orphanChecks(t)).checks.filter((c) => c.left > 0).map((c) => c.what)).toEqual(
      expect.arrayContaining([`database ${naming.database(id)}`, `role ${naming.role(id)}`, `organization ${id} on the control plane`, `applications in ${id}`, `objects under tenants/${id}/ in the shared bucket`]),
    );

    // 2. The receiver is fixed but the backups bucket is gone: the backup fails first, so the
    //    organization, the data and the objects all stay.
    receiver.respond = () => 200;
    await s3.client.send(new DeleteBucketCommand({ Bucket: bucket }));
    const second = await runSteps(steps, first.next);
    expect(steps[second.next].name).toBe("backup");
    expect(second.error?.message).toMatch(/backup of tenant e2e-failing failed, so nothing of it was deleted: backup bucket s3:\/\/tenancy-backups-flaky .* does not exist/);
    expect(await tenantData(t)).toEqual(before);
    expect((await orphanChecks(t)).checks.filter((c) => c.left > 0).map((c) => c.what)).toEqual(
      expect.arrayContaining([`database ${naming.database(id)}`, `organization ${id} on the control plane`, `objects under tenants/${id}/ in the shared bucket`]),
    );

    // 3. The bucket is back: the rerun takes the backup and finishes the deletion.
    await s3.client.send(new CreateBucketCommand({ Bucket: bucket }));
    expect(await runSteps(steps, second.next)).toEqual({ next: steps.length });
    const { checks } = await orphanChecks(t);
    expect(checks.filter((c) => c.left !== 0)).toEqual([]);
    expect(await listBackups(t.backupInputs.store, id, s3.credentials)).toHaveLength(1);
    const deliveries = receiver.requests.filter((r) => JSON.parse(r.body).tenant.id === id).map((r) => `${JSON.parse(r.body).event}`);
    // The refused delivery, then the accepted one on the rerun; `deleted` once, at the very end.
    expect(deliveries).toEqual(["created", "deleting", "deleting", "deleted"]);
  });
});
