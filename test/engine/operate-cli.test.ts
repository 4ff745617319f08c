// The operator's commands as an operator runs them: `npx tenancy backup|export|restore|forget` (the
// real bin/tenancy.js) in a copy of this project whose stack `default` holds the config, secrets
// encrypted by its passphrase, which the commands read through the real Pulumi CLI. The services are
// real too: embedded PostgreSQL, s3rver, AuthHero. What `pulumi up` makes of a tenant is replayed
// through the providers (test/integration/operate/project.ts): the point here is the commands.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { naming } from "../../lib/naming";
import { latestBackup } from "../../providers/backup/history";
import { S3RVER_CREDENTIALS } from "../harness/s3";
import { CANARY, CELL, type OpsProject, REGION, type Services } from "../integration/operate/project";
import type { EngineProject } from "./stack";
import { startOperatorCell, type OperatorCell } from "./operator";

let cell: OperatorCell;
let services: Services;
let engine: EngineProject;
let project: OpsProject;

beforeAll(async () => {
  cell = await startOperatorCell();
  ({ services, engine, project } = cell);
}, 180_000);
afterAll(async () => {
  await cell?.dispose();
});

/**
 * `npx tenancy <args>` in the project's root, what it wrote to stdout then stderr, without the
 * runtime's own notice about Node 20.
 */
async function tenancy(...args: string[]): Promise<{ code: number | null; out: string }> {
  const { code, stdout, stderr } = await cell.tenancy(args);
  return { code, out: stdout + stderr.replace(/^\(node:\d+\) Warning: NodeVersionSupportWarning[\s\S]*?--trace-warnings[^\n]*\n/m, "") };
}

it("backup, export, restore (file, then fill), forget: each command runs as the README shows it", async () => {
  const id = "cli-one";
  project.writeTenant({ id, name: "CLI One", database: { isolation: "schema" }, access: { admins: [`ops@${id}.example.com`] }, lifecycle: { on_delete: "delete" } });
  const t = await project.deploy(id);
  await project.use(t, { "a.txt": "alpha", "dir/b.txt": "beta" });
  const before = await project.fingerprint(t);

  const backup = await tenancy("backup", id);
  expect(backup.out).toMatch(new RegExp(`^${id}: s3://${naming.backupBucket("tnc-ops", REGION)}/backups/${id}/\\S+/ verified \\(database \\d+ KiB at migration 3, 2 object version\\(s\\)\\)\\n$`));
  expect(backup.code).toBe(0);
  // As the scheduled workflow runs it.
  const scheduled = await tenancy("backup", "--cell", CELL, "--reason", "scheduled");
  expect(scheduled.out).toMatch(new RegExp(`^${id}: s3://\\S+ verified .*\\n$`));
  expect(scheduled.code).toBe(0);
  const store = { bucket: naming.backupBucket("tnc-ops", REGION), region: REGION, endpoint: services.s3.endpoint, forcePathStyle: true };
  const key = (await latestBackup(store, id, S3RVER_CREDENTIALS))!;

  const exported = await tenancy("export", id, "--out", "cli-one.tar.gz", "--rows", "json");
  expect(exported.code).toBe(0);
  expect(exported.out).toContain(`exported tenant ${id} to ${join(engine.dir, "cli-one.tar.gz")}: 3 table(s), 2 object(s)`);

  await project.offboard(t);
  project.removeTenantFile(id);
  const written = await tenancy("restore", id, "--from", "latest", "--cell", CELL, "--region", REGION);
  expect(written.code).toBe(0);
  expect(written.out).toContain(`wrote tenants/${id}.yaml from ${key}`);
  expect(readFileSync(join(engine.dir, "tenants", `${id}.yaml`), "utf8")).toMatch(new RegExp(`^# yaml-language-server: .*\n# Written by tenancy restore from s3://\\S+/${key}\\.\n`));
  const again = await project.deploy(id);
  const filled = await tenancy("restore", id, "--from", key);
  expect(filled.code).toBe(0);
  expect(filled.out).toMatch(new RegExp(`^restored ${key} into tenant ${id}: rows `));
  expect(await project.fingerprint(again)).toEqual(before);

  // Forgotten only once it is offboarded and its backups are deleted.
  await project.offboard(again);
  project.removeTenantFile(id);
  const kept = await tenancy("forget", id, "--cell", CELL, "--region", REGION);
  expect(kept.code).toBe(1);
  expect(kept.out).toMatch(/NOT EMPTY  s3:\/\/tnc-ops-backups-eu-west-1\/backups\/cli-one\/: 2 backup\(s\)/);
  const forgotten = await tenancy("forget", id, "--cell", CELL, "--region", REGION, "--delete-backups");
  expect(forgotten.out).toMatch(/tenant cli-one is forgotten: every place checked is empty\n$/);
  expect(forgotten.code).toBe(0);

  // No secret in anything the commands printed or wrote.
  for (const out of [backup, scheduled, exported, written, filled, kept, forgotten].map((r) => r.out)) {
    expect(out).not.toContain(CANARY);
    expect(out).not.toContain(services.ah.clientSecret);
    expect(out).not.toContain(services.server.admin.password);
  }
}, 180_000);

it("names a missing stack through the Pulumi CLI's own message, and backs up nothing", async () => {
  project.writeTenant({ id: "cli-two", name: "CLI Two", cell: CELL });
  const result = await tenancy("backup", "cli-two", "--stack-prefix", "nowhere-");
  expect(result.code).toBe(1);
  expect(result.out).toMatch(/cli-two: FAILED: cannot read the config of stack default: .*nowhere-default/);
});
