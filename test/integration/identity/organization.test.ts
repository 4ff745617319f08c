// Organization against the real AuthHero server: create, diff, update, delete, crash-adopt.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ControlPlane } from "../../../lib/catalog/schema";
import { createManagementClient } from "../../../lib/identity/client";
import { syncEntities } from "../../../lib/identity/entity-sync";
import {
  createOrganization,
  deleteOrganization,
  diffOrganization,
  updateOrganization,
  type OrganizationInputs,
  type OrganizationOutputs,
} from "../../../lib/identity/organization";
import { startAuthHero, type AuthHeroServer } from "../../harness/authhero";

const ENTITIES: ControlPlane = {
  resource_servers: [{ identifier: "https://api.example.com", name: "Example API", scopes: [{ value: "read:projects", description: "" }] }],
  roles: ["tenant-admin", "tenant-member", "billing-viewer"].map((name) => ({ name, description: name, permissions: [] })),
};

let ah: AuthHeroServer;
const connection = () => ({ url: ah.url, clientId: ah.clientId, clientSecret: ah.clientSecret, controlPlaneTenantId: ah.controlPlaneTenantId });
const client = () => createManagementClient(connection());

function inputs(tenantId: string, over: Partial<OrganizationInputs> = {}): OrganizationInputs & { __clientOptions: object } {
  return {
    connection: connection(),
    tenantId,
    displayName: "Acme Corporation",
    metadata: { plan: "pro", status: "active", cell: "eu-1" },
    roles: ["tenant-member"],
    adminRole: "tenant-admin",
    admins: [`ops@${tenantId}.example.com`],
    __clientOptions: { retry: { baseDelayMs: 5, maxDelayMs: 20 } },
    ...over,
  };
}

async function organizations(name: string) {
  const all = await client().listAll<{ id: string; name: string; display_name: string; metadata: Record<string, string> }>(ah.controlPlaneTenantId, "list", "/organizations");
  return all.filter((o) => o.name === name);
}
async function members(orgId: string) {
  const list = await client().listAll<{ user_id: string; email: string; roles: { name: string }[] }>(ah.controlPlaneTenantId, "list", `/organizations/${orgId}/members`);
  return Object.fromEntries(list.map((m) => [m.email, m.roles.map((r) => r.name).sort()]));
}

beforeAll(async () => {
  ah = await startAuthHero();
  await syncEntities(client(), ah.controlPlaneTenantId, ENTITIES);
});
afterAll(async () => {
  await ah?.stop();
});

describe("Organization", () => {
  it("creates the organization named by the tenant id, with metadata and admins holding the admin and default roles", async () => {
    const { id, outs } = await createOrganization(inputs("acme"));
    const [org] = await organizations("acme");
    expect(org).toMatchObject({ id, display_name: "Acme Corporation", metadata: { plan: "pro", status: "active", cell: "eu-1", roles: "tenant-member" } });
    expect(await members(id)).toEqual({ "ops@acme.example.com": ["tenant-admin", "tenant-member"] });
    expect(outs.members["ops@acme.example.com"]).toMatch(/^auth0\|/);
  });

  it("a create repeated after a crash adopts the organization and the user instead of duplicating them", async () => {
    const first = await createOrganization(inputs("crashy"));
    const second = await createOrganization(inputs("crashy"));
    expect(second.id).toBe(first.id);
    expect(await organizations("crashy")).toHaveLength(1);
    const users = await client().request<unknown[]>(ah.controlPlaneTenantId, "find", "GET", `/users-by-email?email=${encodeURIComponent("ops@crashy.example.com")}`);
    expect(users).toHaveLength(1);
  });

  it("diff sees display name, metadata, roles and admins; a new tenant id replaces", async () => {
    const olds = { ...inputs("acme"), organizationId: "org_1", name: "acme", members: {} } as OrganizationOutputs;
    expect((await diffOrganization("org_1", olds, inputs("acme"))).changes).toBe(false);
    expect((await diffOrganization("org_1", olds, inputs("acme", { displayName: "Acme Inc" }))).changes).toBe(true);
    expect((await diffOrganization("org_1", olds, inputs("acme", { metadata: { plan: "enterprise", status: "active", cell: "eu-1" } }))).changes).toBe(true);
    expect((await diffOrganization("org_1", olds, inputs("acme", { admins: ["a@b.co"] }))).changes).toBe(true);
    expect(await diffOrganization("org_1", olds, inputs("acme-2"))).toMatchObject({ changes: true, replaces: ["tenantId"] });
  });

  it("update changes display name, metadata, members and their roles", async () => {
    const { id, outs } = await createOrganization(inputs("globex", { admins: ["a@globex.com", "b@globex.com"], roles: ["tenant-member", "billing-viewer"] }));
    expect(await members(id)).toEqual({ "a@globex.com": ["billing-viewer", "tenant-admin", "tenant-member"], "b@globex.com": ["billing-viewer", "tenant-admin", "tenant-member"] });
    const next = inputs("globex", { displayName: "Globex / Research", metadata: { plan: "enterprise", status: "suspended", cell: "eu-1" }, admins: ["b@globex.com", "c@globex.com"], roles: ["tenant-member"] });
    const updated = await updateOrganization(id, outs as OrganizationOutputs, next);
    const [org] = await organizations("globex");
    expect(org).toMatchObject({ display_name: "Globex / Research", metadata: { plan: "enterprise", status: "suspended", roles: "tenant-member" } });
    expect(await members(id)).toEqual({ "b@globex.com": ["tenant-admin", "tenant-member"], "c@globex.com": ["tenant-admin", "tenant-member"] });
    expect(Object.keys(updated.outs.members).sort()).toEqual(["b@globex.com", "c@globex.com"]);
  });

  it("delete removes the organization and its memberships, keeps the users, and is idempotent", async () => {
    const { id, outs } = await createOrganization(inputs("initech"));
    expect((await ah.data.userOrganizations.list(ah.controlPlaneTenantId, { q: `organization_id:${id}` })).userOrganizations).toHaveLength(1);
    await deleteOrganization(id, outs as OrganizationOutputs);
    expect(await organizations("initech")).toEqual([]);
    const { userOrganizations } = await ah.data.userOrganizations.list(ah.controlPlaneTenantId, { q: `organization_id:${id}` });
    expect(userOrganizations).toEqual([]);
    const users = await client().request<unknown[]>(ah.controlPlaneTenantId, "find", "GET", `/users-by-email?email=${encodeURIComponent("ops@initech.example.com")}`);
    expect(users).toHaveLength(1);
    await deleteOrganization(id, outs as OrganizationOutputs);
  });

  it("rejects bad input before touching the server and names a missing role", async () => {
    await expect(createOrganization(inputs("bad-input", { admins: ["not-an-email"] }))).rejects.toThrow(/admins must be e-mail addresses, got "not-an-email"/);
    await expect(createOrganization(inputs("bad-input", { displayName: " " }))).rejects.toThrow(/displayName must not be empty/);
    expect(await organizations("bad-input")).toEqual([]);
    await expect(createOrganization(inputs("no-role", { roles: ["ghost"] }))).rejects.toThrow(/role\(s\) ghost do not exist on the control plane/);
    expect(await organizations("no-role")).toEqual([]);
  });
});
