// The backups of a tenant in its region's backups bucket: which there are, which verified (have a
// manifest), the latest one, and retention. Retention removes backups older than the tenant's
// backup.retention_days, whole, but never the latest verified one: a tenant whose backups all
// expired (offboarded long ago, say) keeps its last good backup until someone deletes it on purpose.
import { naming } from "../../lib/naming";
import { HeadObjectCommand } from "@aws-sdk/client-s3";
import { s3Client, s3Status, type S3Credentials, type S3Store } from "../s3/client";
import { emptyPrefix } from "../s3/empty-prefix";
import { listFolders } from "../s3/list";
import { manifestKey, readJsonPart, readManifest, type BackupManifest } from "./manifest";

export interface BackupEntry {
  /** The backup's key (its folder). */
  key: string;
  /** When it was started, from its key. */
  startedAt: Date;
  /** Whether it has its manifest, i.e. it was written and verified completely. */
  verified: boolean;
}

/** `2026-05-01T10-20-30-123Z` (a key's stamp) as a date. */
function stampDate(key: string): Date {
  const stamp = key.split("/").filter(Boolean).pop() ?? "";
  const iso = stamp.replace(/^(\d{4}-\d{2}-\d{2}T\d{2})-(\d{2})-(\d{2})-(\d{3})Z$/, "$1:$2:$3.$4Z");
  return new Date(iso);
}

/** Every backup of a tenant, oldest first. */
export async function listTenantBackups(store: S3Store, tenantId: string, credentials?: S3Credentials): Promise<BackupEntry[]> {
  const client = s3Client(store, credentials);
  try {
    const folders = (await listFolders(client, store.bucket, naming.backupsOf(tenantId))).filter((key) => naming.backupTenant(key) === tenantId);
    return await Promise.all(
      folders.map(async (key) => {
        const verified = await client.send(new HeadObjectCommand({ Bucket: store.bucket, Key: manifestKey(key) })).then(
          () => true,
          (error: unknown) => {
            if (s3Status(error) === 404) return false;
            throw error;
          },
        );
        return { key, startedAt: stampDate(key), verified };
      }),
    );
  } finally {
    client.destroy();
  }
}

/** The latest verified backup of a tenant, or undefined. */
export async function latestBackup(store: S3Store, tenantId: string, credentials?: S3Credentials): Promise<string | undefined> {
  return (await listTenantBackups(store, tenantId, credentials)).filter((b) => b.verified).pop()?.key;
}

/** A backup's manifest (the backup must be verified). */
export async function backupManifest(store: S3Store, key: string, credentials?: S3Credentials): Promise<BackupManifest> {
  const client = s3Client(store, credentials);
  try {
    return await readManifest(client, store.bucket, key);
  } finally {
    client.destroy();
  }
}

/** Deletes one backup, every part of it. */
export async function deleteBackup(store: S3Store, key: string, credentials?: S3Credentials): Promise<void> {
  if (!naming.backupTenant(key)) throw new Error(`${JSON.stringify(key)} is not a backup key (backups/<id>/<time>/); nothing was deleted`);
  await emptyPrefix({ store, prefix: key, credentials });
}

/** Which backups retention removes: older than `days` before `now`, except the latest verified one. */
export function expiredBackups(backups: readonly BackupEntry[], days: number, now: Date): string[] {
  const latest = backups.filter((b) => b.verified).pop()?.key;
  const limit = now.getTime() - days * 86_400_000;
  return backups.filter((b) => b.key !== latest && b.startedAt.getTime() < limit).map((b) => b.key);
}

/** Removes the tenant's expired backups (expiredBackups); returns their keys. */
export async function applyRetention(store: S3Store, tenantId: string, days: number, now: Date, credentials?: S3Credentials): Promise<string[]> {
  const expired = expiredBackups(await listTenantBackups(store, tenantId, credentials), days, now);
  for (const key of expired) await deleteBackup(store, key, credentials);
  return expired;
}

/** A JSON part of a verified backup (configuration, identity, objects), checked against its manifest; undefined when the backup has none. */
export async function backupJson<T>(store: S3Store, manifest: BackupManifest, part: "configuration" | "identity" | "objects", credentials?: S3Credentials): Promise<T | undefined> {
  const record = manifest.parts[part];
  if (!record) return undefined;
  const client = s3Client(store, credentials);
  try {
    return await readJsonPart<T>(client, store.bucket, record);
  } finally {
    client.destroy();
  }
}
