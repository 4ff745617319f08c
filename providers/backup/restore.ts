// Finding and restoring a tenant's backups (dump.ts writes them): for the operator after an
// offboarding, and for the tests that prove a backup restores to the data it was taken from.
import { createHash } from "node:crypto";
import { createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { naming } from "../../lib/naming";
import type { Connection } from "../postgres/connection";
import { findExecutable, runPgTool } from "../postgres/tools";
import { s3Client, type S3Credentials, type S3Store } from "../s3/client";
import { metadataKey, type BackupMetadata } from "./dump";

export interface RestoreRequest {
  store: S3Store;
  credentials?: S3Credentials;
  /** The dump's key (its metadata object sits at `<key>.json`). */
  key: string;
  /** An existing, empty database to restore into, as an admin. */
  into: Connection;
}

/** Keys of a tenant's complete backups (those with a metadata object), oldest first. */
export async function listBackups(store: S3Store, tenantId: string, credentials?: S3Credentials): Promise<string[]> {
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
  findExecutable("pg_restore");
  const client = s3Client(request.store, request.credentials);
  const dir = mkdtempSync(join(tmpdir(), "tenancy-restore-"));
  try {
    const meta = await client.send(new GetObjectCommand({ Bucket: request.store.bucket, Key: metadataKey(request.key) }));
    const metadata = JSON.parse(await meta.Body!.transformToString()) as BackupMetadata;
    const object = await client.send(new GetObjectCommand({ Bucket: request.store.bucket, Key: request.key }));
    const file = join(dir, "backup.dump");
    const hash = createHash("sha256");
    const body = object.Body as Readable;
    body.on("data", (chunk: Buffer) => hash.update(chunk));
    await pipeline(body, createWriteStream(file, { mode: 0o600 }));
    const sha256 = hash.digest("hex");
    if (sha256 !== metadata.sha256) {
      throw new Error(`backup s3://${request.store.bucket}/${request.key} is damaged: sha256 ${sha256} but its metadata says ${metadata.sha256}; nothing was restored`);
    }
    const into = request.into;
    const args = ["--no-password", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
      `--host=${into.host}`, `--port=${into.port}`, `--username=${into.user}`, `--dbname=${into.database}`, file];
    const exit = await runPgTool("pg_restore", args, into, { application: "tenancy-restore", output: "ignore" }).exited;
    if (exit.code !== 0) throw new Error(`pg_restore of s3://${request.store.bucket}/${request.key} into ${into.database} failed (code ${exit.code}): ${exit.stderr}`);
    return metadata;
  } finally {
    client.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}
