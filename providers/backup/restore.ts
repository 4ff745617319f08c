// Finding and restoring a tenant's backups (dump.ts writes them): for the operator after an
// offboarding, and for the tests that prove a backup restores to the data it was taken from.
//
// A backup is tenant-controlled content: its tables can carry CHECK constraints, column defaults,
// index expressions and materialized views that call functions the tenant wrote, and pg_restore
// runs them while it loads the data. Restored as the admin, they would run with the admin's
// rights. So a restore never runs as the admin:
// 1. the admin makes a throwaway role (no attributes, no memberships, a random password valid
//    for a day) and a quarantine database owned by it, from template0;
// 2. pg_restore logs in as that role, so every function the dump brings runs with its rights,
//    which are none (SET ROLE cannot get out: the session user has no other role);
// 3. the role loses its login, and the quarantine is checked from the catalogs alone (no restored
//    code runs): the tenant's schema is there and every object that runs code when used is listed
//    (`executable`), for review before anyone reads the restore.
// The restored objects stay owned by the throwaway role: never REASSIGN them to a privileged role
// (a SECURITY DEFINER function would then run as that role). Copy rows out of plain tables, then
// discardRestore(). SECURITY.md, "Restoring a backup", has the procedure.
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { GetObjectCommand, HeadObjectCommand } from "@aws-sdk/client-s3";
import { BACKUP_PARTS, naming } from "../../lib/naming";
import { IDENTIFIER, literal, quoteIdent as q } from "../../lib/database/sql";
import { connect, withSession, type Connection } from "../postgres/connection";
import { findExecutable, runPgTool } from "../postgres/tools";
import { s3Client, s3Status, type S3Credentials, type S3Store } from "../s3/client";
import { listFolders } from "../s3/list";
import { metadataKey, type BackupMetadata } from "./dump";
import { executableObjects } from "./quarantine";

export interface RestoreRequest {
  store: S3Store;
  credentials?: S3Credentials;
  /** The dump's key (its metadata object sits at `<key>.json`). */
  key: string;
  /**
   * The admin connection, and in `database` the quarantine database to restore into: created by
   * the restore, or an existing empty one (it is handed to the throwaway role).
   */
  into: Connection;
  /** A database the admin may connect to while the quarantine is made; `postgres` by default. */
  maintenanceDatabase?: string;
}

export interface RestoreResult extends BackupMetadata {
  /** The quarantine database holding the restore. */
  database: string;
  /** The throwaway role that owns it and every restored object; NOLOGIN once the restore is done. */
  owner: string;
  /** Every restored object that runs code when used, such as `function s.f(integer)`, sorted. */
  executable: string[];
}

/** Throwaway roles are named with this prefix; discardRestore refuses any other name. */
export const RESTORE_ROLE_PREFIX = naming.restoreQuarantine("");

/**
 * Keys of a tenant's complete database dumps (`backups/<id>/<time>/database.dump` with its metadata
 * object), oldest first: what restoreBackup takes. A whole backup's manifest names its dump too
 * (history.ts finds the whole backups).
 */
export async function listBackups(store: S3Store, tenantId: string, credentials?: S3Credentials): Promise<string[]> {
  const client = s3Client(store, credentials);
  try {
    const folders = (await listFolders(client, store.bucket, naming.backupsOf(tenantId))).filter((key) => naming.backupTenant(key) === tenantId);
    const complete = await Promise.all(
      folders.map(async (folder) => {
        const key = `${folder}${BACKUP_PARTS.database}`;
        const found = await client.send(new HeadObjectCommand({ Bucket: store.bucket, Key: metadataKey(key) })).then(
          () => true,
          (error: unknown) => {
            if (s3Status(error) === 404) return false;
            throw error;
          },
        );
        return found ? key : undefined;
      }),
    );
    return complete.filter((k): k is string => k !== undefined);
  } finally {
    client.destroy();
  }
}

/** Downloads the dump to `file` and its metadata; refuses a dump whose sha256 is not the metadata's. */
async function download(request: RestoreRequest, file: string): Promise<BackupMetadata> {
  const client = s3Client(request.store, request.credentials);
  try {
    const meta = await client.send(new GetObjectCommand({ Bucket: request.store.bucket, Key: metadataKey(request.key) }));
    const metadata = JSON.parse(await meta.Body!.transformToString()) as BackupMetadata;
    const object = await client.send(new GetObjectCommand({ Bucket: request.store.bucket, Key: request.key }));
    const hash = createHash("sha256");
    const body = object.Body as Readable;
    body.on("data", (chunk: Buffer) => hash.update(chunk));
    await pipeline(body, createWriteStream(file, { mode: 0o600 }));
    const sha256 = hash.digest("hex");
    if (sha256 !== metadata.sha256) {
      throw new Error(`backup s3://${request.store.bucket}/${request.key} is damaged: sha256 ${sha256} but its metadata says ${metadata.sha256}; nothing was restored`);
    }
    return metadata;
  } finally {
    client.destroy();
  }
}

interface Quarantine {
  database: string;
  owner: string;
  password: string;
}

/** The throwaway role and its database (created, or an existing empty one handed over). */
async function openQuarantine(admin: Connection, database: string, maintenance: string): Promise<Quarantine> {
  if (!IDENTIFIER.test(database)) throw new Error(`restore database ${JSON.stringify(database)} must be a lowercase PostgreSQL identifier`);
  const quarantine = { database, owner: naming.restoreQuarantine(randomBytes(6).toString("hex")), password: randomBytes(24).toString("hex") };
  const until = new Date(Date.now() + 24 * 3600_000).toISOString();
  try {
    await makeQuarantine(admin, quarantine, until, maintenance);
  } catch (error) {
    await discardRestore(admin, quarantine, maintenance).catch(() => undefined);
    throw error;
  }
  return quarantine;
}

async function makeQuarantine(admin: Connection, quarantine: Quarantine, until: string, maintenance: string): Promise<void> {
  const { database } = quarantine;
  await withSession({ ...admin, database: maintenance }, async (client) => {
    await client.query(
      `CREATE ROLE ${q(quarantine.owner)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS
         CONNECTION LIMIT 4 PASSWORD ${literal(quarantine.password)} VALID UNTIL ${literal(until)}`,
    );
    // A non-superuser admin may only give a database to a role it is a member of (admin -> role: the role gains nothing).
    const { rows } = await client.query(`SELECT rolsuper FROM pg_roles WHERE rolname = current_user`);
    if (!rows[0].rolsuper) await client.query(`GRANT ${q(quarantine.owner)} TO CURRENT_USER`);
    const exists = (await client.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [database])).rows.length > 0;
    // template0: template1 may hold objects (large objects, say) that anyone who can connect to it put there.
    if (!exists) await client.query(`CREATE DATABASE ${q(database)} OWNER ${q(quarantine.owner)} TEMPLATE template0`);
    else {
      await requireEmpty({ ...admin, database }, database);
      await client.query(`ALTER DATABASE ${q(database)} OWNER TO ${q(quarantine.owner)}`);
    }
    await client.query(`REVOKE ALL ON DATABASE ${q(database)} FROM PUBLIC`);
  });
}

/** An existing database may serve as the quarantine only when nothing is in it yet. */
async function requireEmpty(connection: Connection, database: string): Promise<void> {
  const [found] = await withSession(connection, async (client) =>
    (await client.query(
      `SELECT (SELECT count(*)::int FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'public', 'pg_toast') AND nspname NOT LIKE 'pg_temp_%' AND nspname NOT LIKE 'pg_toast_temp_%')
            + (SELECT count(*)::int FROM pg_class WHERE relnamespace = 'public'::regnamespace)
            + (SELECT count(*)::int FROM pg_proc WHERE pronamespace = 'public'::regnamespace)
            + (SELECT count(*)::int FROM pg_largeobject_metadata) AS objects`,
    )).rows,
  );
  if (found.objects > 0) throw new Error(`database ${database} is not empty; restore into a new database (restoreBackup creates it)`);
}

/** Ends the throwaway role's login and sessions: from now on its objects run only when someone uses them. */
async function sealQuarantine(admin: Connection, quarantine: Quarantine, maintenance: string): Promise<void> {
  await withSession({ ...admin, database: maintenance }, async (client) => {
    await client.query(`ALTER ROLE ${q(quarantine.owner)} NOLOGIN PASSWORD NULL`);
    await client.query(`SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE usename = $1`, [quarantine.owner]);
  });
}

/**
 * Restores a backup into a quarantine database as a throwaway role (see the file's head). The dump
 * is first downloaded to a scratch file and its sha256 checked against the metadata, so a damaged
 * dump never reaches the server. Ownership and grants are not restored. A failure removes the
 * quarantine again.
 */
export async function restoreBackup(request: RestoreRequest): Promise<RestoreResult> {
  findExecutable("pg_restore");
  const maintenance = request.maintenanceDatabase ?? naming.maintenanceDatabase;
  const dir = mkdtempSync(join(tmpdir(), "tenancy-restore-"));
  try {
    const file = join(dir, "backup.dump");
    const metadata = await download(request, file);
    const admin = request.into;
    const quarantine = await openQuarantine(admin, admin.database, maintenance);
    try {
      const asOwner = { ...admin, user: quarantine.owner, password: quarantine.password, database: quarantine.database };
      const args = ["--no-password", "--no-owner", "--no-privileges", "--no-publications", "--no-subscriptions", "--no-security-labels",
        "--no-tablespaces", "--exit-on-error", "--single-transaction",
        `--host=${admin.host}`, `--port=${admin.port}`, `--username=${quarantine.owner}`, `--dbname=${quarantine.database}`, file];
      const exit = await (await runPgTool("pg_restore", args, asOwner, { application: "tenancy-restore", output: "ignore" })).exited;
      await sealQuarantine(admin, quarantine, maintenance);
      if (exit.code !== 0) throw new Error(`pg_restore of s3://${request.store.bucket}/${request.key} into ${quarantine.database} failed (code ${exit.code}): ${exit.stderr}`);
      const executable = await checkRestored({ ...admin, database: quarantine.database }, metadata);
      return { ...metadata, database: quarantine.database, owner: quarantine.owner, executable };
    } catch (error) {
      await discardRestore(admin, quarantine, maintenance).catch(() => undefined);
      throw error;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The checks on a quarantine, from the catalogs only: the tenant's schema is there; what runs code is listed. */
async function checkRestored(connection: Connection, metadata: BackupMetadata): Promise<string[]> {
  const client = await connect(connection, "tenancy-restore-check");
  try {
    const { rows } = await client.query(`SELECT to_regnamespace($1) IS NOT NULL AS present`, [metadata.schema]);
    if (!rows[0].present) throw new Error(`the restore holds no schema ${metadata.schema}, which backup ${metadata.key} was taken of`);
    return await executableObjects(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Drops a quarantine database and its throwaway role; refuses anything not made by restoreBackup. */
export async function discardRestore(admin: Omit<Connection, "database">, restore: Pick<RestoreResult, "database" | "owner">, maintenance = naming.maintenanceDatabase): Promise<void> {
  if (!restore.owner.startsWith(RESTORE_ROLE_PREFIX) || !IDENTIFIER.test(restore.owner) || !IDENTIFIER.test(restore.database)) {
    throw new Error(`${restore.database} owned by ${restore.owner} is not a restore quarantine; nothing was dropped`);
  }
  await withSession({ ...admin, database: maintenance }, async (client) => {
    const { rows } = await client.query(`SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1`, [restore.database]);
    const ours = rows.length > 0 && rows[0].owner === restore.owner;
    if (ours) await client.query(`DROP DATABASE ${q(restore.database)} WITH (FORCE)`);
    await client.query(`DROP ROLE IF EXISTS ${q(restore.owner)}`);
    if (rows.length > 0 && !ours) throw new Error(`database ${restore.database} is owned by ${rows[0].owner}, not by ${restore.owner}; it was left as it is`);
  });
}
