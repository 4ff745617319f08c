// Listing what is under a key prefix, page by page: every version and delete marker where the server
// keeps versions, else the current objects. Backups copy what it lists, exports and restores read it,
// the "forgotten" report checks it is empty.
//
// ListObjectVersions first; a server without it (s3rver 3.7 answers 405, others 501: see
// empty-prefix.ts) is listed with ListObjects, which then sees everything there is. ListObjects V1
// rather than V2: s3rver 3.7's V2 continuation tokens fail under Node 20's OpenSSL 3.
import { ListObjectsCommand, ListObjectVersionsCommand, type S3Client } from "@aws-sdk/client-s3";
import { versionsUnsupported } from "./empty-prefix";

/** One stored version of an object (or a delete marker), as listed. */
export interface ListedVersion {
  key: string;
  /** Absent where the server keeps no versions. */
  versionId?: string;
  /** The current version of its key (a delete marker that is latest means the key reads as deleted). */
  latest: boolean;
  deleteMarker: boolean;
  lastModified: string;
  size: number;
  etag: string;
}

export interface Listing {
  versions: ListedVersion[];
  /** `versions` (ListObjectVersions) or `objects` (ListObjects: the server keeps no versions). */
  listing: "versions" | "objects";
}

const unquote = (etag: string | undefined) => (etag ?? "").replace(/^"|"$/g, "");

/**
 * Everything under `prefix` in `bucket`, every key's versions oldest first (the order in which writing
 * them again rebuilds the same history). Keys outside the prefix are dropped, even if a server listed them.
 */
export async function listVersions(client: S3Client, bucket: string, prefix: string): Promise<Listing> {
  const found: ListedVersion[] = [];
  let listing: Listing["listing"] = "versions";
  try {
    let keyMarker: string | undefined;
    let versionMarker: string | undefined;
    do {
      const page = await client.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix, KeyMarker: keyMarker, VersionIdMarker: versionMarker }));
      for (const v of page.Versions ?? []) {
        found.push({ key: v.Key!, versionId: v.VersionId, latest: v.IsLatest === true, deleteMarker: false, lastModified: v.LastModified?.toISOString() ?? "", size: v.Size ?? 0, etag: unquote(v.ETag) });
      }
      for (const m of page.DeleteMarkers ?? []) {
        found.push({ key: m.Key!, versionId: m.VersionId, latest: m.IsLatest === true, deleteMarker: true, lastModified: m.LastModified?.toISOString() ?? "", size: 0, etag: "" });
      }
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      versionMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
    } while (keyMarker !== undefined);
  } catch (error) {
    if (!versionsUnsupported(error) || found.length > 0) throw error;
    listing = "objects";
    let marker: string | undefined;
    do {
      const page = await client.send(new ListObjectsCommand({ Bucket: bucket, Prefix: prefix, Marker: marker }));
      const contents = page.Contents ?? [];
      for (const o of contents) {
        found.push({ key: o.Key!, latest: true, deleteMarker: false, lastModified: o.LastModified?.toISOString() ?? "", size: o.Size ?? 0, etag: unquote(o.ETag) });
      }
      marker = page.IsTruncated ? (page.NextMarker ?? contents[contents.length - 1]?.Key) : undefined;
    } while (marker !== undefined);
  }
  const ours = found.filter((v) => v.key.startsWith(prefix));
  // Per key, oldest first; the latest version last.
  ours.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : Number(a.latest) - Number(b.latest) || a.lastModified.localeCompare(b.lastModified)));
  return { versions: ours, listing };
}

/** The folders directly under `prefix` (ListObjects with a delimiter), such as the backups of one tenant. */
export async function listFolders(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const folders: string[] = [];
  let marker: string | undefined;
  do {
    const page = await client.send(new ListObjectsCommand({ Bucket: bucket, Prefix: prefix, Delimiter: "/", Marker: marker }));
    for (const p of page.CommonPrefixes ?? []) if (p.Prefix?.startsWith(prefix)) folders.push(p.Prefix);
    marker = page.IsTruncated ? page.NextMarker : undefined;
  } while (marker !== undefined);
  return folders.sort();
}
