// organizationStates: the Organization outputs `tenancy backup` reads from `pulumi stack export`.
import { describe, expect, it } from "vitest";
import { organizationStates } from "../../../lib/operate/stack-state";

const SECRET = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", ciphertext: "v1:abc" };
const urn = (type: string, name: string) => `urn:pulumi:eu-1::tenancy::tenancy:Tenant$${type}::${name}`;
const organization = (tenantId: string, name: string, extra: Record<string, unknown> = {}) => ({
  urn: urn("pulumi-nodejs:dynamic/tenancy:Organization", `${tenantId}-organization`),
  custom: true,
  id: `org_${tenantId}`,
  type: "pulumi-nodejs:dynamic/tenancy:Organization",
  inputs: { tenantId },
  outputs: { __provider: "exports.handler = __f0;", connection: { url: "https://id.example.com", clientSecret: SECRET }, tenantId, name, organizationId: `org_${tenantId}`, members: {}, ...extra },
});

function exported(resources: unknown[]): string {
  return JSON.stringify({ version: 3, deployment: { manifest: { time: "2026-11-25T18:00:00Z", version: "v3.248.0" }, secrets_providers: { type: "passphrase" }, resources } });
}

describe("organizationStates", () => {
  it("maps each tenant to its organization's name and, while suspended, the members taken out", () => {
    const states = organizationStates(
      exported([
        { urn: "urn:pulumi:eu-1::tenancy::pulumi:pulumi:Stack::tenancy-eu-1", custom: false, type: "pulumi:pulumi:Stack" },
        organization("acme", "acme"),
        organization("globex", "legacy-globex", { suspendedMembers: { "auth2|u1": ["rol_admin", "rol_member"], "auth2|u2": [] } }),
        { ...organization("initech", "initech-old"), delete: true },
        organization("initech", "initech"),
        { urn: urn("pulumi-nodejs:dynamic/tenancy:TenantBackup", "acme-backup"), custom: true, type: "pulumi-nodejs:dynamic/tenancy:TenantBackup", outputs: { tenantId: "acme", name: "x" } },
      ]),
    );
    expect([...states]).toEqual([
      ["acme", { name: "acme" }],
      ["globex", { name: "legacy-globex", suspendedMembers: { "auth2|u1": ["rol_admin", "rol_member"], "auth2|u2": [] } }],
      ["initech", { name: "initech" }],
    ]);
  });

  it("reads a stack without resources, and ignores a suspendedMembers that is not user ids to role ids", () => {
    expect(organizationStates(JSON.stringify({ version: 3, deployment: { manifest: {} } })).size).toBe(0);
    const states = organizationStates(exported([organization("acme", "acme", { suspendedMembers: { u1: "rol_admin" } })]));
    expect(states.get("acme")).toEqual({ name: "acme" });
  });
});
