// Backup before deletion: pg_dump (custom format) of what a tenant owns on its database server,
// streamed to the backups bucket, then a metadata object next to it.
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
// Objects: the database part of a backup, `backups/<id>/<time>/database.dump` (naming.backupKey,
// BACKUP_PARTS), and `<that key>.json` with the metadata, written only after the dump is complete and
// its length checked, so a metadata object marks a good dump. Both are written encrypted (parts.ts).
import { DeleteObjectCommand, HeadObjectCommand } from "@aws-sdk/client-s3";
import { BACKUP_PARTS, naming } from "../../lib/naming";
import { appliedVersion } from "../postgres/runner";
import { checkTarget, type Target } from "../postgres/target";
import { pgToolVersion, runPgTool } from "../postgres/tools";
import { assertBucketUsable, s3Client, s3Reason, where, type S3Credentials, type S3Store } from "../s3/client";
import { DEFAULT_PART_SIZE, putJsonPart, putPart, type PartRecord } from "./parts";

export interface BackupRequest {
  target: Target;
  store: S3Store;
  credentials?: S3Credentials;
  /** Clock for the object key; defaults to now. */
  now?: Date;
  /** Where the dump goes; by default the database part of a new backup (naming.backupKey) started at `now`. */
  key?: string;
  /** Multipart part size in bytes (S3's minimum, 5 MiB, and up); memory use is about twice this. */
  partSize?: number;
  /** How long pg_dump waits for each table's lock; DUMP_LOCK_WAIT_MS by default. */
  lockWaitMs?: number;
  /** Called as parts are uploaded: bytes so far and the part number. */
  onProgress?: (progress: { loaded: number; part: number }) => void;
}

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
  /** The dump and its metadata object, as written (for the whole backup's manifest). */
  parts: PartRecord[];
}

/** The metadata object's key for a dump key. */
export function metadataKey(key: string): string {
  return `${key}.json`;
}

/**
 * How long pg_dump waits for each table's lock. A tenant's own transaction can hold a lock on its
 * tables (or, in shared mode, on a shared one: see SECURITY.md); the backup then fails saying so,
 * and the deletion waits for a rerun, instead of hanging the deployment.
 */
export const DUMP_LOCK_WAIT_MS = 30_000;

/** pg_dump's arguments: the connection without its password, and the scope of the tenant's data. */
export function pgDumpArgs(target: Target, lockWaitMs = DUMP_LOCK_WAIT_MS): string[] {
  const args = [
    "--format=custom", "--no-password", `--lock-wait-timeout=${lockWaitMs}`,
    `--host=${target.host}`, `--port=${target.port}`, `--username=${target.user}`, `--dbname=${target.database}`,
  ];
  if (target.isolation === "schema") args.push(`--schema=${target.schema}`);
  if (target.isolation === "shared") {
    args.push(`--schema=${target.schema}`, `--exclude-table=${target.schema}.schema_migrations`, `--role=${target.role}`, "--enable-row-security");
  }
  return args;
}

/** Fails before any dump starts when the bucket is missing, unreachable or forbidden. */
export function checkStore(store: S3Store, credentials?: S3Credentials): Promise<void> {
  return assertBucketUsable(store, credentials, {
    role: "backup bucket",
    notFound: "the bucket does not exist; create it or fix tenancy:backupBucket",
    forbidden: "access denied; the deploying identity needs s3:ListBucket, s3:PutObject, s3:GetObject on it",
  });
}

/**
 * Takes the backup. Throws (with pg_dump's or S3's own words, never the password) when anything
 * fails, after removing a partial dump object; the caller must then drop nothing.
 */
export async function backupTenant(request: BackupRequest): Promise<BackupResult> {
  const target = checkTarget(request.target);
  const { store } = request;
  const partSize = request.partSize ?? DEFAULT_PART_SIZE;
  if (!Number.isInteger(partSize) || partSize < MIN_PART_SIZE) {
    throw new Error(`backup part size must be a whole number of bytes of at least ${MIN_PART_SIZE} (S3's minimum), got ${partSize}`);
  }
  const fail = (reason: string) => new Error(`backup of tenant ${target.tenantId} failed, so nothing of it was deleted: ${reason}`);

  // First, so a machine without pg_dump fails before anything else is tried.
  const pgDumpVersion = pgToolVersion("pg_dump");
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
  const key = request.key ?? `${naming.backupKey(target.tenantId, started.toISOString())}${BACKUP_PARTS.database}`;
  const client = s3Client(store, request.credentials);
  try {
    let dump: Awaited<ReturnType<typeof runPgTool>>;
    try {
      dump = await runPgTool("pg_dump", pgDumpArgs(target, request.lockWaitMs), target, { application: "tenancy-backup", output: "pipe" });
    } catch (error) {
      throw fail((error as Error).message);
    }
    let uploadError: unknown;
    let written: PartRecord | undefined;
    try {
      written = await putPart(client, store.bucket, key, dump.stdout!, { partSize, onProgress: request.onProgress });
    } catch (error) {
      uploadError = error;
      // Nobody reads pg_dump's output any more: stop it rather than leave it blocked on a full pipe.
      dump.stop();
    }
    const exit = await dump.exited;

    const removePartial = () => client.send(new DeleteObjectCommand({ Bucket: store.bucket, Key: key })).catch(() => undefined);
    if (exit.code !== 0) {
      await removePartial();
      const how = exit.signal ? `was stopped by ${exit.signal}` : `exited with code ${exit.code}`;
      if (uploadError) throw fail(`upload to ${where(store)} failed: ${s3Reason(uploadError)}`);
      // pg_dump reports its --lock-wait-timeout as a statement timeout on LOCK TABLE: say what it means.
      const lockWait = /LOCK TABLE/.test(exit.stderr) && /timeout/.test(exit.stderr);
      throw fail(
        lockWait
          ? `a lock on a table was held longer than pg_dump's --lock-wait-timeout (${(request.lockWaitMs ?? DUMP_LOCK_WAIT_MS) / 1000} s), most likely by a tenant's open transaction; rerun once it is released (pg_locks shows the holder): ${exit.stderr}`
          : `pg_dump ${how}: ${exit.stderr || "(no message)"}`,
      );
    }
    if (uploadError || !written) {
      await removePartial();
      throw fail(`upload to ${where(store)} failed: ${s3Reason(uploadError)}`);
    }

    const { sha256, size } = written;
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
    let described: PartRecord;
    try {
      described = await putJsonPart(client, store.bucket, metadataKey(key), metadata);
    } catch (error) {
      await removePartial();
      throw fail(`writing the metadata object failed: ${s3Reason(error)}`);
    }
    return { ...metadata, metadataKey: metadataKey(key), parts: [written, described] };
  } finally {
    client.destroy();
  }
}
