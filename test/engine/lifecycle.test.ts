// A cell's life under the real Pulumi engine, against the real services: onboarding three tenants
// (one per isolation mode, both storage modes, a child tenant), no-op runs, a change of provider
// code, rename, suspend and resume, a migration for one ring, drift and refresh, offboarding in the
// documented order with a backup that restores, and the stack destroyed with nothing left behind.
// Steps run in order on one stack; each asserts on the exported state and on the services.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { deployFailures, parseEventLog } from "../../lib/cells/deploy-report";
import type { BackupConfiguration } from "../../lib/lifecycle/places";
import { backupJson, backupManifest, listTenantBackups } from "../../providers/backup/history";
import type { IdentitySnapshot } from "../../providers/backup/identity";
import { listBackups, restoreBackup } from "../../providers/backup/restore";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DELETION_STAGES, deletionOrderProblems, stageOf } from "../../lib/lifecycle/order";
import { naming } from "../../lib/naming";
import { readOrganizationStates } from "../../lib/operate/stack-state";
import { catalogFiles, defaults, hooks, withTenant, type Catalog } from "./catalog";
import { BACKUP_BUCKET, BUCKET_PREFIX, CANARY, startServices, type EngineServices } from "./services";
import { EngineProject, EngineStack, tenantResources } from "./stack";
import {
  adminQuery,
  databaseExists,
  databaseOf,
  applicationTables,
  fingerprint,
  organizationOf,
  resourceServersIn,
  roleExists,
  rolesIn,
  schemaExists,
  schemaOf,
  tenantClient,
  writeApplicationData,
  type Isolation,
} from "./tenant-data";

const CELL = "eu-1";
/** Each tenant with the migration version its ring allows (canary 3, stable 2). */
const TENANTS: Array<{ id: string; isolation: Isolation; version: number }> = [
  { id: "alpha", isolation: "database", version: 3 },
  { id: "alpha-lab", isolation: "schema", version: 2 },
  { id: "gamma", isolation: "shared", version: 2 },
];

let services: EngineServices;
let project: EngineProject;
let stack: EngineStack;
let catalog: Catalog;

function initialCatalog(receiverUrl: string): Catalog {
  return {
    defaults: defaults(CELL, { canary: 3, stable: 2 }),
    tenants: [
      {
        id: "alpha",
        name: "Alpha Industries",
        plan: "enterprise",
        database: { isolation: "database", server: "main" },
        storage: { mode: "bucket", versioning: true, noncurrent_days: 30 },
        access: { admins: ["ops@alpha.example"], roles: [] },
        rollout: { ring: "canary" },
        hooks: hooks(receiverUrl, "alpha"),
      },
      { id: "alpha-lab", name: "Alpha Lab", parent: "alpha", database: { isolation: "schema", server: "main" }, hooks: hooks(receiverUrl, "alpha-lab") },
      { id: "gamma", name: "Gamma Co", database: { isolation: "shared", server: "main" }, hooks: hooks(receiverUrl, "gamma") },
    ],
  };
}

async function deploy(next: Catalog, flags?: string[]) {
  catalog = next;
  project.writeCatalog(catalogFiles(catalog));
  return stack.up(flags);
}

const received = (path: string) => services.receiver.requests.filter((r) => r.path === path);

const probeFile = () => join(project.dir, "..", "probe.log");

async function passwordOf(id: string): Promise<string> {
  return (await stack.outputs()).tenants[id].password;
}

beforeAll(async () => {
  services = await startServices();
  catalog = initialCatalog(services.receiver.url);
  await services.prepare(TENANTS.map((t) => t.id), CELL, ["us-east-1"]);
  project = new EngineProject({ catalog: catalogFiles(catalog), env: services.env });
  project.env.TENANCY_PROBE_FILE = probeFile();
  stack = await EngineStack.create(project, CELL, services.config());
}, 600_000);

afterAll(async () => {
  project?.dispose();
  await services?.stop();
});

describe("a cell under the real engine", { timeout: 600_000 }, () => {
  it("onboards: preview shows the creates, up makes every object, migrations follow the rings", async () => {
    const preview = await stack.preview();
    expect(preview.stdout).toMatch(/\+ .*tenancy:index:Tenant/);
    await stack.up();

    for (const { id, isolation, version } of TENANTS) {
      expect(await roleExists(services, id)).toEqual({ exists: true, login: true });
      if (isolation === "database") expect(await databaseExists(services, naming.database(id))).toBe(true);
      if (isolation === "schema") expect(await schemaExists(services, naming.schemaDatabase, naming.schema(id))).toBe(true);
      const client = await tenantClient(services, isolation, id, await passwordOf(id));
      try {
        const { rows } = await client.query(`SELECT name FROM tenant_profile`);
        expect(rows.map((r) => r.name)).toHaveLength(1);
        await writeApplicationData(client, 3, version);
      } finally {
        await client.end();
      }
      expect(await organizationOf(services, id)).toBeDefined();
      expect(await rolesIn(services, naming.identityTenant(id))).toEqual(expect.arrayContaining(["tenant-admin", "tenant-member"]));
      expect(await resourceServersIn(services, naming.identityTenant(id))).toContain("https://api.e2e.example.com");
      expect(received(`/${id}/created`)).toHaveLength(1);
    }
    // The canary ring is capped at 3, the stable ring at 2: alpha has invoices, alpha-lab's schema does not.
    const version = async (isolation: Isolation, id: string) =>
      (await adminQuery(services, `SELECT max(version)::int AS v FROM ${schemaOf(isolation, id)}.schema_migrations`, [], databaseOf(isolation, id)))[0].v;
    expect(await version("database", "alpha")).toBe(3);
    expect(await version("schema", "alpha-lab")).toBe(2);
  });

  it("keeps the state lean: every dynamic resource's provider is a small loader", async () => {
    const resources = await stack.resources();
    const dynamic = resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic"));
    expect(dynamic.length).toBeGreaterThan(20);
    for (const r of dynamic) expect(String(r.outputs?.__provider ?? "").length, r.urn).toBeLessThan(512);
  });

  it("a second up with nothing changed is a no-op", async () => {
    await stack.preview(["--expect-no-changes"]);
    await stack.up(["--skip-preview", "--expect-no-changes"]);
  });

  it("a change of provider code alone is a no-op for the state; the delete of a resource made before it runs the new code", async () => {
    // The seed's delete path gains a line that records each call: no input or loader text changes.
    project.edit("providers/postgres/seed.ts", (text) => {
      const changed = text.replace(/async delete\(_id, props\) \{/, (head) => `${head}\n    require("node:fs").appendFileSync(process.env.TENANCY_PROBE_FILE, \`seed delete \${props.tenantId}\\n\`);`);
      expect(changed).not.toBe(text);
      return changed;
    });
    await stack.up(["--skip-preview", "--expect-no-changes"]);
    expect(existsSync(probeFile())).toBe(false);
  });

  it("renames a tenant: the profile row and the organization follow, nothing is replaced", async () => {
    const up = await deploy(withTenant(catalog, "gamma", (t) => ({ ...t, name: "Gamma Corporation" })));
    expect(up.stdout).not.toMatch(/replaced/);
    const client = await tenantClient(services, "shared", "gamma", await passwordOf("gamma"));
    try {
      expect((await client.query(`SELECT name FROM tenant_profile`)).rows).toEqual([{ name: "Gamma Corporation" }]);
    } finally {
      await client.end();
    }
    expect((await organizationOf(services, "gamma"))?.display_name).toMatch(/Gamma Corporation/);
  });

  it("suspends and resumes a tenant: logins stop and come back, data untouched", async () => {
    const password = await passwordOf("gamma");
    const before = await (async () => {
      const c = await tenantClient(services, "shared", "gamma", password);
      try {
        return await fingerprint(c, applicationTables(2));
      } finally {
        await c.end();
      }
    })();
    await deploy(withTenant(catalog, "gamma", (t) => ({ ...t, status: "suspended" })));
    expect(await roleExists(services, "gamma")).toEqual({ exists: true, login: false });
    await expect(tenantClient(services, "shared", "gamma", password)).rejects.toThrow(/not permitted to log in/);
    // The members the suspension took out reach the TenantBackup as an input, and `tenancy backup` reads them from the state.
    const suspendedState = async () => {
      const resources = await stack.resources();
      const of = (kind: string) => resources.find((r) => r.type === `pulumi-nodejs:dynamic/tenancy:${kind}` && r.urn.endsWith(`::gamma-${kind === "Organization" ? "organization" : "backup"}`));
      return { org: of("Organization")?.outputs, backup: of("TenantBackup")?.outputs };
    };
    const suspended = await suspendedState();
    expect(suspended.org?.suspendedMembers).toBeDefined();
    expect(suspended.backup?.suspendedMembers).toEqual(suspended.org?.suspendedMembers);
    expect(readOrganizationStates(CELL, { cwd: project.dir, pulumi: project.engine.pulumi, env: project.commandEnv() }).get("gamma")).toEqual({
      name: "gamma",
      suspendedMembers: suspended.org?.suspendedMembers,
    });
    await deploy(withTenant(catalog, "gamma", (t) => ({ ...t, status: "active" })));
    expect((await suspendedState()).backup?.suspendedMembers).toBeUndefined();
    const c = await tenantClient(services, "shared", "gamma", password);
    try {
      expect(await fingerprint(c, applicationTables(2))).toEqual(before);
    } finally {
      await c.end();
    }
  });

  it("a new migration reaches the canary ring only", async () => {
    project.write("migrations/0004_labels.sql", "CREATE TABLE labels (tenant_id text NOT NULL DEFAULT current_tenant_id(), name text NOT NULL, PRIMARY KEY (tenant_id, name));\n");
    project.write("migrations/0004_labels.down.sql", "DROP TABLE labels;\n");
    await deploy({ ...catalog, defaults: defaults(CELL, { canary: 4, stable: 2 }) });
    expect(await adminQuery(services, `SELECT to_regclass('${naming.schema("alpha")}.labels') IS NOT NULL AS present`, [], naming.database("alpha"))).toEqual([{ present: true }]);
    expect(
      await adminQuery(services, `SELECT to_regclass('${naming.schema("alpha-lab")}.labels') IS NOT NULL AS present`, [], naming.schemaDatabase),
    ).toEqual([{ present: false }]);
  });

  it("refresh shows drift made out of band; up makes a deleted organization again and refuses to paper over a dropped table", async () => {
    const labels = `${naming.schema("alpha")}.labels`;
    await adminQuery(services, `ALTER TABLE ${labels} RENAME TO labels_kept`, [], naming.database("alpha"));
    // gamma does not depend on alpha (alpha-lab, its child, does): its repair goes ahead while alpha fails.
    const org = await organizationOf(services, "gamma");
    await services.authhero.data.organizations.remove(services.authhero.controlPlaneTenantId, org!.id);
    const refresh = await stack.refresh(["--diff"]);
    expect(refresh.stdout).toMatch(/alpha-migrations[\s\S]*drift[\s\S]*tables labels of tenant alpha, made by its migrations, were dropped outside Pulumi/);
    expect(refresh.stdout).toMatch(/- pulumi-nodejs:dynamic\/tenancy:Organization: \(delete\)\s+\[id=[^\]]+\]\s+\[urn=[^\]]+gamma-organization\]/);
    // The organization holds no data of its own: up makes it again. The table held data: up stops
    // for alpha and says so. As the deploy job runs it, one failing tenant does not stop the others.
    const refused = await stack.up(["--skip-preview", "--continue-on-error", "--event-log", `${project.dir}/drift.jsonl`], false);
    expect(refused.code).not.toBe(0);
    expect(refused.output).toMatch(/tables labels of tenant alpha, made by its migrations, were dropped outside Pulumi: restore them/);
    expect(await organizationOf(services, "gamma")).toBeDefined();
    const report = deployFailures(parseEventLog(readFileSync(join(project.dir, "drift.jsonl"), "utf8")));
    expect(Object.keys(report.tenants)).toEqual(["alpha"]);
    expect(report.tenants.alpha.join("\n")).toMatch(/tables labels of tenant alpha, made by its migrations, were dropped outside Pulumi/);
    expect(report.cell).toEqual([]);
    // Restored by hand, the next refresh and up converge.
    await adminQuery(services, `ALTER TABLE ${naming.schema("alpha")}.labels_kept RENAME TO labels`, [], naming.database("alpha"));
    await stack.refresh();
    await stack.up();
    await stack.preview(["--expect-no-changes"]);
  });

  it("offboards an unprotected tenant in the documented order, with a backup that restores, and leaves nothing of it behind", async () => {
    const resourcesBefore = tenantResources(await stack.resources(), "gamma");
    expect(deletionOrderProblems(resourcesBefore.map((r) => ({ urn: r.urn, type: r.type, dependencies: r.dependencies ?? [] })))).toEqual([]);
    // What the application left: rows (read as the tenant) and objects under its prefix, beside a neighbour's.
    const client = await tenantClient(services, "shared", "gamma", await passwordOf("gamma"));
    const rows = await fingerprint(client, ["tenant_profile", ...applicationTables(2)]).finally(() => client.end());
    const shared = naming.sharedBucket(BUCKET_PREFIX, CELL, "us-east-1");
    for (const key of [`${naming.storagePrefix("gamma")}avatar.png`, `${naming.storagePrefix("gamma")}exports/2026.csv`, `${naming.storagePrefix("alpha-lab")}keep.txt`]) {
      await services.s3.client.send(new PutObjectCommand({ Bucket: shared, Key: key, Body: key }));
    }

    await deploy(withTenant(catalog, "gamma", () => undefined), ["--skip-preview", "--event-log", `${project.dir}/events.jsonl`]);

    // The engine's own record: every delete of a stage before any of the next stage, all stages present.
    const stages = project
      .events("events.jsonl")
      .filter((e) => e.resOutputsEvent?.metadata?.op === "delete")
      .map((e) => DELETION_STAGES.indexOf(stageOf(e.resOutputsEvent.metadata.type)!))
      .filter((i) => i >= 0);
    expect(stages).toEqual([...stages].sort((a, b) => a - b));
    expect(new Set(stages).size).toBe(DELETION_STAGES.length);
    expect(received("/gamma/deleting")).toHaveLength(1);
    expect(received("/gamma/deleted")).toHaveLength(1);
    // Created before the change of its provider's code, deleted with the new code.
    expect(readFileSync(probeFile(), "utf8")).toBe("seed delete gamma\n");

    // The backup restores to the rows the tenant had.
    const store = { bucket: BACKUP_BUCKET, region: services.s3.region, endpoint: services.s3.endpoint, forcePathStyle: true };
    const backups = await listBackups(store, "gamma", services.s3.credentials);
    expect(backups).toHaveLength(1);
    // A whole-tenant backup: its objects, its configuration and its organization too, verified.
    const [whole] = await listTenantBackups(store, "gamma", services.s3.credentials);
    const manifest = await backupManifest(store, whole.key, services.s3.credentials);
    expect(manifest).toMatchObject({ tenant: "gamma", reason: "offboarding", objects: 2, missing: {} });
    const identity = await backupJson<IdentitySnapshot>(store, manifest, "identity", services.s3.credentials);
    expect(identity?.organization?.name).toBe("gamma");
    const configuration = await backupJson<BackupConfiguration>(store, manifest, "configuration", services.s3.credentials);
    expect(configuration?.tenant.id).toBe("gamma");
    await adminQuery(services, `CREATE DATABASE restored_gamma`);
    const { host, port, user, password } = services.pg;
    await restoreBackup({ store, credentials: services.s3.credentials, key: backups[0], into: { host, port, user, password, database: "restored_gamma", sslmode: "disable" } });
    const restored = await services.pg.adminClient("restored_gamma");
    await restored.query(`SET search_path = ${naming.sharedSchema}`);
    expect(await fingerprint(restored, ["tenant_profile", ...applicationTables(2)]).finally(() => restored.end())).toEqual(rows);

    // Orphan scan: nothing of gamma in PostgreSQL, the S3 server or AuthHero; the neighbour's object stays.
    expect(await roleExists(services, "gamma")).toEqual({ exists: false, login: false });
    for (const table of ["tenant_profile", ...applicationTables(2)]) {
      expect(await adminQuery(services, `SELECT count(*)::int AS n FROM ${naming.sharedSchema}.${table} WHERE tenant_id = 'gamma'`, [], naming.sharedDatabase)).toEqual([{ n: 0 }]);
    }
    expect(await adminQuery(services, `SELECT count(*)::int AS n FROM ${naming.sharedSchema}.tenant_roles WHERE tenant_id = 'gamma'`, [], naming.sharedDatabase)).toEqual([{ n: 0 }]);
    const left = await services.s3.client.send(new ListObjectsV2Command({ Bucket: shared }));
    expect((left.Contents ?? []).map((o) => o.Key)).toEqual([`${naming.storagePrefix("alpha-lab")}keep.txt`]);
    expect(await organizationOf(services, "gamma")).toBeUndefined();
    expect(await rolesIn(services, naming.identityTenant("gamma"))).toEqual([]);
    expect(await resourceServersIn(services, naming.identityTenant("gamma"))).toEqual([]);
  });

  it("keeps every secret encrypted: the canary is nowhere in state or in anything the CLI printed", async () => {
    const state = await stack.exportText();
    const secrets = [CANARY, services.pg.password, services.authhero.clientSecret, await passwordOf("alpha")];
    for (const secret of secrets) {
      expect(state).not.toContain(secret);
      expect(project.transcript).not.toContain(secret);
    }
    // The secrets are there, encrypted: the stack holds them as ciphertext.
    expect(state).toMatch(/"ciphertext":/);
  });

  it("destroy leaves nothing behind", async () => {
    // Protection is off for every tenant of this catalog; destroy runs the same deletion chain.
    await stack.destroy();
    for (const { id } of TENANTS) {
      expect(await roleExists(services, id)).toEqual({ exists: false, login: false });
      expect(await organizationOf(services, id)).toBeUndefined();
    }
    expect(await databaseExists(services, naming.database("alpha"))).toBe(false);
    expect(await schemaExists(services, naming.schemaDatabase, naming.schema("alpha-lab"))).toBe(false);
    expect(await stack.resources()).toEqual([]);
  });
});
