import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { computePlan } from "../../../lib/plan";
import { changedKeys, diffRegistrations, isDataResource, replacement, tenantOf, urnParts } from "../../../lib/plan/diff";
import { DYNAMIC_PROVIDERS } from "../../../lib/plan/dynamic-keys";
import { FORCE_NEW } from "../../../lib/plan/force-new";
import { PROVIDER_KINDS } from "../../../providers";
import type { Registration } from "../../../lib/plan/evaluate";
import { reg, tenantRegistrations } from "./registrations";

const byName = (changes: ReturnType<typeof diffRegistrations>) => Object.fromEntries(changes.map((c) => [c.name, c]));

describe("diffRegistrations", () => {
  it("classifies created, deleted, updated and unchanged resources by URN", () => {
    const base = [...tenantRegistrations("acme"), ...tenantRegistrations("initech", { isolation: "shared" })];
    const head = [...tenantRegistrations("acme", { content: "maintenance.example.net" }), ...tenantRegistrations("globex")];
    const changes = byName(diffRegistrations(base, head));
    expect(changes["acme-dns"]).toMatchObject({ action: "update", changedKeys: ["content"], tenant: "acme" });
    expect(changes["acme-bucket"]).toMatchObject({ action: "same", changedKeys: [] });
    expect(changes["globex-database"]).toMatchObject({ action: "create", tenant: "globex", dataLoss: false });
    expect(changes["initech-bucket"]).toMatchObject({ action: "delete", tenant: "initech", data: true, dataLoss: true });
    // Shared mode: deleting the migrations resource deletes the tenant's rows.
    expect(changes["initech-migrations"]).toMatchObject({ action: "delete", data: true, dataLoss: true });
    expect(changes["initech-role"]).toMatchObject({ action: "delete", data: false, dataLoss: false });
  });

  it("does not count a deletion as data loss when the resource is retained", () => {
    const changes = byName(diffRegistrations(tenantRegistrations("acme", { retain: true }), []));
    expect(changes["acme-database"]).toMatchObject({ action: "delete", data: true, dataLoss: false });
    expect(changes["acme-bucket"]).toMatchObject({ action: "delete", data: true, dataLoss: false });
  });

  it("reports changed options and a change of secrecy as changed keys", () => {
    const base = reg("aws:s3/bucket:Bucket", "b", undefined, { bucket: "x", token: "t" });
    const head = { ...base, protect: true, secretInputs: ["token"] };
    expect(changedKeys(base, head)).toEqual(["token", "options.protect"]);
    expect(changedKeys(base, { ...base, retainOnDelete: true })).toEqual(["options.retainOnDelete"]);
    expect(changedKeys(base, { ...base, inputs: { bucket: "x", token: "t", extra: 1 } })).toEqual(["extra"]);
  });

  it("treats another provider, or a new bucket name, as a replacement that loses a data resource's data", () => {
    const bucket = reg("aws:s3/bucket:Bucket", "b", undefined, { bucket: "x" }, { provider: "urn:aws-eu-west-1::id" });
    const moved = { ...bucket, provider: "urn:aws-us-east-1::id" };
    expect(diffRegistrations([bucket], [moved])[0]).toMatchObject({ action: "update", replace: true, dataLoss: true, changedKeys: ["options.provider"] });
    const renamed = { ...bucket, inputs: { bucket: "y" } };
    expect(diffRegistrations([bucket], [renamed])[0]).toMatchObject({ action: "update", replace: true, dataLoss: true });
    const tagged = { ...bucket, inputs: { bucket: "x", tags: { a: "b" } } };
    expect(diffRegistrations([bucket], [tagged])[0]).toMatchObject({ action: "update", replace: false, dataLoss: false });
    // The old bucket was deployed with retainOnDelete: replacing it leaves it in place.
    const retained = { ...bucket, retainOnDelete: true };
    expect(diffRegistrations([retained], [{ ...moved, retainOnDelete: false }])[0]).toMatchObject({ replace: true, dataLoss: false });
    const dns = reg("cloudflare:index/dnsRecord:DnsRecord", "d", undefined, {}, { provider: "p1" });
    expect(diffRegistrations([dns], [{ ...dns, provider: "p2" }])[0]).toMatchObject({ replace: true, data: false, dataLoss: false });
  });

  it("follows aliases: a resource renamed in head is the base resource under its old name, not a deletion and a creation", () => {
    const base = tenantRegistrations("acme");
    const head = base.map((r) => (r.name === "acme-database" ? { ...r, name: "acme-database@main", urn: `${r.urn}@main`, aliases: [r.urn] } : r));
    const changes = diffRegistrations(base, head);
    expect(changes.filter((c) => c.action !== "same")).toEqual([]);
    expect(changes.find((c) => c.name === "acme-database@main")).toMatchObject({ action: "same", dataLoss: false });
    // Without the alias, the same rename is a deletion with the data in it.
    const unaliased = diffRegistrations(base, head.map(({ aliases: _a, ...r }) => r));
    expect(unaliased.find((c) => c.name === "acme-database")).toMatchObject({ action: "delete", dataLoss: true });
    // An alias naming a resource head still has is not a rename of it.
    const both = [...base, { ...base.find((r) => r.name === "acme-database")!, name: "acme-database@other", urn: "urn:x@other", aliases: [base.find((r) => r.name === "acme-database")!.urn] }];
    expect(diffRegistrations(base, both).find((c) => c.name === "acme-database@other")).toMatchObject({ action: "create" });
  });

  it("ignores a dynamic provider's serialized code", () => {
    const base = reg("pulumi-nodejs:dynamic/tenancy:TenantSeed", "s", undefined, { name: "a" }, { providerCode: "exports.handler = 1" });
    const head = { ...base, providerCode: "exports.handler = 2" };
    expect(diffRegistrations([base], [head])[0].action).toBe("same");
  });

  it("finds the tenant through the ancestors, and none for shared resources", () => {
    const regs = tenantRegistrations("acme-research");
    expect(regs.every((r) => tenantOf(r) === "acme-research")).toBe(true);
    expect(tenantOf(reg("pulumi:providers:aws", "aws-eu-west-1"))).toBeNull();
    expect(urnParts(regs[2].urn)).toEqual({ type: "postgresql:index/role:Role", name: "acme-research-role" });
  });

  it("knows which resources hold data", () => {
    const [, , role, database, migrations] = tenantRegistrations("a");
    expect([isDataResource(role), isDataResource(database), isDataResource(migrations)]).toEqual([false, true, false]);
    const schemaMigrations = tenantRegistrations("a", { isolation: "schema" })[4];
    expect(schemaMigrations.type).toContain("TenantMigrations");
    expect(isDataResource(schemaMigrations)).toBe(true);
  });

  it("orders its result the same whatever the registration order", () => {
    const base = [...tenantRegistrations("b"), ...tenantRegistrations("a")];
    const head = [...tenantRegistrations("c"), ...tenantRegistrations("a", { content: "other" })];
    const forward = diffRegistrations(base, head).map((c) => c.urn);
    const backward = diffRegistrations([...base].reverse(), [...head].reverse()).map((c) => c.urn);
    expect(backward).toEqual(forward);
  });
});

const TYPES = ["postgresql:index/database:Database", "aws:s3/bucket:Bucket", "cloudflare:index/dnsRecord:DnsRecord", "random:index/randomPassword:RandomPassword"];

/** Arbitrary registration lists: unique URNs, a few tenants, random inputs and options. */
const registrations = fc
  .uniqueArray(
    fc.record({
      tenant: fc.constantFrom("a", "b", "c"),
      type: fc.constantFrom(...TYPES),
      name: fc.constantFrom("x", "y", "z"),
      inputs: fc.dictionary(fc.constantFrom("k1", "k2", "k3"), fc.oneof(fc.string(), fc.integer(), fc.boolean())),
      protect: fc.boolean(),
      retainOnDelete: fc.boolean(),
    }),
    { selector: (r) => `${r.tenant}/${r.type}/${r.name}`, maxLength: 20 },
  )
  .map((rows): Registration[] =>
    rows.map((r) => {
      const tenant = reg("tenancy:index:Tenant", r.tenant);
      return reg(r.type, `${r.tenant}-${r.name}`, tenant, r.inputs, { protect: r.protect, retainOnDelete: r.retainOnDelete });
    }),
  );

describe("diffRegistrations properties", () => {
  it("finds nothing to do between a list and itself", () => {
    fc.assert(
      fc.property(registrations, (regs) => {
        expect(diffRegistrations(regs, regs).every((c) => c.action === "same" && c.changedKeys.length === 0)).toBe(true);
      }),
    );
  });

  it("lists every URN of base and head exactly once, with an action that matches where it is", () => {
    fc.assert(
      fc.property(registrations, registrations, (base, head) => {
        const changes = diffRegistrations(base, head);
        const urns = changes.map((c) => c.urn);
        expect(new Set(urns).size).toBe(urns.length);
        expect([...urns].sort()).toEqual([...new Set([...base, ...head].map((r) => r.urn))].sort());
        const inBase = new Set(base.map((r) => r.urn));
        const inHead = new Set(head.map((r) => r.urn));
        for (const c of changes) {
          const expected = !inBase.has(c.urn) ? "create" : !inHead.has(c.urn) ? "delete" : c.changedKeys.length > 0 ? "update" : "same";
          expect(c.action).toBe(expected);
          expect(c.dataLoss).toBe((c.action === "delete" || c.replace) && c.data && !c.previous!.retainOnDelete);
        }
      }),
    );
  });
});

describe("replacement", () => {
  const update = (type: string, before: Record<string, unknown>, after: Record<string, unknown>) => {
    const base = reg(type, "r", undefined, before);
    const head = { ...base, inputs: after };
    return replacement(base, head, changedKeys(base, head));
  };

  it("follows the provider schemas' force-new table for bridged types", () => {
    expect(update("aws:acm/certificate:Certificate", { domainName: "a.example.com" }, { domainName: "b.example.com" })).toEqual({ replace: true, refused: [] });
    expect(update("aws:acm/certificate:Certificate", { tags: { a: "1" } }, { tags: { a: "2" } })).toEqual({ replace: false, refused: [] });
    expect(update("cloudflare:index/dnsRecord:DnsRecord", { type: "CNAME" }, { type: "A" }).replace).toBe(true);
    expect(update("cloudflare:index/dnsRecord:DnsRecord", { content: "a" }, { content: "b" }).replace).toBe(false);
    // A database is renamed in place, a schema moved to another database is new.
    expect(update("postgresql:index/database:Database", { name: "a" }, { name: "b" }).replace).toBe(false);
    expect(update("postgresql:index/schema:Schema", { database: "a" }, { database: "b" }).replace).toBe(true);
    expect(() => update("aws:rds/instance:Instance", { a: 1 }, { a: 2 })).toThrow("no force-new table for aws:rds/instance:Instance in lib/plan/force-new.ts");
  });

  it("asks a dynamic provider's own keys: replace keys replace, place keys are refused as a tenant move", () => {
    expect(update("pulumi-nodejs:dynamic/tenancy:TenantPassword", { length: 32, rotation: 1 }, { length: 32, rotation: 2 })).toEqual({ replace: true, refused: [] });
    expect(update("pulumi-nodejs:dynamic/tenancy:TenantMigrations", { server: "main", targetVersion: 2 }, { server: "db2", targetVersion: 2 })).toEqual({ replace: false, refused: ["server"] });
    expect(update("pulumi-nodejs:dynamic/tenancy:TenantMigrations", { server: "main", targetVersion: 2 }, { server: "main", targetVersion: 3 })).toEqual({ replace: false, refused: [] });
  });

  it("has a table for every type the program registers, and the keys of every dynamic provider", async () => {
    expect(DYNAMIC_PROVIDERS.map((p) => p.kind).sort()).toEqual([...PROVIDER_KINDS].sort());
    const plan = await computePlan({ dir: "tenants" });
    const types = new Set([...plan.shared, ...plan.tenants.flatMap((t) => t.resources)].filter((c) => c.registration.custom).map((c) => c.type));
    const bridged = [...types].filter((t) => !t.startsWith("pulumi:providers:") && !t.startsWith("pulumi-nodejs:dynamic/"));
    expect(bridged.length).toBeGreaterThan(10);
    expect(bridged.filter((t) => !FORCE_NEW[t])).toEqual([]);
  });
});

