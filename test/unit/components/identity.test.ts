// TenantIdentity under Pulumi's mocks (through lib/plan/evaluate.ts): which resources, under which
// parent, in which order, with the client secret a secret everywhere and absent from provider code.
import { describe, expect, it } from "vitest";
import type { ResolvedTenant } from "../../../lib/catalog";
import { evaluate, plaintextOccurrences } from "../../../lib/plan/evaluate";
import { identityArgProblems, identityDisplayName, organizationRoles, TenantIdentity, type TenantIdentityArgs } from "../../../components/identity";
import { entityFingerprint } from "../../../lib/identity/fingerprint";
import { exampleCatalog } from "../tenancy-fixtures";

const CANARY = "canary-identity-secret-91d2f0";

function args(over: Partial<TenantIdentityArgs> = {}): TenantIdentityArgs {
  const catalog = exampleCatalog();
  const tenant = catalog.tenants.find((t) => t.id === "acme-research")!;
  const parent = catalog.tenants.find((t) => t.id === tenant.parent)!;
  return {
    tenant,
    controlPlane: catalog.controlPlane,
    access: catalog.defaults.access,
    displayName: identityDisplayName(tenant.name, parent.name),
    hostnames: ["acme-research.example.com"],
    connection: { url: "https://auth.example.com", clientId: "m2m", clientSecret: CANARY, controlPlaneTenantId: "control-plane" },
    ...over,
  };
}

describe("TenantIdentity", () => {
  it("registers EntitySync, Organization and IdentitySeed under the component, the organization after the entities", async () => {
    const a = args();
    const ev = await evaluate(() => new TenantIdentity(a.tenant.id, a));
    const component = ev.registrations.find((r) => r.type === "tenancy:identity:TenantIdentity")!;
    expect(component.name).toBe("acme-research");
    const children = ev.registrations.filter((r) => r.custom);
    expect(children.map((r) => `${r.type} ${r.name}`).sort()).toEqual([
      "pulumi-nodejs:dynamic/tenancy:EntitySync acme-research-identity-entities",
      "pulumi-nodejs:dynamic/tenancy:IdentitySeed acme-research-identity-seed",
      "pulumi-nodejs:dynamic/tenancy:Organization acme-research-organization",
    ]);
    for (const c of children) {
      expect(c.parent).toBe(component.urn);
      expect(c.additionalSecretOutputs).toContain("connection");
      expect(c.secretInputs).toContain("connection.clientSecret");
      expect(c.providerCode).not.toContain(CANARY);
    }
    const entities = children.find((r) => r.name.endsWith("identity-entities"))!;
    const org = children.find((r) => r.name.endsWith("organization"))!;
    expect(org.dependencies).toContain(entities.urn);
    expect(org.inputs).toMatchObject({
      tenantId: "acme-research",
      displayName: "Acme Corporation / Acme Research",
      adminRole: "tenant-admin",
      roles: organizationRoles(a.tenant, a.access),
      metadata: { plan: a.tenant.plan, status: a.tenant.status, cell: a.tenant.cell },
    });
    expect(entities.inputs.fingerprint).toBe(entityFingerprint(a.controlPlane));
    expect(plaintextOccurrences(ev, CANARY)).toEqual([]);
  });

  it("the fingerprint follows the entity set, not the order of its keys", () => {
    const a = args();
    const changed = structuredClone(a.controlPlane);
    changed.roles[0]!.permissions[0]!.scopes.pop();
    const reordered = { roles: a.controlPlane.roles, resource_servers: a.controlPlane.resource_servers };
    expect(entityFingerprint(reordered)).toBe(entityFingerprint(a.controlPlane));
    expect(entityFingerprint(changed)).not.toBe(entityFingerprint(a.controlPlane));
  });

  it("lists every argument problem at once, and registers nothing then", async () => {
    const a = args();
    const tenant: ResolvedTenant = { ...a.tenant, access: { admins: ["not-mail"], roles: ["ghost"] } };
    const problems = identityArgProblems({ ...a, tenant, displayName: " ", hostnames: [], connection: { ...a.connection, url: "http://auth.example.com", clientId: "" } });
    expect(problems).toEqual([
      "role(s) ghost are not declared in _control-plane.yaml (declared: tenant-admin, tenant-member, billing-viewer)",
      "displayName must not be empty",
      "hostnames must list at least one host name (the default application's callbacks follow them)",
      "admins must be e-mail addresses: not-mail",
      "connection.clientId is empty; set it in stack config",
      "connection.url http://auth.example.com must be https:// (plain http only on 127.0.0.1)",
    ]);
    expect(identityArgProblems(a)).toEqual([]);
    await expect(evaluate(() => new TenantIdentity("x", { ...a, tenant }))).rejects.toThrow(/TenantIdentity x: invalid arguments:\n  - role\(s\) ghost/);
  });

  it("display name of a top-level tenant is its name; a child's includes its parent's", () => {
    expect(identityDisplayName("Acme Corporation")).toBe("Acme Corporation");
    expect(identityDisplayName("Acme Research", "Acme Corporation")).toBe("Acme Corporation / Acme Research");
  });
});
