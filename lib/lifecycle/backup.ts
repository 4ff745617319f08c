// Backup before deletion: pg_dump (custom format) of what a tenant owns on its database server,
// streamed to the backups bucket, then a metadata object next to it. Runs inside the TenantBackup
// provider's process, so Node modules and clients are required inside the functions.
//
// What is dumped, per isolation mode:
// - database: the tenant's whole database.
// - schema:   `--schema=<tenant schema>` in the shared database.
// - shared:   pg_dump cannot filter rows, but row-level security can: pg_dump runs with
//             `--role=<tenant role> --enable-row-security`, so the very policies that isolate the
//             tenant at run time (tenant_id = current_tenant_id(), keyed on current_user) decide which
//             rows are dumped. The result is an ordinary custom-format archive of the shared schema
//             holding only this tenant's rows, restorable with pg_restore. `schema_migrations` is left
//             out (the tenant role may not read it); its version is in the metadata instead. The admin
//             must be allowed to SET ROLE to the tenant role (superuser or member).
//
// Objects: `backups/<id>/<time>.dump` (naming.backupKey) and `<that key>.json` with the metadata,
// written only after the dump is complete and verified, so a metadata object marks a good backup.
// The admin password reaches pg_dump through PGPASSWORD in the child's environment only: never an
// argument (visible in `ps`), never a log line or an error message.
import type { Readable } from "node:stream";
import type { S3Client } from "@aws-sdk/client-s3";
import { naming } from "../naming";
import { appliedVersion, checkTarget, type Connection, type Target } from "../database/runner";

export interface BackupStore {
  bucket: string;
  region: string;
  /** Only for S3-compatible servers (tests: s3rver on 127.0.0.1). */
  endpoint?: string;
  forcePathStyle?: boolean;
}

/** Explicit S3 credentials; without them the AWS SDK's default chain (environment, profile, role) applies. */
export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface BackupRequest {
  target: Target;
  store: BackupStore;
  credentials?: S3Credentials;
  /** Clock for the object key; defaults to now. */
  now?: Date;
  /** Multipart part size in bytes (S3's minimum, 5 MiB, and up); memory use is about twice this. */
  partSize?: number;
  /** Called as parts are uploaded: bytes so far and the part number. */
  onProgress?: (progress: { loaded: number; part: number }) => void;
}

export const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
const MIN_PART_SIZE = 5 * 1024 * 1024;

export interface BackupMetadata {
  tenant: string;
  isolation: Target["isolation"];
  database: string;
  schema: string;
  bucket: string;
  key: string;
  format: "pg_dump-custom";
  pgDumpVersion: string;
  /** Highest applied migration (schema_migrations), 0 when none. */
  migrationVersion: number;
  size: number;
  sha256: string;
  startedAt: string;
  finishedAt: string;
}

export interface BackupResult extends BackupMetadata {
  metadataKey: string;
}

const STDERR_LIMIT = 8_000;

/** The metadata object's key for a dump key. */
export function metadataKey(key: string): string {
  return `${key}.json`;
}

/** Absolute path of an executable on PATH; a clear error naming the package when it is missing. */
export function findExecutable(name: string, pathEnv: string | undefined = process.env.PATH): string {
  const fs = require("node:fs") as typeof import("node:fs");
  const path = require("node:path") as typeof import("node:path");
  for (const dir of (pathEnv ?? "").split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not in this directory
    }
  }
  throw new Error(
    `${name} was not found on PATH (${pathEnv ?? ""}); install the PostgreSQL client of the servers' major version ` +
      `(Debian: apt-get install postgresql-client-15) on the machine that runs pulumi`,
  );
}

/** pg_dump's arguments: the connection without its password, and the scope of the tenant's data. */
export function pgDumpArgs(target: Target): string[] {
  const args = ["--format=custom", "--no-password", `--host=${target.host}`, `--port=${target.port}`, `--username=${target.user}`, `--dbname=${target.database}`];
  if (target.isolation === "schema") args.push(`--schema=${target.schema}`);
  if (target.isolation === "shared") {
    args.push(`--schema=${target.schema}`, `--exclude-table=${target.schema}.schema_migrations`, `--role=${target.role}`, "--enable-row-security");
  }
  return args;
}

/**
 * The child's environment: the parent's without any PG* variable (a stray PGSERVICE or PGPASSFILE
 * must not redirect the dump), plus the password and TLS mode.
 */
export function postgresEnv(connection: Pick<Connection, "password" | "sslmode">, base: NodeJS.ProcessEnv, application: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(base)) if (!key.startsWith("PG")) env[key] = value;
  env.PGPASSWORD = connection.password;
  env.PGSSLMODE = connection.sslmode;
  env.PGAPPNAME = application;
  env.PGCONNECT_TIMEOUT = "15";
  return env;
}

export function s3Client(store: BackupStore, credentials?: S3Credentials): S3Client {
  const { S3Client: Client } = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
  return new Client({
    region: store.region,
    endpoint: store.endpoint,
    forcePathStyle: store.forcePathStyle,
    // A copy: the SDK tags the object it is given (`$source`), which would otherwise end up in the resource's outputs.
    credentials: credentials && { ...credentials },
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 10_000, requestTimeout: 120_000 },
  });
}

/** A readable, secret-free description of an S3 SDK error. */
export function s3Reason(error: unknown): string {
  const e = error as { name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  const parts = [e.name && e.name !== "Error" ? e.name : e.code, status ? `HTTP ${status}` : undefined, e.message].filter(Boolean);
  return parts.join(": ") || String(error);
}

export function where(store: BackupStore): string {
  return `s3://${store.bucket}${store.endpoint ? ` at ${store.endpoint}` : ` in ${store.region}`}`;
}

export function s3Status(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

/** What to tell the user when a bucket is missing or forbidden; `role` names the bucket in messages. */
export interface BucketHints {
  role: string;
  notFound: string;
  forbidden: string;
}

/** Fails before any work starts when the bucket is missing, unreachable or forbidden. */
export async function assertBucketUsable(store: BackupStore, credentials: S3Credentials | undefined, hints: BucketHints): Promise<void> {
  const { HeadBucketCommand } = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
  const client = s3Client(store, credentials);
  try {
    await client.send(new HeadBucketCommand({ Bucket: store.bucket }));
  } catch (error) {
    const code = s3Status(error);
    const hint = code === 404 ? hints.notFound : code === 403 ? hints.forbidden : "it cannot be reached";
    throw new Error(`${hints.role} ${where(store)} is not usable (${hint}): ${s3Reason(error)}`);
  } finally {
    client.destroy();
  }
}

/** Fails before any dump starts when the bucket is missing, unreachable or forbidden. */
export function checkStore(store: BackupStore, credentials?: S3Credentials): Promise<void> {
  return assertBucketUsable(store, credentials, {
    role: "backup bucket",
    notFound: "the bucket does not exist; create it or fix tenancy:backupBucket",
    forbidden: "access denied; the deploying identity needs s3:ListBucket, s3:PutObject, s3:GetObject on it",
  });
}

export function pgToolVersion(executable: string): string {
  const { execFileSync } = require("node:child_process") as typeof import("node:child_process");
  return execFileSync(executable, ["--version"], { encoding: "utf8" }).trim();
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * Takes the backup. Throws (with pg_dump's or S3's own words, never the password) when anything
 * fails, after removing a partial dump object; the caller must then drop nothing.
 */
export async function backupTenant(request: BackupRequest): Promise<BackupResult> {
  const { spawn } = require("node:child_process") as typeof import("node:child_process");
  const { createHash } = require("node:crypto") as typeof import("node:crypto");
  const { Transform } = require("node:stream") as typeof import("node:stream");
  const { Upload } = require("@aws-sdk/lib-storage") as typeof import("@aws-sdk/lib-storage");
  const { DeleteObjectCommand, HeadObjectCommand, PutObjectCommand } = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");

  const target = checkTarget(request.target);
  const { store } = request;
  const partSize = request.partSize ?? DEFAULT_PART_SIZE;
  if (!Number.isInteger(partSize) || partSize < MIN_PART_SIZE) {
    throw new Error(`backup part size must be a whole number of bytes of at least ${MIN_PART_SIZE} (S3's minimum), got ${partSize}`);
  }
  const fail = (reason: string) => new Error(`backup of tenant ${target.tenantId} failed, so nothing of it was deleted: ${reason}`);

  const pgDump = findExecutable("pg_dump");
  const pgDumpVersion = pgToolVersion(pgDump);
  try {
    await checkStore(store, request.credentials);
  } catch (error) {
    throw fail((error as Error).message);
  }
  let migrationVersion: number | null;
  try {
    migrationVersion = await appliedVersion(target);
  } catch (error) {
    throw fail(`cannot read the migration version of ${target.database}.${target.schema}: ${(error as Error).message}`);
  }
  if (migrationVersion === null) {
    throw fail(`${target.database}.${target.schema} holds no migrated tenant data (the database, the schema or its schema_migrations table is missing)`);
  }

  const started = request.now ?? new Date();
  const key = naming.backupKey(target.tenantId, started.toISOString());
  const client = s3Client(store, request.credentials);
  try {
    const child = spawn(pgDump, pgDumpArgs(target), {
      env: postgresEnv(target, process.env, "tenancy-backup"),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (text: string) => {
      if (stderr.length < STDERR_LIMIT) stderr += text;
    });
    const exited = new Promise<Exit>((resolve) => {
      child.on("error", (e) => {
        stderr += e.message;
        resolve({ code: -1, signal: null });
      });
      child.on("close", (code, signal) => resolve({ code, signal }));
    });

    const hash = createHash("sha256");
    let size = 0;
    const body: Readable = child.stdout.pipe(
      new Transform({
        transform(chunk: Buffer, _encoding, done) {
          hash.update(chunk);
          size += chunk.length;
          done(null, chunk);
        },
      }),
    );
    const upload = new Upload({
      client,
      params: { Bucket: store.bucket, Key: key, Body: body, ContentType: "application/octet-stream" },
      queueSize: 2,
      partSize,
      leavePartsOnError: false,
    });
    const onProgress = request.onProgress;
    if (onProgress) upload.on("httpUploadProgress", (p) => onProgress({ loaded: p.loaded ?? 0, part: p.part ?? 1 }));

    let uploadError: unknown;
    try {
      await upload.done();
    } catch (error) {
      uploadError = error;
      // Nobody reads pg_dump's output any more: stop it rather than leave it blocked on a full pipe.
      child.kill("SIGTERM");
    }
    const exit = await exited;

    const removePartial = () => client.send(new DeleteObjectCommand({ Bucket: store.bucket, Key: key })).catch(() => undefined);
    if (exit.code !== 0) {
      await removePartial();
      const how = exit.signal ? `was stopped by ${exit.signal}` : `exited with code ${exit.code}`;
      const detail = stderr.trim() || "(no message)";
      throw fail(uploadError ? `upload to ${where(store)} failed: ${s3Reason(uploadError)}` : `pg_dump ${how}: ${detail}`);
    }
    if (uploadError) {
      await removePartial();
      throw fail(`upload to ${where(store)} failed: ${s3Reason(uploadError)}`);
    }

    const sha256 = hash.digest("hex");
    const head = await client.send(new HeadObjectCommand({ Bucket: store.bucket, Key: key }));
    if (head.ContentLength !== size) {
      await removePartial();
      throw fail(`s3://${store.bucket}/${key} holds ${head.ContentLength} bytes but pg_dump wrote ${size}`);
    }
    const metadata: BackupMetadata = {
      tenant: target.tenantId,
      isolation: target.isolation,
      database: target.database,
      schema: target.schema,
      bucket: store.bucket,
      key,
      format: "pg_dump-custom",
      pgDumpVersion,
      migrationVersion,
      size,
      sha256,
      startedAt: started.toISOString(),
      finishedAt: new Date().toISOString(),
    };
    try {
      await client.send(
        new PutObjectCommand({ Bucket: store.bucket, Key: metadataKey(key), Body: JSON.stringify(metadata, null, 2), ContentType: "application/json" }),
      );
    } catch (error) {
      await removePartial();
      throw fail(`writing the metadata object failed: ${s3Reason(error)}`);
    }
    return { ...metadata, metadataKey: metadataKey(key) };
  } finally {
    client.destroy();
  }
}

export interface RestoreRequest {
  store: BackupStore;
  credentials?: S3Credentials;
  /** The dump's key (its metadata object sits at `<key>.json`). */
  key: string;
  /** An existing, empty database to restore into, as an admin. */
  into: Connection;
}

/** Keys of a tenant's complete backups (those with a metadata object), oldest first. */
export async function listBackups(store: BackupStore, tenantId: string, credentials?: S3Credentials): Promise<string[]> {
  const { ListObjectsV2Command } = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
  const prefix = naming.backupKey(tenantId, "x").replace(/x\.dump$/, "");
  const client = s3Client(store, credentials);
  try {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: store.bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
      token = page.NextContinuationToken;
    } while (token);
    const all = new Set(keys);
    return keys.filter((k) => k.endsWith(".dump") && all.has(metadataKey(k))).sort();
  } finally {
    client.destroy();
  }
}

/**
 * Restores a backup with pg_restore. The dump is first downloaded to a scratch file and its sha256
 * checked against the metadata, so a damaged dump never touches the database. Ownership and
 * grants are not restored: the tenant's roles are usually gone by the time anyone restores.
 */
export async function restoreBackup(request: RestoreRequest): Promise<BackupMetadata> {
  const { spawn } = require("node:child_process") as typeof import("node:child_process");
  const { createHash } = require("node:crypto") as typeof import("node:crypto");
  const fs = require("node:fs") as typeof import("node:fs");
  const os = require("node:os") as typeof import("node:os");
  const path = require("node:path") as typeof import("node:path");
  const { pipeline } = require("node:stream/promises") as typeof import("node:stream/promises");
  const { GetObjectCommand } = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");

  const pgRestore = findExecutable("pg_restore");
  const client = s3Client(request.store, request.credentials);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-restore-"));
  try {
    const meta = await client.send(new GetObjectCommand({ Bucket: request.store.bucket, Key: metadataKey(request.key) }));
    const metadata = JSON.parse(await meta.Body!.transformToString()) as BackupMetadata;
    const object = await client.send(new GetObjectCommand({ Bucket: request.store.bucket, Key: request.key }));
    const file = path.join(dir, "backup.dump");
    const hash = createHash("sha256");
    const body = object.Body as Readable;
    body.on("data", (chunk: Buffer) => hash.update(chunk));
    await pipeline(body, fs.createWriteStream(file, { mode: 0o600 }));
    const sha256 = hash.digest("hex");
    if (sha256 !== metadata.sha256) {
      throw new Error(`backup s3://${request.store.bucket}/${request.key} is damaged: sha256 ${sha256} but its metadata says ${metadata.sha256}; nothing was restored`);
    }
    const into = request.into;
    const args = ["--no-password", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
      `--host=${into.host}`, `--port=${into.port}`, `--username=${into.user}`, `--dbname=${into.database}`, file];
    const child = spawn(pgRestore, args, { env: postgresEnv(into, process.env, "tenancy-restore"), stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (text: string) => {
      if (stderr.length < STDERR_LIMIT) stderr += text;
    });
    const code = await new Promise<number | null>((resolve) => {
      child.on("error", (e) => {
        stderr += e.message;
        resolve(-1);
      });
      child.on("close", (c) => resolve(c));
    });
    if (code !== 0) throw new Error(`pg_restore of s3://${request.store.bucket}/${request.key} into ${into.database} failed (code ${code}): ${stderr.trim()}`);
    return metadata;
  } finally {
    client.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
