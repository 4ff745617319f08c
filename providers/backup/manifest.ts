// The manifest of a whole-tenant backup: what it holds, part by part, each with its length and
// sha256. Written last, once every other part has been read back and verified, and then read back
// itself: a backup folder with a manifest is a verified backup, one without it is not a backup.
import type { S3Client } from "@aws-sdk/client-s3";
import { BACKUP_PARTS } from "../../lib/naming";
import type { Isolation } from "../postgres/target";
import { readCheckedPart, readPart, type PartRecord } from "./parts";

export const MANIFEST_FORMAT = "tenancy-backup/1";

/** Why a backup was taken; a restore with --replace takes a `pre-restore` one of what it replaces. */
export const BACKUP_REASONS = ["offboarding", "on-demand", "scheduled", "pre-restore", "move"] as const;
export type BackupReason = (typeof BACKUP_REASONS)[number];

export interface BackupManifest {
  format: typeof MANIFEST_FORMAT;
  tenant: string;
  /** The backup's key (its folder) in `bucket`. */
  key: string;
  bucket: string;
  region: string;
  reason: BackupReason;
  startedAt: string;
  finishedAt: string;
  isolation: Isolation;
  /** The database part's migration version: a restore needs a place at the same version. */
  migrationVersion: number;
  /** Object versions copied (objects.json lists them, each with its checksum). */
  objects: number;
  retentionDays: number;
  /** Parts a backup could not take and why (a resource deployed before whole backups has no objects to name). */
  missing: Partial<Record<"objects" | "configuration" | "identity", string>>;
  parts: {
    database: PartRecord;
    databaseMetadata: PartRecord;
    objects?: PartRecord;
    configuration?: PartRecord;
    identity?: PartRecord;
  };
}

export function manifestKey(backupKey: string): string {
  return `${backupKey}${BACKUP_PARTS.manifest}`;
}

/** The manifest of a backup; throws when there is none (an unfinished or unverified backup). */
export async function readManifest(client: S3Client, bucket: string, backupKey: string): Promise<BackupManifest> {
  let text = "";
  try {
    for await (const chunk of await readPart(client, bucket, manifestKey(backupKey))) text += chunk;
  } catch (error) {
    throw new Error(`s3://${bucket}/${backupKey} is not a verified backup (no readable ${BACKUP_PARTS.manifest}): ${(error as Error).message}`);
  }
  const manifest = JSON.parse(text) as BackupManifest;
  if (manifest.format !== MANIFEST_FORMAT || manifest.key !== backupKey) {
    throw new Error(`s3://${bucket}/${manifestKey(backupKey)} is not the manifest of this backup (format ${JSON.stringify(manifest.format)}, key ${JSON.stringify(manifest.key)})`);
  }
  return manifest;
}

/** A JSON part of a backup, checked against the manifest's record of it. */
export async function readJsonPart<T>(client: S3Client, bucket: string, record: PartRecord): Promise<T> {
  return JSON.parse((await readCheckedPart(client, bucket, record)).toString("utf8")) as T;
}
