// The parts of a backup as objects in the backups bucket: each written with server-side encryption
// (encrypted at rest whatever the bucket's default), hashed while it streams, and read back and hashed
// again before the backup counts (verify). A backup whose parts do not read back as written is no backup.
import { createHash } from "node:crypto";
import { Readable, Transform } from "node:stream";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";

/** Every part is stored encrypted with S3-managed keys (the x-amz-server-side-encryption header). */
export const ENCRYPTION = "AES256";

/** What the manifest records of a part: where it is, its length and its sha256. */
export interface PartRecord {
  key: string;
  size: number;
  sha256: string;
}

export const DEFAULT_PART_SIZE = 8 * 1024 * 1024;

export interface UploadOptions {
  contentType?: string;
  /** Multipart part size (S3's minimum, 5 MiB, and up); memory use is about twice this. */
  partSize?: number;
  onProgress?: (progress: { loaded: number; part: number }) => void;
}

/** A stream that hashes and counts what flows through it. */
export function hashing(): { stream: Transform; digest: () => { size: number; sha256: string } } {
  const hash = createHash("sha256");
  let size = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  return { stream, digest: () => ({ size, sha256: hash.digest("hex") }) };
}

/**
 * Uploads `body` to `key`, encrypted, and returns its record. A stream of unknown length goes up in
 * parts; a part left over by a failed upload is removed (leavePartsOnError false).
 */
export async function putPart(client: S3Client, bucket: string, key: string, body: Readable | Buffer | string, options: UploadOptions = {}): Promise<PartRecord> {
  const counted = hashing();
  const source = typeof body === "string" || Buffer.isBuffer(body) ? Readable.from([Buffer.from(body)]) : body;
  const upload = new Upload({
    client,
    params: { Bucket: bucket, Key: key, Body: source.pipe(counted.stream), ContentType: options.contentType ?? "application/octet-stream", ServerSideEncryption: ENCRYPTION },
    queueSize: 2,
    partSize: options.partSize ?? DEFAULT_PART_SIZE,
    leavePartsOnError: false,
  });
  const onProgress = options.onProgress;
  if (onProgress) upload.on("httpUploadProgress", (p) => onProgress({ loaded: p.loaded ?? 0, part: p.part ?? 1 }));
  await upload.done();
  return { key, ...counted.digest() };
}

/** A JSON document as a part. */
export function putJsonPart(client: S3Client, bucket: string, key: string, value: unknown): Promise<PartRecord> {
  return putPart(client, bucket, key, JSON.stringify(value, null, 2), { contentType: "application/json" });
}

/** A part's body as a stream (for a restore or an export to consume). */
export async function readPart(client: S3Client, bucket: string, key: string): Promise<Readable> {
  const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return object.Body as Readable;
}

/** Reads a part whole and checks it against its record; throws saying which part is damaged. */
export async function readCheckedPart(client: S3Client, bucket: string, record: PartRecord): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await readPart(client, bucket, record.key)) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  const sha256 = createHash("sha256").update(body).digest("hex");
  if (body.length !== record.size || sha256 !== record.sha256) {
    throw new Error(`backup part s3://${bucket}/${record.key} is damaged: ${body.length} bytes, sha256 ${sha256}; the manifest says ${record.size} bytes, sha256 ${record.sha256}`);
  }
  return body;
}

/** Reads every part back and compares it with its record: the problems, empty when all verify. */
export async function verifyParts(client: S3Client, bucket: string, records: readonly PartRecord[]): Promise<string[]> {
  const problems: string[] = [];
  for (const record of records) {
    try {
      const counted = hashing();
      for await (const _chunk of (await readPart(client, bucket, record.key)).pipe(counted.stream)) {
        // drained: the hash is all that is kept
      }
      const read = counted.digest();
      if (read.size !== record.size || read.sha256 !== record.sha256) {
        problems.push(`${record.key} reads back as ${read.size} bytes, sha256 ${read.sha256}, but ${record.size} bytes, sha256 ${record.sha256} were written`);
      }
    } catch (error) {
      problems.push(`${record.key} cannot be read back: ${(error as Error).message}`);
    }
  }
  return problems;
}
