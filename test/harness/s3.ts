// A real S3 API for tests: s3rver (npm) on 127.0.0.1, a free port, a scratch directory removed by
// stop(). Clients must use path-style addressing and s3rver's fixed credentials.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { S3Client } from "@aws-sdk/client-s3";

export const S3RVER_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };
export const S3RVER_REGION = "us-east-1";

interface S3rverInstance {
  run(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverInstance;

export interface TestS3 {
  /** Such as http://127.0.0.1:40123 */
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** A client for the test itself; destroyed by stop(). */
  client: S3Client;
  stop(): Promise<void>;
}

/** Starts s3rver with the given buckets already created. */
export async function startS3(buckets: readonly string[] = []): Promise<TestS3> {
  const S3rver = require("s3rver") as S3rverConstructor;
  const directory = mkdtempSync(join(tmpdir(), "tenancy-s3-"));
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  let port: number;
  try {
    ({ port } = await server.run());
  } catch (error) {
    rmSync(directory, { recursive: true, force: true });
    throw error;
  }
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({ endpoint, region: S3RVER_REGION, forcePathStyle: true, credentials: S3RVER_CREDENTIALS });
  return {
    endpoint,
    region: S3RVER_REGION,
    credentials: S3RVER_CREDENTIALS,
    client,
    async stop() {
      client.destroy();
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
