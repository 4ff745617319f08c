// Shared by the move tests: the services (embedded PostgreSQL servers, s3rver with the shared and
// backups buckets of two regions), the tenant's places built as `pulumi up` builds them before
// TenantMove's update runs (role, database or schema, migrations, seed, bucket), its data written as
// the tenant writes it, and what the tests compare: rows read as the tenant, objects read back.
import { createHash } from "node:crypto";
import { CreateBucketCommand, GetObjectCommand, ListObjectsCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { Client } from "pg";
import { afterAll, beforeAll } from "vitest";
import { provisionSql, targetFor, placement } from "../../../lib/database/layout";
import { loadMigrations } from "../../../lib/database/migrations";
import { naming } from "../../../lib/naming";
import { listTenantBackups, backupManifest } from "../../../providers/backup/history";
import type { BackupManifest } from "../../../providers/backup/manifest";
import type { MoveOptions } from "../../../providers/move/move";
import { tenantMove, type TenantMoveInputs, type TenantMoveOutputs } from "../../../providers/move/tenant-move";
import { migrate } from "../../../providers/postgres/runner";
import { tenantSeed } from "../../../providers/postgres/seed";
import type { Isolation, ServerTarget } from "../../../providers/postgres/target";
import type { ObjectPlace, S3Store } from "../../../providers/s3/client";
import { startS3, type TestS3 } from "../../harness/s3";
import { applicationTables, fingerprint, writeApplicationData } from "../../engine/tenant-data";
import { startServer, type Server } from "../postgres/setup";

export const VERSION = 3;
export const TABLES = applicationTables(VERSION);
export const PREFIX = "tenancy";
export const CELL = "main";
export const REGIONS = ["eu-west-1", "us-east-1"] as const;
export type Region = (typeof REGIONS)[number];
export const SERVER_NAMES = ["main", "second"] as const;

export const sharedBucket = (region: Region) => naming.sharedBucket(PREFIX, CELL, region);
export const backupsBucket = (region: Region) => naming.backupBucket(PREFIX, region);

export interface MoveServices {
  /** servers[0] is "main", servers[1] (when asked for) "second". */
  servers: Server[];
  s3: TestS3;
}

/** Started before the file's tests, stopped after them: `servers` PostgreSQL servers and one s3rver. */
export function useMoveServices(servers = 1): () => MoveServices {
  let services: MoveServices | undefined;
  beforeAll(async () => {
    const buckets = REGIONS.flatMap((r) => [sharedBucket(r), backupsBucket(r)]);
    const [s3, ...started] = await Promise.all([startS3(buckets), ...Array.from({ length: servers }, () => startServer())]);
    services = { servers: started as Server[], s3: s3 as TestS3 };
  });
  afterAll(async () => {
    await Promise.all([services?.s3.stop(), ...(services?.servers ?? []).map((s) => s.stop())]);
  });
  return () => {
    if (!services) throw new Error("the move services are not started: call them inside a test or hook");
    return services;
  };
}

/** Where a tenant lives, as its catalog entry says it. */
export interface Place {
  isolation: Isolation;
  storage: "bucket" | "prefix";
  region: Region;
  /** Index into services.servers. */
  server?: number;
}

export interface Tenant {
  id: string;
  /** The role's password (TenantPassword: the same on every server and in every place). */
  password: string;
  suspended: boolean;
  protected: boolean;
}

export function tenant(id: string, options: Partial<Omit<Tenant, "id">> = {}): Tenant {
  return { id, password: createHash("sha256").update(`pw-${id}`).digest("hex").slice(0, 40), suspended: false, protected: false, ...options };
}

const serverOf = (s: MoveServices, place: Place) => s.servers[place.server ?? 0];

export function target(s: MoveServices, t: Tenant, place: Place): ServerTarget {
  const server = serverOf(s, place);
  return { ...targetFor(server.admin, place.isolation, t.id), server: SERVER_NAMES[place.server ?? 0] };
}

export function objectPlace(s: MoveServices, t: Tenant, place: Place): ObjectPlace {
  const own = place.storage === "bucket";
  return {
    bucket: own ? naming.bucket(PREFIX, t.id) : sharedBucket(place.region),
    region: place.region,
    endpoint: s.s3.endpoint,
    forcePathStyle: true,
    prefix: own ? "" : naming.storagePrefix(t.id),
    versioning: true,
  };
}

export function store(s: MoveServices, region: Region): S3Store {
  return { bucket: backupsBucket(region), region, endpoint: s.s3.endpoint, forcePathStyle: true };
}

/** TenantMove's inputs as components/lifecycle/move.ts tenantMoveArgs builds them. */
export function moveInputs(s: MoveServices, t: Tenant, place: Place, host?: string): TenantMoveInputs {
  const { password, ...rest } = target(s, t, place);
  return {
    tenantId: t.id,
    target: { ...rest, ...(host ? { host } : {}) },
    password,
    objects: objectPlace(s, t, place),
    store: store(s, place.region),
    credentials: s.s3.credentials,
    retentionDays: 30,
    suspended: t.suspended,
    protected: t.protected,
  };
}

/** The Role as the program declares it for `isolation`: shared tenants are members of tenancy_app (inherit), the others inherit nothing. */
export async function declareRole(s: MoveServices, t: Tenant, place: Place): Promise<void> {
  const server = serverOf(s, place);
  const role = naming.role(t.id);
  if (place.isolation === "shared") {
    await server.query(`GRANT ${naming.sharedAppRole} TO ${role}`);
    await server.query(`ALTER ROLE ${role} INHERIT`);
  } else {
    await server.query(`REVOKE ${naming.sharedAppRole} FROM ${role}`);
    await server.query(`ALTER ROLE ${role} NOINHERIT`);
  }
  await server.query(`ALTER ROLE ${role} ${t.suspended ? "NOLOGIN" : "LOGIN"}`);
}

/**
 * A place made as `pulumi up` makes it before TenantMove's update: the role (created, or updated to
 * the mode's memberships), the database or schema and its grants, the tables at VERSION
 * (TenantMigrations), the profile row (TenantSeed), and the tenant's own bucket.
 */
export async function makePlace(s: MoveServices, t: Tenant, place: Place): Promise<ServerTarget> {
  const server = serverOf(s, place);
  // A place that stays (only the objects move) is there already: the engine changes nothing of it.
  const there = place.isolation === "database" && (await server.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [naming.database(t.id)])).length > 0;
  if (!there) for (const sql of provisionSql(place.isolation, t.id, t.password)) await server.query(sql);
  await declareRole(s, t, place);
  const where = target(s, t, place);
  await migrate(where, loadMigrations(), VERSION);
  await tenantSeed.create({ ...where, name: `Tenant ${t.id}`, friendlyName: t.id, settings: { tier: "gold" }, moveGuard: true });
  if (place.storage === "bucket") await s.s3.client.send(new CreateBucketCommand({ Bucket: naming.bucket(PREFIX, t.id) })).catch(() => undefined);
  return where;
}

/** A client logged in as the tenant's own role in its place, its schema on the search path. */
export async function asTenant(s: MoveServices, t: Tenant, place: Place): Promise<Client> {
  const server = serverOf(s, place);
  const client = new Client(server.pg.config(placement(place.isolation, t.id).database, naming.role(t.id), t.password));
  await client.connect();
  await client.query(`SET search_path = ${client.escapeIdentifier(placement(place.isolation, t.id).schema)}`);
  return client;
}

/** Whether the tenant can log in to a place (and read its projects). */
export async function canLogIn(s: MoveServices, t: Tenant, place: Place): Promise<boolean | string> {
  try {
    const client = await asTenant(s, t, place);
    try {
      await client.query("SELECT count(*) FROM projects");
      return true;
    } finally {
      await client.end();
    }
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * The tenant's rows, written as the application writes them (its own role): projects and invoices,
 * values that test the text round trip (quotes, newlines, unicode, NULL, a microsecond timestamp),
 * and holes in the identity values.
 */
export async function writeRows(s: MoveServices, t: Tenant, place: Place, projects = 12): Promise<void> {
  const client = await asTenant(s, t, place);
  try {
    await writeApplicationData(client, projects, VERSION);
    const { rows } = await client.query(`INSERT INTO projects (name) VALUES ($1) RETURNING id`, [`it's "odd",\n(tab\t) — ünïcødé ✓ ${t.id}`]);
    await client.query(`INSERT INTO invoices (project_id, amount_cents, currency, status, issued_at) VALUES ($1, 0, 'USD', 'paid', '2024-02-29 23:59:59.123456+05:30'), ($1, 9007199254740993, 'JPY', 'void', NULL)`, [rows[0].id]);
    await client.query(`DELETE FROM projects WHERE name IN ('project-2', 'project-5')`);
  } finally {
    await client.end();
  }
}

export type Rows = Record<string, { rows: number; md5: string }>;

/** Rows and md5 per application table, read as the tenant. */
export async function readRows(s: MoveServices, t: Tenant, place: Place): Promise<Rows> {
  const client = await asTenant(s, t, place);
  try {
    return await fingerprint(client, TABLES);
  } finally {
    await client.end();
  }
}

/** The same, read by the admin (for a tenant that cannot log in: suspended, or between steps). */
export async function readRowsAsAdmin(s: MoveServices, t: Tenant, place: Place): Promise<Rows> {
  const server = serverOf(s, place);
  const { database, schema } = placement(place.isolation, t.id);
  const out: Rows = {};
  for (const table of TABLES) {
    const [row] = await server.query(
      `SELECT count(*)::int AS rows, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS md5 FROM ${schema}.${table} t WHERE tenant_id = $1`,
      [t.id],
      database,
    );
    out[table] = row;
  }
  return out;
}

/** Tables left in a tenant's schema (schema mode) or its rows left in the shared tables (shared mode). */
export async function leftInOldPlace(s: MoveServices, t: Tenant, place: Place): Promise<{ tables: string[]; rows: number; mapped: boolean }> {
  const server = serverOf(s, place);
  const { database, schema } = placement(place.isolation, t.id);
  const tables = (await server.query(`SELECT c.relname::text AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind IN ('r','p') ORDER BY 1`, [schema], database)).map((r) => r.name);
  if (place.isolation !== "shared") return { tables, rows: 0, mapped: false };
  let rows = 0;
  for (const table of ["tenant_profile", ...TABLES]) rows += (await server.query(`SELECT count(*)::int AS n FROM ${schema}.${table} WHERE tenant_id = $1`, [t.id], database))[0].n;
  const mapped = (await server.query(`SELECT 1 FROM ${schema}.tenant_roles WHERE role_name = $1 OR tenant_id = $2`, [naming.role(t.id), t.id], database)).length > 0;
  return { tables, rows, mapped };
}

/** Objects written as the application writes them: several keys, a nested folder, an empty one, optionally one over 5 MB. */
export async function writeObjects(s: MoveServices, where: ObjectPlace, options: { large?: boolean } = {}): Promise<void> {
  const objects: [string, Buffer | string, string?][] = [
    ["readme.txt", `hello from ${where.prefix || where.bucket}`, "text/plain"],
    ["invoices/2024/02/inv-1.json", JSON.stringify({ total: 1234, lines: [1, 2, 3] }), "application/json"],
    ["invoices/2024/02/inv-2.json", JSON.stringify({ total: 0 }), "application/json"],
    ["images/a b+c (1).png", Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 31) % 256))],
    ["empty", ""],
  ];
  if (options.large) objects.push(["big/large.bin", Buffer.alloc(5 * 1024 * 1024 + 4321, 0x5a)]);
  for (const [key, body, contentType] of objects) {
    await s.s3.client.send(new PutObjectCommand({ Bucket: where.bucket, Key: `${where.prefix}${key}`, Body: body, ...(contentType ? { ContentType: contentType } : {}) }));
  }
}

export interface StoredObject {
  key: string;
  size: number;
  sha256: string;
  contentType?: string;
}

/** Every object of a place, keys relative to it, with its body's sha256 (ETags differ once a copy is multipart). */
export async function readObjects(s: MoveServices, where: ObjectPlace): Promise<StoredObject[]> {
  const out: StoredObject[] = [];
  let marker: string | undefined;
  do {
    const page = await s.s3.client.send(new ListObjectsCommand({ Bucket: where.bucket, Prefix: where.prefix, Marker: marker }));
    for (const o of page.Contents ?? []) {
      const got = await s.s3.client.send(new GetObjectCommand({ Bucket: where.bucket, Key: o.Key! }));
      const body = Buffer.from(await got.Body!.transformToByteArray());
      out.push({ key: o.Key!.slice(where.prefix.length), size: body.length, sha256: createHash("sha256").update(body).digest("hex"), ...(got.ContentType ? { contentType: got.ContentType } : {}) });
    }
    marker = page.IsTruncated ? page.Contents?.at(-1)?.Key : undefined;
  } while (marker);
  return out.sort((a, b) => (a.key < b.key ? -1 : 1));
}

/** Keys in a bucket under a prefix (a bucket that does not exist holds none). */
export async function keysIn(s: MoveServices, bucket: string, prefix = ""): Promise<string[]> {
  const page = await s.s3.client.send(new ListObjectsCommand({ Bucket: bucket, Prefix: prefix })).catch((error: { name?: string }) => {
    if (error.name === "NoSuchBucket") return { Contents: [] };
    throw error;
  });
  return (page.Contents ?? []).map((o) => o.Key!).sort();
}

/** The tenant's backups in a region's backups bucket, with their manifests. */
export async function backups(s: MoveServices, t: Tenant, region: Region): Promise<BackupManifest[]> {
  const entries = await listTenantBackups(store(s, region), t.id, s.s3.credentials);
  return Promise.all(entries.filter((e) => e.verified).map((e) => backupManifest(store(s, region), e.key, s.s3.credentials)));
}

/** The raw text of every move record of the tenant in a region's backups bucket. */
export async function moveRecords(s: MoveServices, t: Tenant, region: Region): Promise<string[]> {
  const keys = await keysIn(s, backupsBucket(region), `moves/${t.id}/`);
  return Promise.all(keys.map(async (key) => (await (await s.s3.client.send(new GetObjectCommand({ Bucket: backupsBucket(region), Key: key }))).Body!.transformToString())));
}

/** TenantMove as the engine drives it: created with the first place, then updated with the new one. */
export async function created(s: MoveServices, t: Tenant, place: Place): Promise<TenantMoveOutputs> {
  return (await tenantMove.create(moveInputs(s, t, place))).outs;
}

/**
 * TenantMove's diff, then (when it says there are changes) its update, as the engine calls them on
 * `pulumi up`; `afterStep` stops the move after a step, as a crash would.
 */
export async function update(olds: TenantMoveOutputs, news: TenantMoveInputs, afterStep?: MoveOptions["afterStep"]): Promise<TenantMoveOutputs> {
  const id = `${news.tenantId}-move`;
  const { changes } = await tenantMove.diff(id, olds, news);
  if (!changes) return olds;
  return (await tenantMove.update(id, olds, news, afterStep ? { afterStep } : undefined)).outs;
}

/** Every secret a move sees: the admin passwords of the servers and the tenant's password. */
export function secrets(s: MoveServices, t?: Tenant): string[] {
  return [...s.servers.map((server) => server.pg.password), ...(t ? [t.password] : [])];
}
