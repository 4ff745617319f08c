// The deletion order as the engine would derive it from real registrations (Pulumi's mocks via
// lib/plan/evaluate), for a tenant wired as lib/lifecycle/order.ts prescribes.
import * as aws from "@pulumi/aws";
import * as cloudflare from "@pulumi/cloudflare";
import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { childOptions } from "../../../components/options";
import { evaluate, type Registration } from "../../../lib/plan/evaluate";
import { DeletedHook, LifecycleHook, TenantBackup } from "../../../components/lifecycle";
import { DELETION_STAGES, deletionOrderProblems, deletionWaves, stageOf } from "../../../lib/lifecycle/order";

const tenant = { id: "acme", name: "Acme", friendly_name: "Acme", plan: "pro", status: "active", cell: "eu-1", region: "eu-west-1", parent: null };
const SECRET = "canary-order-secret-000000";

/**
 * A stage as the tenant components build one: children do not inherit a component's dependsOn, so
 * (like components/options.ts childOptions) every child gets the stage's `after` itself.
 */
class Group extends pulumi.ComponentResource {
  constructor(type: string, name: string, after: pulumi.Resource[], build: (opts: pulumi.CustomResourceOptions) => void) {
    super(type, name, {}, {});
    build(childOptions(this, after));
    this.registerOutputs({});
  }
}

/** A tenant's resources in the prescribed chain; `skip` leaves out one link to prove the check bites. */
function program(skip?: "storage->domain") {
  return () => {
    const deleted = new DeletedHook("acme-deleted-hook", { tenant, urls: [], secret: SECRET });
    const domain = new Group("test:index:Domain", "acme-domain", [deleted], (opts) => {
      new cloudflare.DnsRecord("acme-dns", { zoneId: "z".repeat(32), name: "acme.example.com", type: "CNAME", ttl: 1, content: "ingress.example.net" }, opts);
      new aws.acm.Certificate("acme-cert", { domainName: "acme.example.com", validationMethod: "DNS" }, opts);
    });
    const storage = new Group("test:index:Storage", "acme-storage", skip ? [deleted] : [domain], (opts) => {
      new aws.s3.Bucket("acme-bucket", { bucket: "tn-acme", forceDestroy: true }, opts);
    });
    const data = new Group("test:index:Data", "acme-data", [storage], (opts) => {
      const role = new postgresql.Role("acme-role", { name: "tenant_acme", login: true }, opts);
      new postgresql.Database("acme-db", { name: "tenant_acme", owner: role.name }, opts);
    });
    const backup = new TenantBackup(
      "acme-backup",
      {
        target: { server: "main", host: "db", port: 5432, user: "admin", database: "tenant_acme", sslmode: "require", isolation: "database", tenantId: "acme", schema: "public", role: "tenant_acme", ownerRole: "tenancy_owner", appRole: "tenancy_app" },
        password: "canary-order-password",
        store: { bucket: "tn-backups", region: "eu-west-1" },
        onDelete: "backup",
      },
      { dependsOn: [data] },
    );
    new LifecycleHook("acme-lifecycle-hook", { tenant, urls: { created: [], updated: [], deleting: [] }, secret: SECRET }, { dependsOn: [backup] });
  };
}

function staged(registrations: Registration[]) {
  return registrations.filter((r) => r.custom && stageOf(r.type));
}

describe("deletion order", () => {
  it("the prescribed chain deletes in the seed's order, stage by stage", async () => {
    const { registrations } = await evaluate(program());
    const nodes = staged(registrations);
    expect(nodes.map((n) => stageOf(n.type))).toEqual(expect.arrayContaining(DELETION_STAGES.filter((s) => s !== "identity")));
    expect(deletionOrderProblems(nodes)).toEqual([]);
    const waves = deletionWaves(nodes).map((wave) => [...new Set(wave.map((urn) => stageOf(nodes.find((n) => n.urn === urn)!.type)))]);
    console.log("deletion waves:", JSON.stringify(waves));
    // One stage per wave or a wave within one stage, and the stages in the seed's order.
    expect(waves.every((w) => w.length === 1)).toBe(true);
    const order = waves.map((w) => w[0]).filter((s, i, all) => all.indexOf(s) === i);
    expect(order).toEqual(["deleting-webhook", "backup", "data", "storage", "domain", "deleted-webhook"]);
  });

  it("a missing link is reported, naming both sides", async () => {
    const { registrations } = await evaluate(program("storage->domain"));
    const problems = deletionOrderProblems(staged(registrations));
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.every((p) => /^(storage|data|backup|deleting-webhook) .* does not depend on domain .*acme-(dns|cert)/.test(p))).toBe(true);
    expect(problems.some((p) => p.startsWith("storage urn:pulumi:plan::tenancy::test:index:Storage$aws:s3/bucket:Bucket::acme-bucket does not depend on domain"))).toBe(true);
  });
});

describe("secrets of the lifecycle resources, as the engine receives them", () => {
  it("are secret inputs, secret outputs, and absent from the serialized provider code", async () => {
    const { registrations } = await evaluate(program());
    const byType = (type: string) => registrations.find((r) => r.type === `pulumi-nodejs:dynamic/tenancy:${type}`)!;
    expect(byType("TenantBackup")).toMatchObject({ secretInputs: ["password"], additionalSecretOutputs: ["password", "credentials", "identity"] });
    expect(byType("LifecycleHook")).toMatchObject({ secretInputs: ["secret"], additionalSecretOutputs: ["secret"] });
    expect(byType("DeletedHook")).toMatchObject({ secretInputs: ["secret"], additionalSecretOutputs: ["secret"] });
    for (const type of ["TenantBackup", "LifecycleHook", "DeletedHook"]) {
      const code = byType(type).providerCode!;
      expect(code).toContain("exports.handler");
      expect(code).not.toContain(SECRET);
      expect(code).not.toContain("canary-order-password");
    }
  });
});

describe("stageOf / deletionWaves", () => {
  it("classifies the tenant's resource types", () => {
    expect(stageOf("pulumi-nodejs:dynamic/tenancy:Organization")).toBe("identity");
    expect(stageOf("pulumi-nodejs:dynamic/tenancy:TenantMigrations")).toBe("data");
    expect(stageOf("postgresql:index/grant:Grant")).toBe("data");
    expect(stageOf("aws:iam/policy:Policy")).toBe("storage");
    expect(stageOf("cloudflare:index/customHostname:CustomHostname")).toBe("domain");
    expect(stageOf("tenancy:index:Tenant")).toBeUndefined();
    expect(stageOf("pulumi:providers:aws")).toBeUndefined();
  });

  it("schedules dependents first and refuses cycles", () => {
    const nodes = [
      { urn: "a", type: "x", dependencies: ["b", "c"] },
      { urn: "b", type: "x", dependencies: ["c"] },
      { urn: "c", type: "x", dependencies: [] },
      { urn: "d", type: "x", dependencies: [] },
    ];
    expect(deletionWaves(nodes)).toEqual([["a", "d"], ["b"], ["c"]]);
    expect(() => deletionWaves([{ urn: "a", type: "x", dependencies: ["b"] }, { urn: "b", type: "x", dependencies: ["a"] }])).toThrow(/cycle/);
    expect(() => deletionOrderProblems([{ urn: "a", type: "x", dependencies: ["b"] }, { urn: "b", type: "x", dependencies: ["a"] }])).toThrow(/cycle/);
  });
});
