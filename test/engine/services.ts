// The real services a stack of the engine tests deploys against, all on 127.0.0.1: embedded
// PostgreSQL, the S3 server, the AuthHero control plane and an HTTPS webhook receiver; and the
// stack config and environment that point the program at them.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import { startAuthHero, type AuthHeroServer } from "../harness/authhero";
import { startPostgres, type TestPostgres } from "../harness/postgres";
import { startS3, type TestS3 } from "../harness/s3";
import { startWebhookReceiver, type WebhookReceiver } from "../harness/webhook-receiver";
import { naming } from "../../lib/naming";
import type { StackConfig } from "./stack";

export const BUCKET_PREFIX = "tnc-e2e";
export const BACKUP_BUCKET = "tnc-e2e-backups";
/** A secret value searched for in state and output: it must only ever appear encrypted. */
export const CANARY = "canary-7f3a9e21-never-in-plaintext";

export interface EngineServices {
  pg: TestPostgres;
  s3: TestS3;
  authhero: AuthHeroServer;
  receiver: WebhookReceiver;
  /** Environment of every CLI command: how the provider host reaches S3 and trusts the receiver. */
  env: Record<string, string>;
  /** Creates the identity tenant records (AuthHero 9.6.1 has no route for it) and the cell's shared buckets. */
  prepare(tenantIds: readonly string[], cell: string, regions: readonly string[]): Promise<void>;
  /** A stack's config: the cell is the stack's name, so it is not among them. */
  config(overrides?: Partial<StackConfig["plain"]>): StackConfig;
  stop(): Promise<void>;
}

export async function startServices(): Promise<EngineServices> {
  const [pg, s3, authhero, receiver] = await Promise.all([
    startPostgres(),
    startS3([BACKUP_BUCKET]),
    startAuthHero({ clientSecret: `${CANARY}-identity` }),
    startWebhookReceiver(),
  ]);
  const scratch = mkdtempSync(join(tmpdir(), "tenancy-engine-ca-"));
  const caFile = join(scratch, "receiver-ca.pem");
  writeFileSync(caFile, receiver.ca);
  const created = new Set<string>();
  return {
    pg,
    s3,
    authhero,
    receiver,
    env: {
      // Read by the AWS SDK's default credential chain inside the dynamic-provider host.
      AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
      AWS_REGION: s3.region,
      // The receiver's self-signed certificate, trusted the way any Node process is told to.
      NODE_EXTRA_CA_CERTS: caFile,
      // The receiver is on loopback, which webhooks refuse; this test-only switch allows loopback
      // and nothing else (providers/webhooks/target.ts).
      TENANCY_TEST_ONLY_LOOPBACK_WEBHOOKS: "1",
    },
    async prepare(tenantIds, cell, regions) {
      for (const id of tenantIds) {
        if (created.has(id)) continue;
        await authhero.createTenant(naming.identityTenant(id), id);
        created.add(id);
      }
      // The AWS provider here is a stand-in that creates no bucket; the providers that write to the
      // shared bucket need it on the S3 server.
      for (const region of regions) {
        const bucket = naming.sharedBucket(BUCKET_PREFIX, cell, region);
        if (created.has(bucket)) continue;
        await s3.client.send(new CreateBucketCommand({ Bucket: bucket }));
        created.add(bucket);
      }
    },
    config(overrides = {}) {
      return {
        plain: {
          databaseServers: { main: { host: pg.host, port: pg.port, adminUser: pg.user, sslmode: "disable" } },
          bucketPrefix: BUCKET_PREFIX,
          s3Endpoint: s3.endpoint,
          cloudflareZoneId: "0123456789abcdef0123456789abcdef",
          baseDomain: "saas.example.com",
          ingressTarget: "ingress.saas.example.com",
          maintenanceTarget: "maintenance.saas.example.com",
          backupBucket: BACKUP_BUCKET,
          backupRegion: s3.region,
          controlPlane: { url: authhero.url, clientId: authhero.clientId, tenantId: authhero.controlPlaneTenantId },
          ...overrides,
        },
        secrets: {
          "databasePasswords.main": pg.password,
          controlPlaneClientSecret: authhero.clientSecret,
          webhookSecret: `${CANARY}-webhook`,
        },
      };
    },
    async stop() {
      await Promise.all([pg.stop(), s3.stop(), authhero.stop(), receiver.stop()]);
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}
