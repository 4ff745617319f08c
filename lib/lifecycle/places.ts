// Where a tenant's backups and objects are, and what its backup records of its configuration: pure
// functions of the catalog and the stack config, shared by the program (TenantBackup's inputs) and the
// operator's commands (`tenancy backup`, `restore`, `export`, `forget`), so both find the same places.
import type { ResolvedTenant } from "../catalog/load";
import { naming } from "../naming";
import { DEFAULT_BACKUP_RETENTION_DAYS } from "./policy";
import type { ObjectPlace, S3Store } from "../../providers/s3/client";

/**
 * How the engine-side S3 users (a prefix tenant's objects, backups) reach an S3-compatible server:
 * its URL with path-style addressing, which such servers expect; nothing for AWS S3 itself.
 */
export function s3Access(endpoint: string | undefined): { endpoint?: string; forcePathStyle?: boolean } {
  return endpoint ? { endpoint, forcePathStyle: true } : {};
}

/** The backups bucket `bucket` of `region` (config.ts backupBucketName decides the name), as a store. */
export function backupStore(bucket: string, region: string, s3Endpoint?: string): S3Store {
  return { bucket, region, ...s3Access(s3Endpoint) };
}

export interface StorageSettings {
  bucketPrefix: string;
  /** The stack's cell: a prefix tenant's shared bucket is its cell's. */
  cell: string;
  s3Endpoint?: string;
}

/** The tenant's own bucket, or its prefix in its cell's shared bucket of its region. */
export function objectPlace(t: Pick<ResolvedTenant, "id" | "region" | "storage"> & { adopt?: ResolvedTenant["adopt"] }, settings: StorageSettings): ObjectPlace {
  const own = t.storage.mode === "bucket";
  return {
    bucket: own ? naming.bucket(settings.bucketPrefix, t.id, t.adopt?.bucket) : naming.sharedBucket(settings.bucketPrefix, settings.cell, t.region),
    prefix: own ? "" : naming.storagePrefix(t.id),
    region: t.region,
    versioning: own ? t.storage.versioning : true,
    ...s3Access(settings.s3Endpoint),
  };
}

/** What a backup keeps of the tenant's configuration: the tenant as the catalog resolved it, effective settings included. */
export interface BackupConfiguration {
  format: "tenancy-configuration/1";
  tenant: Omit<ResolvedTenant, "source">;
}

export function backupConfiguration(t: ResolvedTenant): BackupConfiguration {
  const { source: _where, ...tenant } = t;
  return { format: "tenancy-configuration/1", tenant };
}

/** backup.retention_days of the tenant (from its file or `_defaults.yaml`), else the default. */
export function retentionDays(t: Pick<ResolvedTenant, "backup">): number {
  return t.backup?.retention_days ?? DEFAULT_BACKUP_RETENTION_DAYS;
}
