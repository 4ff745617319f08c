// Shared by the tests that back up and restore: one embedded PostgreSQL (provisioned like a server
// of the program) and one S3 server with the backups bucket, for the calling test file.
import { afterAll, beforeAll } from "vitest";
import type { S3Store } from "../../../providers/s3/client";
import { startS3, type TestS3 } from "../../harness/s3";
import { startServer, type Server } from "../postgres/setup";

export const BACKUP_BUCKET = "tenancy-backups";

export interface BackupServices {
  server: Server;
  s3: TestS3;
  /** The backups bucket, as a TenantBackup's store names it. */
  store: S3Store;
}

/** Started before the file's tests, stopped after them; `buckets` are created besides the backups bucket. */
export function useBackupServices(buckets: readonly string[] = []): () => BackupServices {
  let services: BackupServices | undefined;
  beforeAll(async () => {
    const [server, s3] = await Promise.all([startServer(), startS3([BACKUP_BUCKET, ...buckets])]);
    services = { server, s3, store: { bucket: BACKUP_BUCKET, region: s3.region, endpoint: s3.endpoint, forcePathStyle: true } };
  });
  afterAll(async () => {
    await Promise.all([services?.server.stop(), services?.s3.stop()]);
  });
  return () => {
    if (!services) throw new Error("the backup services are not started: call them inside a test or hook");
    return services;
  };
}
