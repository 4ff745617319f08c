// TenantBackup called as the provider host calls it, against embedded PostgreSQL and s3rver. Its
// delete takes the backup; when the backup fails, delete throws.
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { putPart, verifyParts } from "../../../providers/backup/parts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadMigrations } from "../../../lib/database/migrations";
import { migrate } from "../../../providers/postgres/runner";
import { tenantBackup, type TenantBackupInputs } from "../../../providers/backup/backup";
import { backupManifest, listTenantBackups } from "../../../providers/backup/history";
import { usePrintedOutput } from "../../harness/printed";
import { startS3, type TestS3 } from "../../harness/s3";
import { MODES, startServer, type Server } from "../postgres/setup";

const BUCKET = "tenancy-backups";
let server: Server;
let s3: TestS3;
const printed = usePrintedOutput();
beforeAll(async () => {
  [server, s3] = await Promise.all([startServer(), startS3([BUCKET])]);
});
afterAll(async () => {
  await Promise.all([server?.stop(), s3?.stop()]);
});

async function inputsFor(mode: (typeof MODES)[number], id: string, onDelete: TenantBackupInputs["onDelete"] = "backup"): Promise<TenantBackupInputs> {
  const { target } = await server.tenant(mode, id);
  await migrate(target, loadMigrations(), 3);
  await server.query(`INSERT INTO ${target.schema}.projects (tenant_id, name) VALUES ($1, 'one'), ($1, 'two')`, [id], target.database);
  const { password, ...rest } = target;
  return { target: { ...rest, server: "main" }, password, store: { bucket: BUCKET, region: s3.region, endpoint: s3.endpoint, forcePathStyle: true }, credentials: s3.credentials, onDelete };
}

async function keys(prefix: string): Promise<string[]> {
  return ((await s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }))).Contents ?? []).map((o) => o.Key!);
}

describe("TenantBackup", () => {
  it.each(MODES)("%s: create checks, delete takes the backup", async (mode) => {
    const id = `tb-${mode}`;
    const inputs = await inputsFor(mode, id);
    const created = await tenantBackup.create(inputs);
    expect(created.id).toBe(`${id}-backup`);
    expect(created.outs.password).toBe(inputs.password);
    expect(await keys(`backups/${id}/`)).toEqual([]);
    // Nothing of its own to find: read reports the stored props.
    expect(await tenantBackup.read(created.id, created.outs)).toEqual({ id: created.id, props: created.outs });
    expect(await tenantBackup.delete(created.id, created.outs)).toBeUndefined();
    expect(printed.take()).not.toContain(inputs.password);
    // State written before whole backups names no objects, identity or configuration: the database
    // part is taken, and the manifest says what is missing and why.
    const [folder] = await listTenantBackups(inputs.store, id, s3.credentials);
    expect(folder.verified).toBe(true);
    expect((await keys(`backups/${id}/`)).sort()).toEqual([`${folder.key}database.dump`, `${folder.key}database.dump.json`, `${folder.key}manifest.json`]);
    const manifest = await backupManifest(inputs.store, folder.key, s3.credentials);
    expect(manifest).toMatchObject({ tenant: id, isolation: mode, reason: "offboarding", migrationVersion: 3, objects: 0, retentionDays: 30 });
    expect(Object.keys(manifest.missing).sort()).toEqual(["configuration", "identity", "objects"]);
    expect(manifest.missing.objects).toMatch(/run `pulumi up` once before offboarding/);

  });

  it("each part is uploaded asking S3 to encrypt it at rest, single or multipart, and verifies when read back", async () => {
    // s3rver does not record the encryption, so the requests themselves are looked at on their way out.
    const client = new S3Client({ endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: s3.credentials });
    const sent: { method: string; sse?: string; query: string }[] = [];
    client.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { method: string; headers: Record<string, string>; query?: Record<string, string> };
        const query = Object.keys(request.query ?? {}).filter((k) => k !== "x-id").sort().join(",");
        sent.push({ method: request.method, sse: request.headers["x-amz-server-side-encryption"], query });
        return next(args);
      },
      { step: "finalizeRequest", name: "recordEncryption" },
    );
    try {
      const small = await putPart(client, BUCKET, "backups/sse/small", "a small part");
      const large = await putPart(client, BUCKET, "backups/sse/large", Buffer.alloc(6 * 1024 * 1024, 7), { partSize: 5 * 1024 * 1024 });
      // A single PUT, and a multipart upload whose creation carries the header (S3 applies it to the object).
      expect(sent.filter((r) => r.method === "PUT" && r.query === "").map((r) => r.sse)).toEqual(["AES256"]);
      expect(sent.filter((r) => r.method === "POST" && r.query === "uploads").map((r) => r.sse)).toEqual(["AES256"]);
      expect(sent.filter((r) => r.query === "partNumber,uploadId")).toHaveLength(2);
      expect(sent.filter((r) => r.method === "POST" && r.query === "uploadId")).toHaveLength(1);
      expect(await verifyParts(client, BUCKET, [small, large])).toEqual([]);
      expect(await verifyParts(client, BUCKET, [{ ...large, sha256: "0".repeat(64) }])).toEqual([expect.stringMatching(/^backups\/sse\/large reads back as 6291456 bytes, sha256 [0-9a-f]{64}, but 6291456 bytes, sha256 0{64} were written$/)]);
    } finally {
      client.destroy();
    }
  });

  it("a tenant bucket that does not exist holds nothing to lose: the backup is taken and its manifest says so", async () => {
    const inputs = await inputsFor("database", "tb-nobucket");
    const objects = { bucket: "tb-nobucket-bucket", prefix: "", region: s3.region, versioning: false, endpoint: s3.endpoint, forcePathStyle: true };
    await tenantBackup.delete("tb-nobucket-backup", { ...inputs, objects, configuration: { format: "tenancy-configuration/1" }, retentionDays: 30 });
    const [folder] = await listTenantBackups(inputs.store, "tb-nobucket", s3.credentials);
    const manifest = await backupManifest(inputs.store, folder.key, s3.credentials);
    expect(manifest).toMatchObject({ objects: 0, missing: { objects: "bucket s3://tb-nobucket-bucket did not exist when the backup was taken: there was no object to copy" } });
    expect(manifest.parts.objects).toBeDefined();
  });

  it("delete throws with a clear error when the bucket is gone, and the data stays", async () => {
    const inputs = await inputsFor("database", "tb-fail");
    const broken = { ...inputs, store: { ...inputs.store, bucket: "deleted-bucket" } };
    await expect(tenantBackup.delete("tb-fail-backup", broken)).rejects.toThrow(
      /backup of tenant tb-fail failed, so nothing of it was deleted: backup bucket s3:\/\/deleted-bucket .* does not exist.*set lifecycle.on_delete: delete for tenant tb-fail in one change and remove the tenant in the next/,
    );
    const [{ n }] = await server.query(`SELECT count(*)::int AS n FROM ${inputs.target.schema}.projects`, [], inputs.target.database);
    expect(n).toBe(2);
  });

  it("create refuses a setup that could never back up", async () => {
    const inputs = await inputsFor("database", "tb-pre");
    await expect(tenantBackup.create({ ...inputs, store: { ...inputs.store, bucket: "missing-bucket" } })).rejects.toThrow(/backup bucket s3:\/\/missing-bucket .* is not usable/);
    // on_delete: delete needs no bucket and takes no backup.
    const plain = { ...inputs, onDelete: "delete" as const, store: { ...inputs.store, bucket: "missing-bucket" } };
    const created = await tenantBackup.create(plain);
    await tenantBackup.delete(created.id, created.outs);
    expect(await keys("backups/tb-pre/")).toEqual([]);
  });

  it("check names every bad input without echoing the password", async () => {
    const inputs = await inputsFor("database", "tb-check");
    const bad = { ...inputs, target: { ...inputs.target, port: 0, schema: "Bad Name" }, store: { ...inputs.store, bucket: "X" }, onDelete: "archive" };
    const result = await tenantBackup.check({}, bad as unknown as TenantBackupInputs);
    const reasons = result.failures!.map((f) => f.reason).join("\n");
    expect(reasons).toContain("port must be a whole number 1-65535");
    expect(reasons).toContain("schema must be a lowercase PostgreSQL identifier");
    expect(reasons).toContain("store.bucket must be an S3 bucket name");
    expect(reasons).toContain('onDelete must be one of backup, delete, retain, got "archive"');
    expect(reasons).not.toContain(inputs.password);
    expect((await tenantBackup.check({}, inputs)).failures).toBeUndefined();
  });
});
