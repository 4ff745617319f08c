// A tenant's objects during a move: written into the new place from the backup the move took of the
// old one (every version, each checked against its sha256 as it streams: backup/objects.ts), then
// compared with the old place as it is now, and the old place emptied once they agree.
//
// The comparison is of the current objects (old versions are in the backup and were written in
// order): the same keys, the same sizes, and the same content: the ETags where both are an MD5 (an
// object written in one PUT), else a sha256 of both bodies. An object the application wrote into the
// old place after the backup was taken shows up here, and the move stops before the old place is
// touched; the rerun takes a new backup and converges.
import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { emptyPrefix } from "../s3/empty-prefix";
import { s3Client, type ObjectPlace, type S3Credentials, type S3Store } from "../s3/client";
import type { ListedVersion } from "../s3/list";
import { currentObjects, noSuchBucket, restoreObjects, type ObjectsPart } from "../backup/objects";

/** What a move compares of each current object. */
export interface ObjectSum {
  key: string;
  size: number;
  etag: string;
}

/** An ETag that is the MD5 of the body: not a multipart upload's ("<md5>-<parts>"). */
export const plainMd5 = (etag: string) => /^[0-9a-f]{32}$/.test(etag);

async function sha256(client: S3Client, place: ObjectPlace, key: string): Promise<string> {
  const got = await client.send(new GetObjectCommand({ Bucket: place.bucket, Key: `${place.prefix}${key}` }));
  const hash = createHash("sha256");
  for await (const chunk of got.Body as Readable) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** The current objects of a place, keys relative to its root, sorted; none where the bucket does not exist. */
export async function objectSums(place: ObjectPlace, credentials?: S3Credentials): Promise<ObjectSum[]> {
  const client = s3Client(place, credentials);
  try {
    const found: ListedVersion[] = await currentObjects(client, place).catch((error: unknown) => {
      if (noSuchBucket(error)) return [];
      throw error;
    });
    return found.map((o) => ({ key: o.key, size: o.size, etag: o.etag })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  } finally {
    client.destroy();
  }
}

/**
 * Differences between the old and the new place's current objects, as sentences (none when they hold
 * the same), and the new place's objects as listed for the comparison.
 */
export async function objectDifferences(from: ObjectPlace, to: ObjectPlace, credentials?: S3Credentials): Promise<{ differences: string[]; copied: ObjectSum[] }> {
  const [old, copied] = [await objectSums(from, credentials), await objectSums(to, credentials)];
  const there = new Map(copied.map((o) => [o.key, o]));
  const problems: string[] = [];
  for (const o of old) {
    const c = there.get(o.key);
    there.delete(o.key);
    if (!c) problems.push(`${o.key} is missing in the new place`);
    else if (c.size !== o.size) problems.push(`${o.key} has ${c.size} bytes in the new place, ${o.size} in the old`);
    else if (plainMd5(o.etag) && plainMd5(c.etag)) {
      if (o.etag !== c.etag) problems.push(`${o.key} has ETag ${c.etag} in the new place, ${o.etag} in the old`);
    } else if (!(await sameBodies(from, to, o.key, credentials))) problems.push(`${o.key} differs between the places (sha256)`);
  }
  for (const key of there.keys()) problems.push(`${key} is in the new place but not in the old one`);
  return { differences: problems, copied };
}

async function sameBodies(from: ObjectPlace, to: ObjectPlace, key: string, credentials?: S3Credentials): Promise<boolean> {
  const [a, b] = [s3Client(from, credentials), s3Client(to, credentials)];
  try {
    return (await sha256(a, from, key)) === (await sha256(b, to, key));
  } finally {
    a.destroy();
    b.destroy();
  }
}

/** Writes the backed-up objects into the new place, replacing what a failed attempt left there. */
export async function copyObjects(part: ObjectsPart, store: S3Store, to: ObjectPlace, credentials?: S3Credentials): Promise<number> {
  const { written } = await restoreObjects(part, store, to, credentials, { replace: true });
  return written;
}

/**
 * Empties the old place: its prefix in the shared bucket, or every object of its own bucket (which the
 * engine deletes next; a real bucket's forceDestroy would empty it too, but only if it is not retained).
 */
export async function emptyOldPlace(from: ObjectPlace, credentials?: S3Credentials): Promise<number> {
  const { deleted } = await emptyPrefix({ store: from, prefix: from.prefix, credentials, ...(from.prefix === "" ? { wholeBucket: true } : {}) }).catch((error: Error) => {
    if (/does not exist/.test(error.message)) return { deleted: 0 };
    throw error;
  });
  return deleted;
}
