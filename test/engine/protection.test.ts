// Where the engine's sequencing used to destroy data, run through the real engine: a database
// server reached at a new address, a protected tenant's move, and the file of a deletion-protected
// tenant removed and deployed as the deploy job runs it (`up --skip-preview`). Moves themselves:
// move.test.ts.
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { naming } from "../../lib/naming";
import { TENANT_MOVE } from "../../providers/kit";
import { deployCell, type CellTenant, type DeployedCell } from "./cell";
import { catalogFiles, defaults, hooks, withTenant, type Catalog } from "./catalog";
import { BACKUP_BUCKET, type EngineServices } from "./services";
import { EngineProject, EngineStack, tenantResources, type StateResource } from "./stack";
import { applicationTables, databaseExists, fingerprint, organizationOf, roleExists, schemaExists, tenantClient } from "./tenant-data";

const CELL = "eu-2";
const TENANTS: CellTenant[] = [
  { id: "delta", isolation: "database" },
  { id: "sigma", isolation: "schema" },
  { id: "omega", isolation: "shared" },
];
const TABLES = ["tenant_profile", ...applicationTables(3)];

let cell: DeployedCell;
let services: EngineServices;
let project: EngineProject;
let stack: EngineStack;
let catalog: Catalog;
let passwords: Record<string, string>;

function initialCatalog(receiverUrl: string): Catalog {
  return {
    defaults: defaults(CELL, { canary: 3, stable: 3 }),
    tenants: [
      {
        id: "delta",
        name: "Delta Bank",
        database: { isolation: "database", server: "main" },
        storage: { mode: "bucket", versioning: true, noncurrent_days: 30 },
        access: { admins: ["ops@delta.example"], roles: [] },
        lifecycle: { deletion_protection: true, on_delete: "backup" },
        hooks: hooks(receiverUrl, "delta"),
      },
      { id: "sigma", name: "Sigma Labs", database: { isolation: "schema", server: "main" }, hooks: hooks(receiverUrl, "sigma") },
      { id: "omega", name: "Omega Retail", database: { isolation: "shared", server: "main" } },
    ],
  };
}

async function deploy(next: Catalog, flags?: string[], check = true) {
  catalog = next;
  project.writeCatalog(catalogFiles(catalog));
  return stack.up(flags, check);
}

/** Each tenant's rows as the tenant reads them. */
const allData = (host?: string) => cell.data(TABLES, host);

/** The URNs of resources (providers left out: the engine registers one for a new server even when the run then fails). */
const urns = (resources: StateResource[]) => resources.filter((r) => !r.type.startsWith("pulumi:providers:")).map((r) => r.urn).sort();

beforeAll(async () => {
  cell = await deployCell(CELL, (s) => (catalog = initialCatalog(s.receiver.url)), TENANTS, { projects: 4, version: 3 });
  ({ services, project, stack, passwords } = cell);
}, 600_000);

afterAll(async () => {
  await cell?.dispose();
});

describe("data the engine's sequencing must not destroy", { timeout: 600_000 }, () => {
  it("a database server reached at a new address is the same server: updates only, every row kept", async () => {
    const before = await allData();
    expect(Object.values(before).every((t) => (t as Record<string, { rows: number }>).projects.rows === 4)).toBe(true);
    stack.setConfig((config) => (config.databaseServers.main.host = "localhost"));
    const preview = await stack.preview();
    expect(preview.stdout).toMatch(/~ \d+ to update/);
    expect(preview.stdout).not.toMatch(/to replace|to delete|to create/);
    const up = await stack.up();
    expect(up.stdout).not.toMatch(/replaced|deleted/);
    expect(await allData("localhost")).toEqual(before);
    for (const { id } of TENANTS) expect(await roleExists(services, id)).toEqual({ exists: true, login: true });
    expect(await schemaExists(services, naming.schemaDatabase, naming.schema("sigma"))).toBe(true);
    await stack.preview(["--expect-no-changes"]);
  });

  it("a new tenant whose identity tenant record does not exist is stopped by preview, which names the step to take", async () => {
    // No authhero.createTenant for "nuvo": the operator has not made its record yet.
    const resources = urns(await stack.resources());
    project.writeCatalog(catalogFiles({ ...catalog, tenants: [...catalog.tenants, { id: "nuvo", name: "Nuvo Health", database: { isolation: "shared", server: "main" } }] }));
    const preview = await stack.preview([], false);
    expect(preview.code).not.toBe(0);
    expect(preview.output).toMatch(/identity tenant "nuvo" does not exist on http:\/\/127\.0\.0\.1:\d+\. create the tenant record "nuvo" on the identity server/);
    expect(urns(await stack.resources())).toEqual(resources);
    project.writeCatalog(catalogFiles(catalog));
    await stack.preview(["--expect-no-changes"]);
  });

  it("a protected tenant's move is refused by preview before anything runs, and nothing changes", async () => {
    // delta is protected: a move ends with the engine deleting its old place's resources, which
    // protection refuses, so its data resources carry no move guard and refuse the change (kit MOVE_GUARD).
    const before = await allData("localhost");
    const resources = urns(await stack.resources());
    const moved = withTenant(catalog, "delta", (t) => ({ ...t, database: { isolation: "schema", server: "main" } }));
    project.writeCatalog(catalogFiles(moved));
    const preview = await stack.preview([], false);
    expect(preview.code).not.toBe(0);
    expect(preview.output).toContain(`isolation "database" -> "schema"`);
    expect(preview.output).toContain(TENANT_MOVE);
    expect(await allData("localhost")).toEqual(before);
    expect(urns(await stack.resources())).toEqual(resources);
    expect(await databaseExists(services, naming.database("delta"))).toBe(true);
    project.writeCatalog(catalogFiles(catalog));
    await stack.preview(["--expect-no-changes"]);
  });

  it("a stack file naming another cell or catalog directory is refused, by preview and by up, and nothing changes", async () => {
    const resources = urns(await stack.resources());
    for (const [key, value, message] of [
      ["cell", "eu-9", `tenancy:cell: "eu-9" is not this stack's name "${CELL}"`],
      ["tenantsDir", "other", "tenancy:tenantsDir: the catalog is always tenants/ beside Pulumi.yaml"],
    ]) {
      stack.setConfig((config) => (config[key] = value));
      for (const run of [() => stack.preview([], false), () => stack.up(["--skip-preview"], false)]) {
        const result = await run();
        expect(result.code).not.toBe(0);
        expect(result.output).toContain(message);
      }
      expect(urns(await stack.resources())).toEqual(resources);
      stack.setConfig((config) => delete config[key]);
    }
    await stack.preview(["--expect-no-changes"]);
  });

  it("removing a protected tenant's file stops before any side effect, with or without a preview", async () => {
    const all = await stack.resources();
    const delta = tenantResources(all, "delta");
    // Every resource of the tenant is protected, so whichever delete the engine schedules first fails.
    expect(delta.filter((r) => r.type !== "tenancy:index:Tenant" && !r.protect).map((r) => r.urn)).toEqual([]);
    const removed = withTenant(catalog, "delta", () => undefined);
    project.writeCatalog(catalogFiles(removed));
    const preview = await stack.preview([], false);
    expect(preview.code).not.toBe(0);
    expect(preview.output).toMatch(/marked for protection|protected/);
    // As the deploy job runs it: no preview of its own.
    const up = await stack.up(["--skip-preview"], false);
    expect(up.code).not.toBe(0);
    expect(up.output).toMatch(/marked for protection|protected/);
    expect(urns(tenantResources(await stack.resources(), "delta"))).toEqual(urns(delta));
    expect(services.receiver.requests.filter((r) => r.path.startsWith("/delta/deleting") || r.path.startsWith("/delta/deleted"))).toEqual([]);
    expect(await roleExists(services, "delta")).toEqual({ exists: true, login: true });
    expect(await databaseExists(services, naming.database("delta"))).toBe(true);
    expect(await organizationOf(services, "delta")).toBeDefined();
    const backups = await services.s3.client.send(new ListObjectsV2Command({ Bucket: BACKUP_BUCKET, Prefix: `backups/delta/` }));
    expect(backups.KeyCount ?? 0).toBe(0);
    const client = await tenantClient(services, "database", "delta", passwords.delta, "localhost");
    expect((await fingerprint(client, TABLES).finally(() => client.end())).projects.rows).toBe(4);
  });

  it("protection off in one change, the file removed in the next: the tenant is offboarded, after a backup", async () => {
    const unprotected = withTenant(catalog, "delta", (t) => ({ ...t, lifecycle: { deletion_protection: false, on_delete: "backup" } }));
    const resources = urns(await stack.resources());
    await deploy(unprotected);
    expect(urns(await stack.resources())).toEqual(resources);
    expect(tenantResources(await stack.resources(), "delta").filter((r) => r.protect)).toEqual([]);
    await deploy(withTenant(catalog, "delta", () => undefined));
    expect(await roleExists(services, "delta")).toEqual({ exists: false, login: false });
    expect(await databaseExists(services, naming.database("delta"))).toBe(false);
    expect(await organizationOf(services, "delta")).toBeUndefined();
    expect(services.receiver.requests.filter((r) => r.path === "/delta/deleting")).toHaveLength(1);
    const backups = await services.s3.client.send(new ListObjectsV2Command({ Bucket: BACKUP_BUCKET, Prefix: `backups/delta/` }));
    expect(backups.KeyCount).toBeGreaterThan(0);
  });
});
