// The objects part of a backup: every object of the tenant (its bucket, or its prefix in the shared
// bucket), every stored version where the bucket keeps versions, each copied into the backup as a
// numbered part with its checksum. Keys are kept relative to the tenant's root, so a restore writes
// them into whatever place the tenant (or a clone) has now: another bucket, another prefix, another mode.
import type { Readable } from "node:stream";
import { DeleteObjectCommand, GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { naming } from "../../lib/naming";
import { s3Client, type ObjectPlace, type S3Credentials, type S3Store } from "../s3/client";
import { listVersions, type ListedVersion } from "../s3/list";
import { hashing, putPart, readPart, type PartRecord } from "./parts";

/** One stored version of an object (or a delete marker) of the tenant, as backed up. */
export interface BackedUpObject extends Omit<ListedVersion, "key"> {
  /** Relative to the tenant's root: its bucket, or its prefix in the shared bucket. */
  key: string;
  contentType?: string;
  /** The copy in the backup; none for a delete marker. */
  part?: PartRecord;
}

/** `objects.json`: where the objects were, and each one. */
export interface ObjectsPart {
  bucket: string;
  prefix: string;
  versioning: boolean;
  listing: "versions" | "objects";
  objects: BackedUpObject[];
}

/** The objects of a place as they are now: every version (oldest first per key). */
export async function listPlace(client: S3Client, place: ObjectPlace): Promise<{ listing: ObjectsPart["listing"]; versions: ListedVersion[] }> {
  return listVersions(client, place.bucket, place.prefix);
}

/** The place's current objects (no old versions, no deleted keys), keys relative to its root. */
export async function currentObjects(client: S3Client, place: ObjectPlace): Promise<ListedVersion[]> {
  const { versions } = await listPlace(client, place);
  return versions.filter((v) => v.latest && !v.deleteMarker).map((v) => ({ ...v, key: v.key.slice(place.prefix.length) }));
}

/** Whether S3 answered that the bucket does not exist (not: unreachable, forbidden). */
export function noSuchBucket(error: unknown): boolean {
  return (error as { name?: string }).name === "NoSuchBucket";
}

/**
 * Copies every version of the place into the backup at `backupKey`; returns objects.json's content
 * and the parts written. A bucket that does not exist holds no object: the backup says so
 * (`absent`) instead of failing, since there is nothing to lose; any other error fails the backup.
 */
export async function backUpObjects(place: ObjectPlace, store: S3Store, backupKey: string, credentials?: S3Credentials): Promise<{ part: ObjectsPart; records: PartRecord[]; absent: boolean }> {
  const source = s3Client(place, credentials);
  const target = s3Client(store, credentials);
  try {
    let listed: Awaited<ReturnType<typeof listPlace>>;
    try {
      listed = await listPlace(source, place);
    } catch (error) {
      if (!noSuchBucket(error)) throw error;
      return { part: { bucket: place.bucket, prefix: place.prefix, versioning: place.versioning, listing: "objects", objects: [] }, records: [], absent: true };
    }
    const { listing, versions } = listed;
    const objects: BackedUpObject[] = [];
    const records: PartRecord[] = [];
    for (const v of versions) {
      const key = v.key.slice(place.prefix.length);
      if (v.deleteMarker) {
        objects.push({ ...v, key });
        continue;
      }
      const got = await source.send(new GetObjectCommand({ Bucket: place.bucket, Key: v.key, ...(v.versionId && listing === "versions" ? { VersionId: v.versionId } : {}) }));
      const record = await putPart(target, store.bucket, naming.backupObject(backupKey, records.length + 1), got.Body as Readable, { contentType: got.ContentType });
      records.push(record);
      objects.push({ ...v, key, ...(got.ContentType ? { contentType: got.ContentType } : {}), part: record });
    }
    return { part: { bucket: place.bucket, prefix: place.prefix, versioning: place.versioning, listing, objects }, records, absent: false };
  } finally {
    source.destroy();
    target.destroy();
  }
}

/** Writes one backed-up version into `into`, checking its sha256 as it streams; a damaged copy is deleted again. */
async function writeVersion(from: S3Client, store: S3Store, to: S3Client, into: ObjectPlace, object: BackedUpObject & { part: PartRecord }): Promise<void> {
  const counted = hashing();
  const key = `${into.prefix}${object.key}`;
  await new Upload({
    client: to,
    params: { Bucket: into.bucket, Key: key, Body: (await readPart(from, store.bucket, object.part.key)).pipe(counted.stream), ...(object.contentType ? { ContentType: object.contentType } : {}) },
    queueSize: 2,
    leavePartsOnError: false,
  }).done();
  const read = counted.digest();
  if (read.sha256 !== object.part.sha256 || read.size !== object.part.size) {
    await to.send(new DeleteObjectCommand({ Bucket: into.bucket, Key: key })).catch(() => undefined);
    throw new Error(`backup copy ${object.part.key} of ${object.key} is damaged (sha256 ${read.sha256}, expected ${object.part.sha256}); nothing of it was restored`);
  }
}

/**
 * Writes the backed-up objects into a place, each key's versions oldest first (so a versioned bucket
 * gets the same history, an unversioned one the latest version), a delete marker as a delete. A place
 * that holds objects is refused unless `replace`; then its current keys the backup does not have are
 * deleted (a versioned bucket keeps them as old versions).
 */
export async function restoreObjects(part: ObjectsPart, store: S3Store, into: ObjectPlace, credentials: S3Credentials | undefined, options: { replace: boolean }): Promise<{ written: number; removed: number }> {
  const from = s3Client(store, credentials);
  const to = s3Client(into, credentials);
  try {
    const present = await currentObjects(to, into);
    if (present.length > 0 && !options.replace) {
      throw new Error(`s3://${into.bucket}/${into.prefix} holds ${present.length} object(s) already; restore into it with --replace (which takes a backup of it first)`);
    }
    let written = 0;
    for (const object of part.objects) {
      if (object.part) {
        await writeVersion(from, store, to, into, object as BackedUpObject & { part: PartRecord });
        written++;
      } else if (object.deleteMarker) {
        await to.send(new DeleteObjectCommand({ Bucket: into.bucket, Key: `${into.prefix}${object.key}` }));
      }
    }
    const kept = new Set(part.objects.filter((o) => o.latest && !o.deleteMarker).map((o) => o.key));
    const stale = present.filter((o) => !kept.has(o.key));
    for (const o of stale) await to.send(new DeleteObjectCommand({ Bucket: into.bucket, Key: `${into.prefix}${o.key}` }));
    return { written, removed: stale.length };
  } finally {
    from.destroy();
    to.destroy();
  }
}

