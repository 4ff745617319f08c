// Tenant moves carried out by `pulumi up` under the real engine: a pull request changes a tenant's
// isolation mode, storage mode, region or database server, and one `up` copies its rows and objects
// into the new place, verifies them, and only then does the engine delete the old place's resources.
// The tenants' rows are read as the tenants themselves, before and after; a second PostgreSQL
// cluster is the other server. The first move fails on purpose (its new bucket does not exist on the
// S3 server: the aws stand-in makes no bucket), and must leave the tenant serving from its old place.
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { naming } from "../../lib/naming";
import { backupManifest, listTenantBackups } from "../../providers/backup/history";
import { startPostgres, type TestPostgres } from "../harness/postgres";
import { deployCell, type CellTenant, type DeployedCell } from "./cell";
import { catalogFiles, defaults, withTenant, type Catalog } from "./catalog";
import { BACKUP_BUCKET, BUCKET_PREFIX, type EngineServices } from "./services";
import { EngineProject, EngineStack, tenantResources } from "./stack";
import { applicationTables, databaseExists, fingerprint, schemaExists, tenantClient, type Isolation } from "./tenant-data";

const CELL = "mv-1";
// The application's tables: the profile row is the seed's, written afresh in the new place from the catalog.
const TABLES = applicationTables(3);
const TENANTS: CellTenant[] = [
  { id: "alpha", isolation: "schema" },
  { id: "bravo", isolation: "database" },
  { id: "carol", isolation: "shared" },
  { id: "delta", isolation: "schema" },
  { id: "echo", isolation: "shared" },
];

let cell: DeployedCell;
let services: EngineServices;
let project: EngineProject;
let stack: EngineStack;
let catalog: Catalog;
let second: TestPostgres;

/** Where each tenant is: its rows (isolation, server) and its objects (bucket, prefix). */
interface Place {
  isolation: Isolation;
  pg: () => TestPostgres;
  bucket: string;
  prefix: string;
}

const shared = (region: string) => naming.sharedBucket(BUCKET_PREFIX, CELL, region);
const own = (id: string) => naming.bucket(BUCKET_PREFIX, id);
const main = () => services.pg;

function initialCatalog(): Catalog {
  return {
    defaults: defaults(CELL, { canary: 3, stable: 3 }),
    tenants: [
      { id: "alpha", name: "Alpha", database: { isolation: "schema", server: "main" } },
      { id: "bravo", name: "Bravo", database: { isolation: "database", server: "main" }, storage: { mode: "bucket", versioning: false, noncurrent_days: 30 } },
      { id: "carol", name: "Carol", database: { isolation: "shared", server: "main" } },
      { id: "delta", name: "Delta", database: { isolation: "schema", server: "main" } },
      { id: "echo", name: "Echo", database: { isolation: "shared", server: "main" } },
    ],
  };
}

const BEFORE: Record<string, Place> = {
  alpha: { isolation: "schema", pg: main, bucket: shared("us-east-1"), prefix: naming.storagePrefix("alpha") },
  bravo: { isolation: "database", pg: main, bucket: own("bravo"), prefix: "" },
  carol: { isolation: "shared", pg: main, bucket: shared("us-east-1"), prefix: naming.storagePrefix("carol") },
  delta: { isolation: "schema", pg: main, bucket: shared("us-east-1"), prefix: naming.storagePrefix("delta") },
  echo: { isolation: "shared", pg: main, bucket: shared("us-east-1"), prefix: naming.storagePrefix("echo") },
};

const AFTER: Record<string, Place> = {
  alpha: { isolation: "database", pg: main, bucket: own("alpha"), prefix: "" },
  bravo: { isolation: "shared", pg: main, bucket: shared("us-east-1"), prefix: naming.storagePrefix("bravo") },
  carol: { isolation: "schema", pg: main, bucket: shared("eu-west-1"), prefix: naming.storagePrefix("carol") },
  delta: { isolation: "schema", pg: () => second, bucket: shared("us-east-1"), prefix: naming.storagePrefix("delta") },
  echo: BEFORE.echo,
};

/** The tenant's rows (count and md5 per table), read as the tenant itself where it lives. */
async function rowsOf(id: string, place: Place): Promise<Record<string, { rows: number; md5: string }>> {
  const pg = place.pg();
  const client = await tenantClient(services, place.isolation, id, cell.passwords[id], pg.host, pg.port);
  try {
    return await fingerprint(client, TABLES);
  } finally {
    await client.end();
  }
}

/** The objects of a place: key (relative to it) and ETag. */
async function objectsOf(place: Place): Promise<Record<string, string>> {
  const listed = await services.s3.client.send(new ListObjectsV2Command({ Bucket: place.bucket, Prefix: place.prefix })).catch((error) => {
    if (error.name === "NoSuchBucket") return { Contents: [] };
    throw error;
  });
  return Object.fromEntries((listed.Contents ?? []).map((o) => [o.Key!.slice(place.prefix.length), o.ETag!]));
}

async function writeObjects(id: string, place: Place): Promise<void> {
  for (const key of ["avatar.png", "exports/2026.csv", "notes.txt"]) {
    await services.s3.client.send(new PutObjectCommand({ Bucket: place.bucket, Key: `${place.prefix}${key}`, Body: `${id}:${key}:${"x".repeat(key.length * 100)}` }));
  }
}

async function loginWorks(id: string, place: Place): Promise<boolean> {
  return rowsOf(id, place).then(
    () => true,
    () => false,
  );
}

/** The backups bucket of the tenant's region after its move: the move's backup went there. */
const backupStore = (id: string) => ({
  bucket: id === "carol" ? naming.backupBucket(BUCKET_PREFIX, "eu-west-1") : BACKUP_BUCKET,
  region: services.s3.region,
  endpoint: services.s3.endpoint,
  forcePathStyle: true,
});

let rowsBefore: Record<string, unknown>;
let objectsBefore: Record<string, Record<string, string>>;

beforeAll(async () => {
  second = await startPostgres();
  cell = await deployCell(CELL, () => (catalog = initialCatalog()), TENANTS, { projects: 5, version: 3 });
  ({ services, project, stack } = cell);
  // The aws stand-in makes no bucket: the S3 server gets the ones the tenants' objects live in.
  for (const bucket of [own("bravo"), naming.backupBucket(BUCKET_PREFIX, "eu-west-1")]) await services.s3.client.send(new CreateBucketCommand({ Bucket: bucket }));
  await services.prepare([], CELL, ["eu-west-1"]);
  rowsBefore = {};
  objectsBefore = {};
  for (const [id, place] of Object.entries(BEFORE)) {
    await writeObjects(id, place);
    rowsBefore[id] = await rowsOf(id, place);
    objectsBefore[id] = await objectsOf(place);
  }
  stack.setConfig((config) => {
    config.databaseServers.second = { host: second.host, port: second.port, adminUser: second.user, sslmode: "disable" };
  });
  await stack.cmd(["config", "set", "--path", "--secret", "tenancy:databasePasswords.second", second.password], { record: false });
}, 900_000);

afterAll(async () => {
  await cell?.dispose();
  await second?.stop();
});

async function deploy(next: Catalog, flags?: string[], check = true) {
  catalog = next;
  project.writeCatalog(catalogFiles(catalog));
  return stack.up(flags, check);
}

describe("tenant moves carried out by pulumi up", { timeout: 900_000 }, () => {
  it("a move that fails half-way leaves the tenant serving from its old place, and the rerun converges", async () => {
    const moved = withTenant(catalog, "alpha", (t) => ({ ...t, database: { isolation: "database", server: "main" }, storage: { mode: "bucket", versioning: false, noncurrent_days: 30 } }));
    const preview = await (project.writeCatalog(catalogFiles(moved)), stack.preview());
    expect(preview.stdout).toMatch(/alpha-move/);
    // The new bucket does not exist on the S3 server: the objects cannot be written into it.
    const failed = await deploy(moved, ["--skip-preview", "--continue-on-error"], false);
    expect(failed.code).not.toBe(0);
    expect(failed.output).toMatch(/tenant alpha was not moved \(its old place, schema \S+ on server main, \S+ in us-east-1, is unchanged and serving\)/);
    // The old place is whole, the tenant logs in to it, and the engine deleted none of its resources.
    expect(await rowsOf("alpha", BEFORE.alpha)).toEqual(rowsBefore.alpha);
    expect(await objectsOf(BEFORE.alpha)).toEqual(objectsBefore.alpha);
    expect(await schemaExists(services, naming.schemaDatabase, naming.schema("alpha"))).toBe(true);
    const alpha = tenantResources(await stack.resources(), "alpha").map((r) => r.type);
    expect(alpha).toContain("postgresql:index/schema:Schema");
    expect(alpha).toContain("pulumi-nodejs:dynamic/tenancy:TenantPrefix");

    await services.s3.client.send(new CreateBucketCommand({ Bucket: own("alpha") }));
    await stack.up();
    expect(await rowsOf("alpha", AFTER.alpha)).toEqual(rowsBefore.alpha);
    expect(await objectsOf(AFTER.alpha)).toEqual(objectsBefore.alpha);
    // Cleaned up only after the copy verified: the old schema is gone (the engine dropped it, empty), the old prefix empty.
    expect(await schemaExists(services, naming.schemaDatabase, naming.schema("alpha"))).toBe(false);
    expect(await objectsOf(BEFORE.alpha)).toEqual({});
    expect(await databaseExists(services, naming.database("alpha"))).toBe(true);
    await stack.preview(["--expect-no-changes"]);
  });

  it("isolation, storage, region and server moves in one up: equal rows and objects in the new places, the old ones gone", async () => {
    let next = catalog;
    next = withTenant(next, "bravo", (t) => ({ ...t, database: { isolation: "shared", server: "main" }, storage: { mode: "prefix", versioning: false, noncurrent_days: 30 } }));
    next = withTenant(next, "carol", (t) => ({ ...t, database: { isolation: "schema", server: "main" }, region: "eu-west-1" }));
    next = withTenant(next, "delta", (t) => ({ ...t, database: { isolation: "schema", server: "second" } }));
    project.writeCatalog(catalogFiles(next));
    const preview = await stack.preview();
    expect(preview.stdout).not.toMatch(/tenant move/);
    await deploy(next, ["--skip-preview", "--event-log", `${project.dir}/moves.jsonl`]);

    for (const id of ["bravo", "carol", "delta", "echo"]) {
      expect({ id, rows: await rowsOf(id, AFTER[id]) }).toEqual({ id, rows: rowsBefore[id] });
      expect({ id, objects: await objectsOf(AFTER[id]) }).toEqual({ id, objects: objectsBefore[id] });
    }
    // The old places: bravo's database and bucket, carol's rows in the shared tables and its old
    // region's prefix, delta's schema on main. echo, which shares carol's and bravo's tables, kept its rows.
    expect(await databaseExists(services, naming.database("bravo"))).toBe(false);
    expect(await objectsOf(BEFORE.bravo)).toEqual({});
    expect(await objectsOf(BEFORE.carol)).toEqual({});
    expect(await schemaExists(services, naming.schemaDatabase, naming.schema("delta"))).toBe(false);
    const leftInShared = await (async () => {
      const admin = await services.pg.adminClient(naming.sharedDatabase);
      try {
        return (await admin.query(`SELECT tenant_id, count(*)::int AS n FROM ${naming.sharedSchema}.projects GROUP BY 1 ORDER BY 1`)).rows;
      } finally {
        await admin.end();
      }
    })();
    expect(leftInShared).toEqual([
      { tenant_id: "bravo", n: 5 },
      { tenant_id: "echo", n: 5 },
    ]);
    // delta's role on main went with its old place; on the second server it logs in.
    expect(await loginWorks("delta", AFTER.delta)).toBe(true);
    const roles = await services.pg.adminClient();
    try {
      expect((await roles.query(`SELECT 1 FROM pg_roles WHERE rolname = $1`, [naming.role("delta")])).rows).toEqual([]);
    } finally {
      await roles.end();
    }

    // The engine's own record: each TenantMove update before any delete of the old places' resources.
    const events = project.events("moves.jsonl").filter((e) => e.resOutputsEvent?.metadata);
    const steps = events.map((e) => ({ op: e.resOutputsEvent.metadata.op, type: e.resOutputsEvent.metadata.type as string }));
    const lastMove = steps.map((s) => s.type.endsWith("TenantMove") && s.op === "update").lastIndexOf(true);
    const firstDataDelete = steps.findIndex((s) => (s.op === "delete" || s.op === "delete-replaced") && /postgresql:index\/(schema|database)|aws:s3\/bucket/.test(s.type));
    expect(lastMove).toBeGreaterThanOrEqual(0);
    expect(firstDataDelete).toBeGreaterThan(lastMove);

    // Each attempt took a backup of the old place first (alpha's failed one too).
    for (const [id, attempts] of [["alpha", 2], ["bravo", 1], ["carol", 1], ["delta", 1]] as const) {
      const store = backupStore(id);
      const manifests = await Promise.all((await listTenantBackups(store, id, services.s3.credentials)).map((b) => backupManifest(store, b.key, services.s3.credentials)));
      expect({ id, reasons: manifests.map((m) => m.reason) }).toEqual({ id, reasons: Array(attempts).fill("move") });
    }
    await stack.preview(["--expect-no-changes"]);
  });
});
