// The one S3 client module: how every engine-side user (backups, a prefix tenant's objects) reaches
// a bucket, describes S3's errors without secrets, and checks a bucket before any work starts.
import { HeadBucketCommand, S3Client } from "@aws-sdk/client-s3";

/** A bucket and how to reach it; endpoint and forcePathStyle only for S3-compatible servers (tests: s3rver on 127.0.0.1). */
export interface S3Store {
  bucket: string;
  region: string;
  endpoint?: string;
  forcePathStyle?: boolean;
}

/**
 * Where a tenant's objects are: its own bucket (prefix "") or its key prefix in the cell's shared
 * bucket (`tenants/<id>/`), and whether the bucket keeps versions.
 */
export interface ObjectPlace extends S3Store {
  prefix: string;
  versioning: boolean;
}

/** Explicit S3 credentials; without them the AWS SDK's default chain (environment, profile, role) applies. */
export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function s3Client(store: S3Store, credentials?: S3Credentials): S3Client {
  return new S3Client({
    region: store.region,
    endpoint: store.endpoint,
    forcePathStyle: store.forcePathStyle,
    // A copy: the SDK tags the object it is given (`$source`), which would otherwise end up in the resource's outputs.
    credentials: credentials && { ...credentials },
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 10_000, requestTimeout: 120_000 },
  });
}

/** A readable, secret-free description of an S3 SDK error. */
export function s3Reason(error: unknown): string {
  const e = error as { name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  const parts = [e.name && e.name !== "Error" ? e.name : e.code, status ? `HTTP ${status}` : undefined, e.message].filter(Boolean);
  return parts.join(": ") || String(error);
}

export function s3Status(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

export function where(store: S3Store): string {
  return `s3://${store.bucket}${store.endpoint ? ` at ${store.endpoint}` : ` in ${store.region}`}`;
}

/** What to tell the user when a bucket is missing or forbidden; `role` names the bucket in messages. */
export interface BucketHints {
  role: string;
  notFound: string;
  forbidden: string;
}

/** Fails before any work starts when the bucket is missing, unreachable or forbidden. */
export async function assertBucketUsable(store: S3Store, credentials: S3Credentials | undefined, hints: BucketHints): Promise<void> {
  const client = s3Client(store, credentials);
  try {
    await client.send(new HeadBucketCommand({ Bucket: store.bucket }));
  } catch (error) {
    const code = s3Status(error);
    const hint = code === 404 ? hints.notFound : code === 403 ? hints.forbidden : "it cannot be reached";
    throw new Error(`${hints.role} ${where(store)} is not usable (${hint}): ${s3Reason(error)}`);
  } finally {
    client.destroy();
  }
}
