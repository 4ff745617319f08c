// Benchmark: what a tenant move costs (providers/move: TenantMove's update, as `pulumi up` runs it),
// on a real embedded PostgreSQL and s3rver on 127.0.0.1: a tenant in schema mode with its objects
// under its prefix of the shared bucket, moved to a database and a bucket of its own. Against the
// floor, measured in the same run on the same data: the least any copy has to do, every row read
// once out of the old place and written once into an equal new one (COPY TO STDOUT piped into COPY
// FROM STDIN, by psql), and every object listed, fetched and written once (GET + PUT, one at a time).
//
// It also measures the two constants of lib/plan/move-estimate.ts, fit from two sizes: a tiny tenant
// (median of BENCH_MOVE_TINY moves: the seconds a move takes whatever the size) and the big one (the
// rate, bytes over the seconds beyond those). Bytes are what an operator measures for `--sizes`:
// pg_total_relation_size of the tenant's tables (indexes included) plus the sizes of its objects.
//
//   npm run bench:move      prints a table and the move's phases, then bytes_per_second=,
//                           fixed_seconds=, and ratio=<move seconds / floor seconds> last
//
// Sizes: BENCH_MOVE_ROWS_MB (rows, default 40), BENCH_MOVE_OBJECTS_MB (default 30) over
// BENCH_MOVE_OBJECTS objects (default 300), BENCH_MOVE_TINY tiny moves (default 3).
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { CreateBucketCommand, GetObjectCommand, ListObjectsCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { Client } from "pg";
import { provisionSql, serverProvisionSql, targetFor, type ServerConnection } from "../lib/database/layout";
import { loadMigrations } from "../lib/database/migrations";
import { quoteIdent as q } from "../lib/database/sql";
import { naming } from "../lib/naming";
import { backupManifest } from "../providers/backup/history";
import { tablesInOrder, type TableShape } from "../providers/backup/rows";
import { MOVE_STEPS, type MoveStep } from "../providers/move/move";
import { tenantMove, type TenantMoveInputs, type TenantMoveOutputs } from "../providers/move/tenant-move";
import { SEEDED_TABLES } from "../providers/postgres/grants";
import { migrate } from "../providers/postgres/runner";
import { tenantSeed } from "../providers/postgres/seed";
import type { Isolation, ServerTarget } from "../providers/postgres/target";
import type { ObjectPlace, S3Store } from "../providers/s3/client";
import { seededRandom } from "../test/harness/fault-proxy";
import { startPostgres, type TestPostgres } from "../test/harness/postgres";
import { startS3, S3RVER_REGION, type TestS3 } from "../test/harness/s3";

const MB = 1_000_000;
const ROWS_BYTES = Number(process.env.BENCH_MOVE_ROWS_MB ?? 40) * MB;
const OBJECTS_BYTES = Number(process.env.BENCH_MOVE_OBJECTS_MB ?? 30) * MB;
const OBJECT_COUNT = Number(process.env.BENCH_MOVE_OBJECTS ?? 300);
const TINY_RUNS = Number(process.env.BENCH_MOVE_TINY ?? 3);

const PREFIX = "tenancy";
const REGION = S3RVER_REGION;
const SHARED_BUCKET = naming.sharedBucket(PREFIX, "main", REGION);
const BACKUPS_BUCKET = naming.backupBucket(PREFIX, REGION);
const FLOOR_BUCKET = `${PREFIX}-bench-floor`;
const FLOOR_DATABASE = "tenancy_bench_floor";
const VERSION = loadMigrations().length;
/** Invoices per project, and per INSERT ... SELECT while growing the tenant to its size. */
const INVOICES_PER_PROJECT = 20;
const INVOICES_PER_ROUND = 50_000;

interface Services {
  pg: TestPostgres;
  admin: ServerConnection;
  s3: TestS3;
}

/** A move measured: wall seconds, the seconds at each step, and what it reported. */
interface Moved {
  seconds: number;
  steps: Partial<Record<MoveStep, number>>;
  maintenanceSeconds: number;
  rows: number;
  objects: number;
  dumpBytes: number;
}

/** A tenant as the bench made it: its size, and TenantMove's state in its old place. */
interface Made {
  id: string;
  olds: TenantMoveOutputs;
  news: TenantMoveInputs;
  rowBytes: number;
  rows: number;
  objectBytes: number;
  objects: number;
}

const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}


async function query(s: Services, sql: string, params: unknown[] = [], database = "postgres"): Promise<any[]> {
  const client = await s.pg.adminClient(database);
  try {
    return (await client.query(sql, params)).rows;
  } finally {
    await client.end();
  }
}

function target(s: Services, isolation: Isolation, id: string): ServerTarget {
  return { ...targetFor(s.admin, isolation, id), server: "main" };
}

function objectPlace(s: Services, id: string, storage: "prefix" | "bucket"): ObjectPlace {
  const own = storage === "bucket";
  return {
    bucket: own ? naming.bucket(PREFIX, id) : SHARED_BUCKET,
    region: REGION,
    endpoint: s.s3.endpoint,
    forcePathStyle: true,
    prefix: own ? "" : naming.storagePrefix(id),
    versioning: true,
  };
}

/** TenantMove's inputs as components/lifecycle/move.ts builds them. */
function moveInputs(s: Services, id: string, isolation: Isolation, storage: "prefix" | "bucket"): TenantMoveInputs {
  const { password, ...rest } = target(s, isolation, id);
  const store: S3Store = { bucket: BACKUPS_BUCKET, region: REGION, endpoint: s.s3.endpoint, forcePathStyle: true };
  return {
    tenantId: id,
    target: rest,
    password,
    objects: objectPlace(s, id, storage),
    store,
    credentials: s.s3.credentials,
    retentionDays: 30,
    suspended: false,
    protected: false,
  };
}

/** A place as `pulumi up` makes it before TenantMove's update: role, database or schema, migrations, profile row. */
async function makePlace(s: Services, id: string, isolation: Isolation, options: { database?: string } = {}): Promise<ServerTarget> {
  const where = { ...target(s, isolation, id), ...(options.database ? { database: options.database } : {}) };
  if (options.database) await query(s, `CREATE DATABASE ${q(options.database)} TEMPLATE template0`);
  else for (const sql of provisionSql(isolation, id, `pw-${id}-${randomBytes(6).toString("hex")}`)) await query(s, sql);
  await migrate(where, loadMigrations(), VERSION);
  await tenantSeed.create({ ...where, name: `Tenant ${id}`, friendlyName: id, settings: { tier: "gold" }, moveGuard: true });
  return where;
}

/** The tables a move copies (the seeded profile is the new place's own). */
async function copiedTables(client: Client, schema: string): Promise<TableShape[]> {
  return (await tablesInOrder(client, schema)).filter((t) => !SEEDED_TABLES.includes(t.name));
}

async function tableBytes(s: Services, where: ServerTarget): Promise<number> {
  const client = await s.pg.adminClient(where.database);
  try {
    const tables = await copiedTables(client, where.schema);
    const { rows } = await client.query(`SELECT coalesce(sum(pg_total_relation_size(format('%I.%I', $1::text, t)::regclass)), 0)::bigint AS bytes FROM unnest($2::text[]) t`, [
      where.schema,
      tables.map((t) => t.name),
    ]);
    return Number(rows[0].bytes);
  } finally {
    await client.end();
  }
}

/**
 * The tenant's rows, written fast by the admin (INSERT ... SELECT generate_series, tenant_id the
 * tenant's), in rounds until its tables hold `bytes`; then VACUUM ANALYZE, as autovacuum would have.
 */
async function writeRows(s: Services, where: ServerTarget, bytes: number, minimum: { invoices: number }): Promise<number> {
  const client = await s.pg.adminClient(where.database);
  const [projects, invoices] = [`${q(where.schema)}.projects`, `${q(where.schema)}.invoices`];
  let written = 0;
  try {
    for (;;) {
      const round = Math.max(minimum.invoices, Math.min(INVOICES_PER_ROUND, Math.ceil(bytes / 150)));
      const projectCount = Math.max(1, Math.ceil(round / INVOICES_PER_PROJECT));
      const { rows } = await client.query(
        `INSERT INTO ${projects} (tenant_id, name, created_at)
         SELECT $1, 'project ' || ($2::int + g) || ' ' || md5(($2::int + g)::text), timestamptz '2025-01-01' + g * interval '37 seconds'
           FROM generate_series(1, $3::int) g
         RETURNING id`,
        [where.tenantId, written, projectCount],
      );
      const first = Number(rows[0].id);
      await client.query(
        `INSERT INTO ${invoices} (tenant_id, project_id, amount_cents, currency, status, issued_at)
         SELECT $1, $2::bigint + g % $3::int, (g * 7919) % 10000000,
                (ARRAY['EUR','USD','GBP','JPY'])[1 + g % 4], (ARRAY['draft','sent','paid','void'])[1 + (g / 7) % 4],
                CASE WHEN g % 10 = 0 THEN NULL ELSE timestamptz '2025-01-01 00:00:00.123456+00' + g * interval '61 seconds' END
           FROM generate_series(1, $4::int) g`,
        [where.tenantId, first, projectCount, round],
      );
      written += round;
      if ((await tableBytes(s, where)) >= bytes) break;
    }
    await client.query(`VACUUM ANALYZE ${projects}`);
    await client.query(`VACUUM ANALYZE ${invoices}`);
    const { rows } = await client.query(`SELECT (SELECT count(*) FROM ${projects}) + (SELECT count(*) FROM ${invoices}) AS n`);
    return Number(rows[0].n);
  } finally {
    await client.end();
  }
}

/** `count` objects of `bytes` in all: a few large ones (multipart once copied) where they fit, mostly medium and small. */
function objectShapes(count: number, bytes: number, seed: number): { key: string; size: number; contentType: string }[] {
  // Deterministic sizes and keys, so every run moves the same shape of objects.
  const next = seededRandom(seed);
  const large = bytes >= 20 * MB && count >= 10 ? [6_500_000, 7_500_000] : [];
  const rest = Math.max(0, bytes - large.reduce((a, b) => a + b, 0));
  const raw = Array.from({ length: Math.max(0, count - large.length) }, (_, i) => (i % 5 === 0 ? 100_000 + next() * 500_000 : 1_000 + next() * 39_000));
  const scale = raw.length > 0 ? rest / raw.reduce((a, b) => a + b, 0) : 0;
  const shapes = large.map((size, i) => ({ key: `exports/2026/export-${i}.zip`, size, contentType: "application/zip" }));
  raw.forEach((r, i) => {
    const size = Math.round(r * scale);
    if (i % 5 === 0) shapes.push({ key: `images/${String(i).padStart(4, "0")}/photo ${i}.png`, size, contentType: "image/png" });
    else if (i % 3 === 0) shapes.push({ key: `documents/${i % 12}/notes-${i}.json`, size, contentType: "application/json" });
    else shapes.push({ key: `invoices/2026/${String(1 + (i % 12)).padStart(2, "0")}/inv-${i}.pdf`, size, contentType: "application/pdf" });
  });
  return shapes;
}

/** Objects written as the application writes them (one PUT each), 8 at a time; returns their bytes. */
async function writeObjects(s: Services, where: ObjectPlace, count: number, bytes: number, seed: number): Promise<number> {
  const shapes = objectShapes(count, bytes, seed);
  let next = 0;
  const worker = async () => {
    while (next < shapes.length) {
      const o = shapes[next++];
      await s.s3.client.send(new PutObjectCommand({ Bucket: where.bucket, Key: `${where.prefix}${o.key}`, Body: randomBytes(o.size), ContentType: o.contentType }));
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return shapes.reduce((a, o) => a + o.size, 0);
}

/** A tenant in schema mode with its objects under its prefix, TenantMove created there, and its new place (database, bucket) made. */
async function makeTenant(s: Services, id: string, size: { rowBytes: number; objectBytes: number; objects: number; invoices?: number }, seed: number): Promise<Made> {
  const from = await makePlace(s, id, "schema");
  const rows = await writeRows(s, from, size.rowBytes, { invoices: size.invoices ?? 0 });
  const rowBytes = await tableBytes(s, from);
  const objectBytes = await writeObjects(s, objectPlace(s, id, "prefix"), size.objects, size.objectBytes, seed);
  const olds = (await tenantMove.create(moveInputs(s, id, "schema", "prefix"))).outs;
  await makePlace(s, id, "database");
  await s.s3.client.send(new CreateBucketCommand({ Bucket: naming.bucket(PREFIX, id) }));
  return { id, olds, news: moveInputs(s, id, "database", "bucket"), rowBytes, rows, objectBytes, objects: size.objects };
}

/** TenantMove's diff, then its update, as the engine calls them on `pulumi up`; timed, step by step. */
async function move(made: Made): Promise<Moved> {
  const id = `${made.id}-move`;
  const { changes } = await tenantMove.diff(id, made.olds, made.news);
  if (!changes) throw new Error(`${made.id}: TenantMove sees no change`);
  const steps: Moved["steps"] = {};
  const started = process.hrtime.bigint();
  const { outs } = await tenantMove.update(id, made.olds, made.news, { afterStep: (step) => void (steps[step] = seconds(started)) });
  const wall = seconds(started);
  const report = outs.lastMove;
  if (!report) throw new Error(`${made.id}: the move reported nothing`);
  const rows = Object.values(report.rows ?? {}).reduce((a, b) => a + b, 0);
  if (rows !== made.rows || report.objects !== made.objects) {
    throw new Error(`${made.id}: moved ${rows} row(s) and ${report.objects} object(s), expected ${made.rows} and ${made.objects}`);
  }
  const manifest = await backupManifest(made.news.store, report.backup, made.news.credentials);
  return { seconds: wall, steps, maintenanceSeconds: report.maintenanceSeconds, rows, objects: report.objects ?? 0, dumpBytes: manifest.parts.database.size };
}

/** psql with the admin's password in its environment only. */
function psql(s: Services, database: string, sql: string): ReturnType<typeof spawn> {
  return spawn("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", s.pg.host, "-p", String(s.pg.port), "-U", s.pg.user, "-d", database, "-c", sql], {
    env: { ...process.env, PGPASSWORD: s.pg.password },
    stdio: ["pipe", "pipe", "pipe"],
  });
}

function exited(child: ReturnType<typeof spawn>, what: string): Promise<void> {
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once("error", (error) => reject(new Error(`${what}: ${error.message} (the floor needs psql, the PostgreSQL client, on PATH)`)));
    child.once("close", (code) => (code === 0 ? resolve() : reject(new Error(`${what} exited with ${code}: ${stderr.trim()}`))));
  });
}

/** The floor's rows: each table COPY'd out of the old place and straight into an equal, empty new one. */
async function floorRows(s: Services, from: ServerTarget, to: ServerTarget): Promise<number> {
  const client = await s.pg.adminClient(from.database);
  const tables = await copiedTables(client, from.schema).finally(() => client.end());
  const started = process.hrtime.bigint();
  for (const table of tables) {
    const columns = table.columns.map(q).join(", ");
    const out = psql(s, from.database, `COPY (SELECT ${columns} FROM ${q(from.schema)}.${q(table.name)}) TO STDOUT`);
    const into = psql(s, to.database, `COPY ${q(to.schema)}.${q(table.name)} (${columns}) FROM STDIN`);
    out.stdout!.pipe(into.stdin!);
    await Promise.all([exited(out, `COPY ${table.name} TO STDOUT`), exited(into, `COPY ${table.name} FROM STDIN`)]);
  }
  const taken = seconds(started);
  const counted = async (where: ServerTarget) =>
    Number((await query(s, `SELECT ${tables.map((t) => `(SELECT count(*) FROM ${q(where.schema)}.${q(t.name)})`).join(" + ")} AS n`, [], where.database))[0].n);
  const [a, b] = [await counted(from), await counted(to)];
  if (a !== b) throw new Error(`the floor copied ${b} row(s) of ${a}`);
  return taken;
}

async function listKeys(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let marker: string | undefined;
  do {
    const page = await client.send(new ListObjectsCommand({ Bucket: bucket, Prefix: prefix, Marker: marker }));
    keys.push(...(page.Contents ?? []).map((o) => o.Key!));
    marker = page.IsTruncated ? page.Contents?.at(-1)?.Key : undefined;
  } while (marker);
  return keys;
}

/** The floor's objects: listed, then each fetched and written once into another bucket, one at a time. */
async function floorObjects(s: Services, from: ObjectPlace, count: number): Promise<number> {
  const started = process.hrtime.bigint();
  const keys = await listKeys(s.s3.client, from.bucket, from.prefix);
  for (const key of keys) {
    const got = await s.s3.client.send(new GetObjectCommand({ Bucket: from.bucket, Key: key }));
    const body = Buffer.from(await got.Body!.transformToByteArray());
    await s.s3.client.send(new PutObjectCommand({ Bucket: FLOOR_BUCKET, Key: key.slice(from.prefix.length), Body: body, ContentType: got.ContentType }));
  }
  const taken = seconds(started);
  if (keys.length !== count) throw new Error(`the floor copied ${keys.length} object(s) of ${count}`);
  return taken;
}

async function main(): Promise<void> {
  const started = process.hrtime.bigint();
  const [pg, s3] = await Promise.all([startPostgres(), startS3([SHARED_BUCKET, BACKUPS_BUCKET, FLOOR_BUCKET])]);
  const s: Services = { pg, s3, admin: { host: pg.host, port: pg.port, user: pg.user, password: pg.password, sslmode: "disable" } };
  try {
    for (const sql of serverProvisionSql(pg.user)) await query(s, sql);

    // The fixed part: tiny tenants (a dozen projects and invoices, five small objects), moved one after another.
    const tiny: Moved[] = [];
    const tinyMade: Made[] = [];
    for (let i = 0; i < TINY_RUNS; i++) {
      const made = await makeTenant(s, `tiny${i}`, { rowBytes: 0, objectBytes: 20_000, objects: 5, invoices: 12 * INVOICES_PER_PROJECT }, 100 + i);
      tinyMade.push(made);
      tiny.push(await move(made));
    }

    // The big tenant, its floor first (on the same data, which the move then empties), then its move.
    const made = await makeTenant(s, "big", { rowBytes: ROWS_BYTES, objectBytes: OBJECTS_BYTES, objects: OBJECT_COUNT }, 1);
    const floorTarget = await makePlace(s, "big", "database", { database: FLOOR_DATABASE });
    const floorRowsS = await floorRows(s, target(s, "schema", "big"), floorTarget);
    const floorObjectsS = await floorObjects(s, objectPlace(s, "big", "prefix"), made.objects);
    const floorS = floorRowsS + floorObjectsS;
    const big = await move(made);

    // The fit: fixed = the tiny move's seconds; rate = the bytes beyond the tiny tenant's over the seconds beyond the fixed.
    const tinyS = median(tiny.map((m) => m.seconds));
    const tinyBytes = median(tinyMade.map((m) => m.rowBytes + m.objectBytes));
    const bigBytes = made.rowBytes + made.objectBytes;
    const rate = (bigBytes - tinyBytes) / (big.seconds - tinyS);
    const fixed = tinyS - tinyBytes / rate;

    const row = (what: string, secs: number, bytes: number) =>
      console.log(`| ${what.padEnd(70)} | ${secs.toFixed(2).padStart(8)} | ${(bytes / MB).toFixed(1).padStart(7)} | ${(bytes / MB / secs).toFixed(2).padStart(6)} |`);
    console.log(`PostgreSQL 15.18 (embedded, started in ${pg.startMs} ms) and s3rver on 127.0.0.1; a move of schema -> database, prefix -> bucket`);
    console.log(
      `big tenant: ${made.rows} rows in ${(made.rowBytes / MB).toFixed(1)} MB of tables (dump ${(big.dumpBytes / MB).toFixed(1)} MB), ` +
        `${made.objects} objects of ${(made.objectBytes / MB).toFixed(1)} MB; tiny tenants: ${tinyMade[0].rows} rows, ${tinyMade[0].objects} objects, ${((tinyMade[0].rowBytes + tinyMade[0].objectBytes) / 1000).toFixed(0)} kB`,
    );
    console.log(`| ${"what".padEnd(70)} | ${"seconds".padStart(8)} | ${"MB".padStart(7)} | ${"MB/s".padStart(6)} |`);
    console.log(`|${"-".repeat(72)}|${"-".repeat(10)}|${"-".repeat(9)}|${"-".repeat(8)}|`);
    row("ours: TenantMove update, big tenant (rows and objects)", big.seconds, bigBytes);
    row("floor: rows COPY out + COPY in, objects GET + PUT, once each", floorS, bigBytes);
    row("  floor rows: COPY TO STDOUT | COPY FROM STDIN, table by table", floorRowsS, made.rowBytes);
    row("  floor objects: list, then GET + PUT each, one at a time", floorObjectsS, made.objectBytes);
    row(`ours: TenantMove update, tiny tenant (median of ${TINY_RUNS})`, tinyS, tinyBytes);
    const phases = (m: Moved) => {
      let last = 0;
      return MOVE_STEPS.map((step) => {
        const at = m.steps[step] ?? last;
        const text = `${step} ${(at - last).toFixed(2)}`;
        last = at;
        return text;
      }).join(", ") + `, return ${(m.seconds - last).toFixed(2)}`;
    };
    console.log(`big move, seconds per step: ${phases(big)}`);
    console.log(`tiny move, seconds per step: ${phases(tiny[tiny.length - 1])}`);
    console.log(`maintenance seconds reported: big ${big.maintenanceSeconds}, tiny ${tiny.map((m) => m.maintenanceSeconds).join(" / ")}`);
    console.log(`bench took ${seconds(started).toFixed(0)} s`);
    console.log(`bytes_per_second=${Math.round(rate)}`);
    console.log(`fixed_seconds=${fixed.toFixed(2)}`);
    console.log(`ratio=${(big.seconds / floorS).toFixed(2)}`);
  } finally {
    await Promise.allSettled([s3.stop(), pg.stop()]);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
