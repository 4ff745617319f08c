// `tenancy status` against the real services: a fleet provisioned by the project's own code on two
// PostgreSQL servers, s3rver and AuthHero reads healthy (exit 0); then faults are planted by hand
// (a database server stopped, a table dropped, an organization deleted, entity copies changed) and
// each tenant is reported unhealthy for its own reason, the others still healthy, exit 1.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Catalog } from "../../../lib/catalog";
import { statusCommand, tenantStatuses, type StatusOptions } from "../../../lib/operate/status";
import type { UsageLine } from "../../../lib/operate/status-rules";
import { createManagementClient } from "../../../providers/identity/client";
import { findOrganization } from "../../../providers/identity/organization";
import { fast, provision, startFleet, S3RVER_CREDENTIALS, type Fleet } from "./fleet";

const TENANTS = {
  "alpha.yaml": "id: alpha\nname: Alpha Ltd\ndatabase: { isolation: database, server: second }\nstorage: { mode: bucket, versioning: false, noncurrent_days: 30 }\n",
  "beta.yaml": "id: beta\nname: Beta Ltd\ndatabase: { isolation: schema, server: main }\n",
  "gamma.yaml": "id: gamma\nname: Gamma Ltd\nstatus: suspended\n",
  "delta.yaml": "id: delta\nname: Delta Ltd\nplan: pro\n",
};

let fleet: Fleet;
let catalog: Catalog;
const options = (over: Partial<StatusOptions> = {}): StatusOptions => ({
  format: "json",
  catalog,
  readConfig: () => fleet.config(),
  s3Credentials: S3RVER_CREDENTIALS,
  identityClient: fast,
  ...over,
});

beforeAll(async () => {
  fleet = await startFleet(["example-tenancy-alpha"]);
  catalog = fleet.catalog(TENANTS);
  const objects: Record<string, Record<string, string>> = { alpha: { "a.txt": "alpha!", "b/c.txt": "0123456789" }, beta: { "x.bin": "beta" }, gamma: {}, delta: { "d.txt": "delta" } };
  for (const t of catalog.tenants) await provision(fleet, catalog, t, objects[t.id]);
}, 180_000);
afterAll(async () => {
  await fleet?.stop();
});

describe("tenancy status", () => {
  it("a healthy fleet: every tenant healthy, figures read from the services, exit 0, usage lines for billing", async () => {
    const usage = join(mkdtempSync(join(tmpdir(), "tenancy-status-")), "usage.jsonl");
    const result = await statusCommand(options({ usage, now: () => new Date("2026-11-25T12:00:00Z") }));
    const report = JSON.parse(result.output);
    expect(report.tenants.filter((t: { healthy: boolean }) => !t.healthy)).toEqual([]);
    expect(result.exitCode).toBe(0);
    expect(report.healthy).toBe(true);
    const byId = Object.fromEntries(report.tenants.map((t: any) => [t.expected.id, t]));
    expect(byId.alpha.database).toMatchObject({ reachable: true, version: 3, canLogin: true, tables: ["invoices", "projects", "tenant_profile"] });
    expect(byId.alpha.storage).toEqual({ reachable: true, bucketExists: true, objects: 2, bytes: 16 });
    expect(byId.beta.storage).toEqual({ reachable: true, bucketExists: true, objects: 1, bytes: 4 });
    expect(byId.alpha.identity).toMatchObject({ reachable: true, identityTenant: true, members: 1, entities: "in-sync", organization: { name: "alpha", status: "active" } });
    // Suspended: its role cannot log in and its organization keeps no member; as the catalog says.
    expect(byId.gamma.database.canLogin).toBe(false);
    expect(byId.gamma.identity).toMatchObject({ members: 0, organization: { status: "suspended" } });
    expect(report.cells).toEqual([expect.objectContaining({ cell: "default", tenants: 4, healthy: 4, unhealthy: [], storageObjects: 4, storageBytes: 25, members: 3 })]);

    const lines = readFileSync(usage, "utf8").trim().split("\n").map((l) => JSON.parse(l) as UsageLine);
    expect(lines.map((l) => l.tenant)).toEqual(["alpha", "beta", "delta", "gamma"]);
    const alpha = lines[0]!;
    expect(alpha).toMatchObject({ time: "2026-11-25T12:00:00.000Z", cell: "default", plan: "starter", storage_bytes: 16, storage_objects: 2, active_users: 1, api_calls: null });
    // A database of its own is megabytes even empty; a shared tenant's rows are a few hundred bytes.
    expect(alpha.database_bytes).toBeGreaterThan(1_000_000);
    expect(lines[2]!.database_bytes).toBeGreaterThan(0);
    expect(lines[2]!.database_bytes).toBeLessThan(10_000);

    const text = await statusCommand(options({ format: "text" }));
    expect(text.output).toContain("cell default: 4 tenant(s), 4 healthy; database");
    const markdown = await statusCommand(options({ format: "markdown", cell: "default" }));
    expect(markdown.output).toMatch(/^\| tenant \| health \|/);
  }, 60_000);

  it("planted faults: a stopped server, a dropped table, a deleted organization, changed entity copies: each unhealthy for its reason, exit 1", async () => {
    // beta: a table dropped by hand.
    await fleet.servers.main.query("DROP TABLE tenant_beta.invoices", [], "tenancy_schemas");
    // gamma: its organization deleted on the control plane.
    const client = createManagementClient(fleet.identity);
    const org = await findOrganization(client, "gamma");
    await client.request(fleet.ah.controlPlaneTenantId, "delete", "DELETE", `/organizations/${org!.id}`);
    // delta: a role copied into its identity tenant deleted by hand.
    const roles = await client.listAll<{ id: string; name: string }>("delta", "roles", "/roles");
    await client.request("delta", "delete", "DELETE", `/roles/${roles.find((r) => r.name === "tenant-member")!.id}`);
    // alpha: its database server stopped.
    await fleet.servers.second.stop();

    const result = await statusCommand(options({ format: "text" }));
    expect(result.exitCode).toBe(1);
    expect(result.isResult).toBe(true);
    expect(result.output).toMatch(/^alpha: database unreachable: .*ECONNREFUSED/m);
    expect(result.output).toContain("beta: database: table(s) invoices missing at migration version 3 (dropped outside the migrations)");
    expect(result.output).toContain("gamma: identity: organization gamma not found on the control plane");
    expect(result.output).toContain("delta: identity: synced entities (roles, APIs) drifted from _control-plane.yaml");
    expect(result.output).toContain("cell default: 4 tenant(s), 0 healthy, 4 unhealthy (alpha, beta, delta, gamma)");

    // Each fault stays its tenant's: alpha's storage and identity still read fine.
    const statuses = await tenantStatuses(options());
    const alpha = statuses.find((s) => s.expected.id === "alpha")!;
    expect(alpha.problems).toHaveLength(1);
    expect(alpha.storage).toMatchObject({ reachable: true, objects: 2 });
    expect(statuses.find((s) => s.expected.id === "beta")!.problems).toHaveLength(1);
    // --cell picks a declared cell; an undeclared one is refused by name.
    await expect(statusCommand(options({ cell: "us-1" }))).rejects.toThrow('no cell "us-1" is declared in _cells.yaml (declared: default)');
  }, 60_000);
});
