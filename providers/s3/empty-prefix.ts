// Emptying one tenant's key prefix in a shared bucket: every object, every old version and every
// delete marker under `tenants/<id>/`, and nothing else. Deleting the prefix-mode tenant's file
// otherwise leaves its objects behind (the shared bucket stays, with retainOnDelete).
//
// Safe to rerun after a crash: each pass lists what is still there and deletes it; an empty prefix
// is success. Versions are listed with ListObjectVersions; a server that does not implement it
// (s3rver 3.7 answers `GET ?versions` with 405 MethodNotAllowed and has no versioning at all) is
// emptied with ListObjects, which then sees everything there is. ListObjects (V1) rather than
// ListObjectsV2: s3rver 3.7 makes a V2 continuation token with DES, which Node 20's OpenSSL 3
// refuses, so every truncated V2 listing there fails with HTTP 500.
import { DeleteObjectsCommand, ListObjectsCommand, ListObjectVersionsCommand, type ObjectIdentifier } from "@aws-sdk/client-s3";
import { isTenantId } from "../../lib/catalog/formats";
import { naming } from "../../lib/naming";
import { assertBucketUsable, s3Client, s3Reason, s3Status, where, type S3Credentials, type S3Store } from "./client";

/** S3's limit for one DeleteObjects request. */
export const DELETE_BATCH_MAX = 1000;

export interface EmptyPrefixRequest {
  store: S3Store;
  prefix: string;
  credentials?: S3Credentials;
  /** Keys per list page and per DeleteObjects request; at most DELETE_BATCH_MAX. */
  batchSize?: number;
  /** Only with prefix "": every object of the bucket (a tenant's own bucket, emptied after a move verified its copy). */
  wholeBucket?: boolean;
}

export interface EmptyPrefixResult {
  /** Objects, versions and delete markers deleted. */
  deleted: number;
  /** How they were listed: `versions` (ListObjectVersions) or `objects` (ListObjects: the server has no versions). */
  listing: "versions" | "objects";
}

/** Problems with a tenant's key prefix; empty when it is exactly naming.storagePrefix(tenantId). */
export function prefixProblems(tenantId: string, prefix: string): string[] {
  if (typeof tenantId !== "string" || !isTenantId(tenantId)) return [`tenantId ${JSON.stringify(tenantId)} is not a tenant id`];
  const expected = naming.storagePrefix(tenantId);
  if (prefix !== expected) {
    return [`prefix ${JSON.stringify(prefix)} must be exactly ${JSON.stringify(expected)} (the key prefix of tenant ${tenantId}, ending in "/"), or the deletion could reach other tenants' objects`];
  }
  return [];
}

/** A server without ListObjectVersions: S3-compatible servers answer 501 NotImplemented or 405 MethodNotAllowed. */
export function versionsUnsupported(error: unknown): boolean {
  const name = (error as { name?: string }).name;
  return name === "NotImplemented" || name === "MethodNotAllowed" || s3Status(error) === 501 || s3Status(error) === 405;
}

/** Fails clearly when the shared bucket is missing, unreachable or forbidden. */
export function checkSharedBucket(store: S3Store, credentials?: S3Credentials): Promise<void> {
  return assertBucketUsable(store, credentials, {
    role: "shared bucket",
    notFound: "the bucket does not exist; it is the cell's shared bucket (SharedBucket), check tenancy:bucketPrefix, the cell and the region",
    forbidden: "access denied; the deploying identity needs s3:ListBucket, s3:ListBucketVersions, s3:DeleteObject and s3:DeleteObjectVersion on it",
  });
}

/**
 * Deletes every object, version and delete marker whose key starts with `prefix`, in pages of at
 * most `batchSize` keys. Keys outside the prefix are never sent to DeleteObjects, even if a server
 * returned them.
 */
export async function emptyPrefix(request: EmptyPrefixRequest): Promise<EmptyPrefixResult> {
  const { store, prefix, credentials } = request;
  const batchSize = request.batchSize ?? DELETE_BATCH_MAX;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > DELETE_BATCH_MAX) {
    throw new Error(`batchSize must be an integer from 1 to ${DELETE_BATCH_MAX}, got ${batchSize}`);
  }
  const whole = request.wholeBucket === true && prefix === "";
  if (!whole && (!prefix.endsWith("/") || prefix.length < 2)) throw new Error(`prefix ${JSON.stringify(prefix)} must be a tenant's key prefix ending in "/"`);
  const client = s3Client(store, credentials);
  const ours = (key: string | undefined): key is string => typeof key === "string" && key.startsWith(prefix);
  const identify = (o: ObjectIdentifier) => `${o.Key}${o.VersionId ? ` (version ${o.VersionId})` : ""}`;
  let deleted = 0;

  const failed = (error: unknown) => {
    const hint = s3Status(error) === 404 ? " (the bucket does not exist)" : "";
    return new Error(`emptying ${prefix} in ${where(store)} failed${hint}: ${s3Reason(error)}`);
  };
  const send = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      throw failed(error);
    }
  };

  const remove = async (objects: ObjectIdentifier[]) => {
    if (objects.length === 0) return;
    const out = await send(() => client.send(new DeleteObjectsCommand({ Bucket: store.bucket, Delete: { Objects: objects, Quiet: true } })));
    // A key already gone is not an error for S3; anything listed here really failed.
    const errors = out.Errors ?? [];
    if (errors.length > 0) {
      const sample = errors.slice(0, 3).map((e) => `${identify({ Key: e.Key!, VersionId: e.VersionId })}: ${e.Code} ${e.Message ?? ""}`.trim());
      throw new Error(`${errors.length} of ${objects.length} deletions under ${prefix} in ${where(store)} failed, such as ${sample.join("; ")}`);
    }
    deleted += objects.length;
  };

  // Every pass lists from the start and deletes what it listed, so no marker ever points at an entry
  // already deleted (moto, for one, ends a ListObjectVersions listing there).
  const page = async (listing: EmptyPrefixResult["listing"]): Promise<{ entries: ObjectIdentifier[]; truncated: boolean }> => {
    if (listing === "versions") {
      const out = await client.send(new ListObjectVersionsCommand({ Bucket: store.bucket, Prefix: prefix, MaxKeys: batchSize }));
      const entries = [...(out.Versions ?? []), ...(out.DeleteMarkers ?? [])].map((v) => ({ Key: v.Key!, VersionId: v.VersionId }));
      return { entries, truncated: out.IsTruncated === true };
    }
    const out = await client.send(new ListObjectsCommand({ Bucket: store.bucket, Prefix: prefix, MaxKeys: batchSize }));
    return { entries: (out.Contents ?? []).map((o) => ({ Key: o.Key! })), truncated: out.IsTruncated === true };
  };

  try {
    let listing: EmptyPrefixResult["listing"] = "versions";
    let previous: string | undefined;
    for (;;) {
      let found;
      try {
        found = await page(listing);
      } catch (error) {
        if (listing === "versions" && previous === undefined && versionsUnsupported(error)) {
          listing = "objects";
          continue;
        }
        throw failed(error);
      }
      const batch = found.entries.filter((o) => ours(o.Key));
      if (batch.length === 0) {
        if (!found.truncated) return { deleted, listing };
        throw new Error(`emptying ${prefix} in ${where(store)} stopped: the server listed only keys outside the prefix`);
      }
      // Each pass must make progress; a server that keeps listing what it just deleted would loop forever.
      if (identify(batch[0]) === previous) {
        throw new Error(`emptying ${prefix} in ${where(store)} stopped: ${previous} is still listed after DeleteObjects reported it deleted`);
      }
      previous = identify(batch[0]);
      await remove(batch);
    }
  } finally {
    client.destroy();
  }
}
