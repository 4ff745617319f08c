// The tenant lifecycle as the program wires it, under Pulumi's mocks: the deletion order of
// lib/lifecycle/order.ts checked on the real registrations (every isolation and storage mode,
// suspended tenants, a parent with a child and a grandchild), and the lifecycle resources' inputs.
import { describe, expect, test } from "vitest";
import type { Catalog } from "../../../lib/catalog";
import { deletionOrderProblems, deletionWaves, stageOf, type GraphNode } from "../../../lib/lifecycle/order";
import { evaluate, type Evaluation, type Registration } from "../../../lib/plan/evaluate";
import { registerProgram } from "../../../lib/program";
import { catalogOf, exampleCatalog, exampleConfig } from "../tenancy-fixtures";

const ISOLATIONS = ["database", "schema", "shared"] as const;
const MODES = ["bucket", "prefix"] as const;

/** Every isolation x storage x status, on_delete varied, custom domains on some, and a three-level hierarchy. */
function generated(): Catalog {
  const docs: Record<string, Record<string, unknown>> = {};
  let i = 0;
  for (const isolation of ISOLATIONS) {
    for (const mode of MODES) {
      for (const status of ["active", "suspended"]) {
        docs[`${isolation}-${mode}-${status}`] = {
          status,
          database: { isolation, server: "main" },
          storage: { mode, versioning: i % 2 === 0, noncurrent_days: 7 },
          lifecycle: { deletion_protection: false, on_delete: ["backup", "delete", "retain"][i % 3] },
          domains: i % 4 === 0 ? { custom: [`login.customer-${i}.example.org`] } : {},
        };
        i++;
      }
    }
  }
  docs.parent = { database: { isolation: "database", server: "main" }, storage: { mode: "bucket", versioning: true, noncurrent_days: 30 } };
  docs.child = { parent: "parent", database: { isolation: "schema", server: "main" } };
  docs.grandchild = { parent: "child", status: "suspended" };
  return catalogOf(docs);
}

const tenantUrn = (ev: Evaluation, id: string) => ev.registrations.find((r) => r.type === "tenancy:index:Tenant" && r.name === id)!.urn;
/** A tenant's custom resources: what the engine creates and deletes. */
const resourcesOf = (ev: Evaluation, id: string): Registration[] => ev.registrations.filter((r) => r.custom && r.ancestors.includes(tenantUrn(ev, id)));
const byName = (ev: Evaluation, name: string) => ev.registrations.find((r) => r.custom && r.name === name)!;
const tenantIds = (catalog: Catalog) => catalog.tenants.map((t) => t.id);

function expectSeedOrder(ev: Evaluation, id: string) {
  const nodes = resourcesOf(ev, id);
  expect(deletionOrderProblems(nodes), id).toEqual([]);
  // Stage by stage: the waves in which the engine would delete the tenant, reduced to their stages.
  const stage = new Map(nodes.map((n) => [n.urn, stageOf(n.type)]));
  const order = deletionWaves(nodes)
    .flatMap((wave) => [...new Set(wave.map((urn) => stage.get(urn)).filter((s) => s !== undefined))])
    .filter((s, k, all) => all.indexOf(s) === k);
  expect(order, id).toEqual(["deleting-webhook", "backup", "identity", "data", "storage", "domain", "deleted-webhook"]);
  // Every custom resource of the tenant is in the flow, except the generated password.
  expect(nodes.filter((n) => !stage.get(n.urn)).map((n) => n.type), id).toEqual(["pulumi-nodejs:dynamic/tenancy:TenantPassword"]);
}

describe("deletion order of the real program", async () => {
  const example = exampleCatalog();
  const exampleEv = await evaluate(() => registerProgram(example, exampleConfig()));
  const catalog = generated();
  const ev = await evaluate(() => registerProgram(catalog, exampleConfig()));

  test("every tenant of the example catalog deletes in the seed's order", () => {
    expect(tenantIds(example).length).toBeGreaterThanOrEqual(4);
    for (const id of tenantIds(example)) expectSeedOrder(exampleEv, id);
  });

  test("every isolation and storage mode, active and suspended, and every level of a hierarchy", () => {
    expect(tenantIds(catalog)).toHaveLength(15);
    for (const id of tenantIds(catalog)) expectSeedOrder(ev, id);
  });

  test("the check finds a missing link in the real graph (storage no longer after the domain)", () => {
    const nodes: GraphNode[] = resourcesOf(ev, "database-bucket-active");
    const domain = new Set(nodes.filter((n) => stageOf(n.type) === "domain").map((n) => n.urn));
    const cut = nodes.map((n) => (stageOf(n.type) === "storage" ? { ...n, dependencies: n.dependencies.filter((d) => !domain.has(d)) } : n));
    const problems = deletionOrderProblems(cut);
    expect(problems.length).toBeGreaterThan(0);
    // What lay beyond the cut (the domain, and the deleted-webhook behind it) is no longer reached.
    expect(problems.every((p) => / does not depend on (domain|deleted-webhook) /.test(p))).toBe(true);
    expect(problems.some((p) => p.startsWith("storage ") && p.includes("database-bucket-active-bucket does not depend on domain"))).toBe(true);
  });

  test("a child is deleted entirely before its parent, a grandchild before the child", () => {
    const family = ["parent", "child", "grandchild"];
    const nodes = family.flatMap((id) => resourcesOf(ev, id));
    const owner = new Map(family.flatMap((id) => resourcesOf(ev, id).map((r) => [r.urn, id] as const)));
    const waveOf = new Map(deletionWaves(nodes).flatMap((wave, w) => wave.map((urn) => [urn, w] as const)));
    const waves = (id: string) => nodes.filter((n) => owner.get(n.urn) === id).map((n) => waveOf.get(n.urn)!);
    expect(Math.max(...waves("grandchild"))).toBeLessThan(Math.min(...waves("child")));
    expect(Math.max(...waves("child"))).toBeLessThan(Math.min(...waves("parent")));
    // So the parent's deleting webhook goes out only once its descendants are gone.
    expect(waveOf.get(byName(ev, "parent-lifecycle-hook").urn)).toBe(Math.min(...waves("parent")));
  });

  test("a child's organization carries its ancestors' names", () => {
    expect(byName(ev, "child-organization").inputs.displayName).toBe("PARENT / CHILD");
    expect(byName(ev, "grandchild-organization").inputs.displayName).toBe("PARENT / CHILD / GRANDCHILD");
  });

  test("backup: the tenant's data from the admin connection, into the stack's backups bucket, per on_delete", () => {
    const backup = (id: string) => byName(ev, `${id}-backup`);
    expect(backup("schema-bucket-active").inputs).toMatchObject({
      target: { host: "db-main.internal.example.com", port: 5432, user: "tenancy_admin", sslmode: "verify-full", ca: expect.stringContaining("-----BEGIN CERTIFICATE-----"), isolation: "schema", tenantId: "schema-bucket-active", database: "tenancy_schemas", schema: "tenant_schema_bucket_active", role: "tenant_schema_bucket_active" },
      store: { bucket: "example-tenancy-backups-eu-west-1", region: "eu-west-1" },
      objects: { bucket: "example-tenancy-schema-bucket-active", prefix: "", region: "eu-west-1" },
      configuration: { tenant: { id: "schema-bucket-active" } },
    });
    expect(backup("database-prefix-active").inputs).toMatchObject({ target: { isolation: "database", database: "tenant_database_prefix_active" } });
    expect(backup("shared-bucket-active").inputs).toMatchObject({ target: { isolation: "shared", database: "tenancy_shared" } });
    const onDelete = Object.fromEntries(catalog.tenants.map((t) => [t.id, t.lifecycle.on_delete]));
    for (const id of tenantIds(catalog)) {
      expect(backup(id).inputs.onDelete, id).toBe(onDelete[id]);
      expect(backup(id).secretInputs, id).toEqual(["identity.clientSecret", "password"]);
      // Not retained: for on_delete retain its delete takes no dump, and the data resources stay.
      expect(backup(id).retainOnDelete, id).toBe(false);
    }
    expect(new Set(Object.values(onDelete))).toEqual(new Set(["backup", "delete", "retain"]));
  });

  test("retain keeps data and bucket; the others empty the bucket on deletion", () => {
    for (const t of catalog.tenants.filter((x) => x.storage.mode === "bucket")) {
      const bucket = byName(ev, `${t.id}-bucket`);
      const retain = t.lifecycle.on_delete === "retain";
      expect([bucket.retainOnDelete, bucket.inputs.forceDestroy ?? false], t.id).toEqual([retain, !retain]);
    }
    // The cell's shared bucket is never emptied by a tenant's offboarding.
    expect(byName(ev, "shared-eu-west-1-bucket").inputs.forceDestroy).toBeUndefined();
  });

  test("suspension: ends the role's sessions when suspended, after the role, as the admin on the maintenance database", () => {
    for (const t of catalog.tenants) {
      const suspension = byName(ev, `${t.id}-suspension`);
      expect(suspension.inputs, t.id).toMatchObject({
        connection: { host: "db-main.internal.example.com", port: 5432, user: "tenancy_admin", sslmode: "verify-full", ca: expect.stringContaining("-----BEGIN CERTIFICATE-----"), database: "postgres" },
        role: `tenant_${t.id.replace(/-/g, "_")}`,
        suspended: t.status === "suspended",
      });
      expect(suspension.secretInputs, t.id).toEqual(["password"]);
      expect(suspension.dependencies, t.id).toContain(byName(ev, `${t.id}-role@main`).urn);
      expect(byName(ev, `${t.id}-role@main`).inputs.login, t.id).toBe(t.status !== "suspended");
    }
  });

  test("the admin is a member of database and shared tenants' roles, before the migrations run", () => {
    for (const t of catalog.tenants) {
      const member = ev.registrations.find((r) => r.name === `${t.id}-admin-member@main`);
      if (t.database.isolation === "schema") {
        expect(member, t.id).toBeUndefined();
        continue;
      }
      expect(member!.inputs, t.id).toEqual({ role: "tenancy_admin", grantRole: `tenant_${t.id.replace(/-/g, "_")}` });
      expect(byName(ev, `${t.id}-migrations`).dependencies, t.id).toContain(member!.urn);
      if (t.database.isolation === "database") expect(byName(ev, `${t.id}-database@main`).dependencies, t.id).toContain(member!.urn);
    }
  });

  test("hooks: the tenant's and the defaults' URLs, signed with the stack's webhook secret", () => {
    const created = byName(exampleEv, "acme-lifecycle-hook");
    expect(created.inputs).toMatchObject({
      tenant: { id: "acme", name: "Acme Corporation", status: "active", parent: null },
      urls: { created: ["https://hooks.acme-corp.com/tenancy"] },
    });
    expect(created.secretInputs).toEqual(["secret"]);
    expect(created.additionalSecretOutputs).toEqual(["secret"]);
    const deleted = byName(exampleEv, "acme-research-deleted-hook");
    expect(deleted.inputs).toMatchObject({ tenant: { id: "acme-research", parent: "acme" }, urls: [] });
    expect(deleted.secretInputs).toEqual(["secret"]);
  });
});
