// `npx tenancy status` as an operator runs it: the real bin/tenancy.js in a copy of this project whose
// stack `default` holds the config, secrets encrypted by its passphrase, read through the real Pulumi
// CLI; the services are real (embedded PostgreSQL, s3rver, AuthHero). What `pulumi up` makes of a
// tenant is replayed through the providers (test/integration/operate/project.ts).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { entityFingerprint } from "../../lib/identity/fingerprint";
import { entitySync } from "../../providers/identity/entity-sync";
import { CANARY, CELL, ENTITIES, type OpsProject, type Services } from "../integration/operate/project";
import type { EngineProject } from "./stack";
import { startOperatorCell, type OperatorCell } from "./operator";

let cell: OperatorCell;
let services: Services;
let engine: EngineProject;
let project: OpsProject;

beforeAll(async () => {
  cell = await startOperatorCell();
  ({ services, engine, project } = cell);
  project.writeTenant({ id: "st-one", name: "Status One", database: { isolation: "schema" }, access: { admins: ["ops@st-one.example.com"] } });
  project.writeTenant({ id: "st-two", name: "Status Two", access: { admins: ["ops@st-two.example.com"] } });
  for (const id of ["st-one", "st-two"]) {
    const t = await project.deploy(id);
    await entitySync.create({ connection: project.identity, tenantId: id, entities: ENTITIES, fingerprint: entityFingerprint(ENTITIES) });
    await project.use(t, { "a.txt": "alpha" });
  }
}, 240_000);
afterAll(async () => {
  await cell?.dispose();
});

/** `npx tenancy <args>` typed in tenants/. */
const tenancy = (...args: string[]) => cell.tenancy(args, "tenants");

it("reports a healthy cell (exit 0, usage lines), then a dropped table (exit 1, the reason); never a secret", async () => {
  const healthy = await tenancy("status", "--format", "json", "--usage", "usage.jsonl");
  // (stderr holds only the AWS SDK's notice about Node 20, which is the runtime's.)
  expect(healthy.stderr).not.toContain("tenancy:");
  const report = JSON.parse(healthy.stdout);
  expect(report.tenants.flatMap((t: { problems: string[] }) => t.problems)).toEqual([]);
  expect(healthy.code).toBe(0);
  expect(report.cells).toEqual([expect.objectContaining({ cell: CELL, tenants: 2, healthy: 2, storageObjects: 2 })]);
  // --usage is relative to where the command was typed (tenants/ here), as --dir is.
  const usage = readFileSync(join(engine.dir, "tenants", "usage.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
  expect(usage.map((u) => [u.tenant, u.active_users, u.api_calls])).toEqual([
    ["st-one", 1, null],
    ["st-two", 1, null],
  ]);

  await services.server.query("DROP TABLE tenant_st_one.invoices", [], "tenancy_schemas");
  const broken = await tenancy("status", "--cell", CELL, "--format", "markdown");
  expect(broken.code).toBe(1);
  expect(broken.stdout).toContain("- **st-one**: database: table(s) invoices missing at migration version 3 (dropped outside the migrations)");
  expect(broken.stdout).toContain("- cell default: 2 tenant(s), 1 healthy, 1 unhealthy (st-one)");
  for (const out of [healthy.stdout, healthy.stderr, broken.stdout, broken.stderr]) {
    expect(out).not.toContain(CANARY);
    expect(out).not.toContain(services.ah.clientSecret);
    expect(out).not.toContain(services.server.admin.password);
  }
}, 120_000);

it("names a stack it cannot read through the Pulumi CLI's own message (exit 2)", async () => {
  const result = await tenancy("status", "--stack-prefix", "nowhere-");
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(/cannot read the config of stack default: .*nowhere-default/);
});
