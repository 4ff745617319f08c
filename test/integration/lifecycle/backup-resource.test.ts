// TenantBackup run as the engine runs it: serialized, in a fresh node process, against embedded
// PostgreSQL and s3rver. Its delete takes the backup; when the backup fails, delete throws.
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadMigrations } from "../../../lib/database/migrations";
import { migrate } from "../../../lib/database/runner";
import { tenantBackupProvider, type TenantBackupInputs } from "../../../lib/lifecycle/backup-resource";
import { MODES, startServer, type Server } from "../database/setup";
import { serializeProvider, type SerializedProvider } from "../../harness/engine";
import { startS3, type TestS3 } from "../../harness/s3";

const BUCKET = "tenancy-backups";
let server: Server;
let s3: TestS3;
let provider: SerializedProvider;
beforeAll(async () => {
  [server, s3, provider] = await Promise.all([startServer(), startS3([BUCKET]), serializeProvider(tenantBackupProvider)]);
});
afterAll(async () => {
  await Promise.all([server?.stop(), s3?.stop()]);
});

async function inputsFor(mode: (typeof MODES)[number], id: string, onDelete: TenantBackupInputs["onDelete"] = "backup"): Promise<TenantBackupInputs> {
  const { target } = await server.tenant(mode, id);
  await migrate(target, loadMigrations(), 3);
  await server.query(`INSERT INTO ${target.schema}.projects (tenant_id, name) VALUES ($1, 'one'), ($1, 'two')`, [id], target.database);
  const { password, ...rest } = target;
  return { target: rest, password, store: { bucket: BUCKET, region: s3.region, endpoint: s3.endpoint, forcePathStyle: true }, credentials: s3.credentials, onDelete };
}

async function keys(prefix: string): Promise<string[]> {
  return ((await s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }))).Contents ?? []).map((o) => o.Key!);
}

describe("TenantBackup through the engine", () => {
  it("serialized provider holds no password and no captured client", async () => {
    const inputs = await inputsFor("schema", "tb-serial");
    expect(provider.containsSecrets).toBe(false);
    expect(provider.text).not.toContain(inputs.password);
    expect(provider.text).not.toContain(server.pg.password);
    expect(provider.text).toContain('require("@aws-sdk/lib-storage")');
  });

  it.each(MODES)("%s: create checks, delete takes the backup", async (mode) => {
    const id = `tb-${mode}`;
    const inputs = await inputsFor(mode, id);
    const created = await provider.call("create", provider.inputs(inputs));
    expect(created.id).toBe(`${id}-backup`);
    expect(created.outs.password).toBe(inputs.password);
    expect(await keys(`backups/${id}/`)).toEqual([]);
    const run = await provider.run([{ method: "delete", args: [created.id, created.outs] }]);
    expect(run.results[0]).toEqual({ ok: true, value: null });
    expect(run.logs).not.toContain(inputs.password);
    const stored = await keys(`backups/${id}/`);
    expect(stored).toHaveLength(2);
    expect(stored.some((k) => k.endsWith(".dump.json"))).toBe(true);
  });

  it("delete throws with a clear error when the bucket is gone, and the data stays", async () => {
    const inputs = await inputsFor("database", "tb-fail");
    const broken = { ...inputs, store: { ...inputs.store, bucket: "deleted-bucket" } };
    await expect(provider.call("delete", "tb-fail-backup", broken)).rejects.toThrow(
      /backup of tenant tb-fail failed, so nothing of it was deleted: backup bucket s3:\/\/deleted-bucket .* does not exist.*set lifecycle.on_delete: delete for tenant tb-fail in one change and remove the tenant in the next/,
    );
    const [{ n }] = await server.query(`SELECT count(*)::int AS n FROM ${inputs.target.schema}.projects`, [], inputs.target.database);
    expect(n).toBe(2);
  });

  it("create refuses a setup that could never back up", async () => {
    const inputs = await inputsFor("database", "tb-pre");
    await expect(provider.call("create", provider.inputs({ ...inputs, store: { ...inputs.store, bucket: "missing-bucket" } }))).rejects.toThrow(/backup bucket s3:\/\/missing-bucket .* is not usable/);
    // on_delete: delete needs no bucket and takes no backup.
    const plain = { ...inputs, onDelete: "delete" as const, store: { ...inputs.store, bucket: "missing-bucket" } };
    const created = await provider.call("create", provider.inputs(plain));
    await provider.call("delete", created.id, created.outs);
    expect(await keys("backups/tb-pre/")).toEqual([]);
  });

  it("check names every bad input without echoing the password", async () => {
    const inputs = await inputsFor("database", "tb-check");
    const bad = { ...inputs, target: { ...inputs.target, port: 0, schema: "Bad Name" }, store: { ...inputs.store, bucket: "X" }, onDelete: "archive" };
    const result = await provider.call("check", {}, provider.inputs(bad));
    const reasons = result.failures.map((f: { reason: string }) => f.reason).join("\n");
    expect(reasons).toContain("port must be a whole number 1-65535");
    expect(reasons).toContain("schema must be a lowercase PostgreSQL identifier");
    expect(reasons).toContain("store.bucket must be an S3 bucket name");
    expect(reasons).toContain('onDelete must be one of backup, delete, retain, got "archive"');
    expect(reasons).not.toContain(inputs.password);
    expect((await provider.call("check", {}, provider.inputs(inputs))).failures).toBeUndefined();
  });
});
