// Organization against the real AuthHero server: create, diff, update, delete, crash-adopt.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ControlPlane } from "../../../lib/catalog/schema";
import { TENANT_MOVE } from "../../../providers/kit";
import { createManagementClient } from "../../../providers/identity/client";
import { syncEntities } from "../../../providers/identity/entities";
import { organization, type OrganizationInputs, type OrganizationOutputs } from "../../../providers/identity/organization";
import { SUSPENDED_MEMBERS_KEY } from "../../../providers/identity/org-suspension";
import { startAuthHero, type AuthHeroServer } from "../../harness/authhero";

const ENTITIES: ControlPlane = {
  resource_servers: [{ identifier: "https://api.example.com", name: "Example API", scopes: [{ value: "read:projects", description: "" }] }],
  roles: ["tenant-admin", "tenant-member", "billing-viewer"].map((name) => ({ name, description: name, permissions: [] })),
};

let ah: AuthHeroServer;
const connection = () => ({ url: ah.url, clientId: ah.clientId, clientSecret: ah.clientSecret, controlPlaneTenantId: ah.controlPlaneTenantId });
const client = () => createManagementClient(connection());

const fast = { retry: { baseDelayMs: 5, maxDelayMs: 20 } };

function inputs(tenantId: string, over: Partial<OrganizationInputs> = {}): OrganizationInputs {
  return {
    connection: connection(),
    tenantId,
    displayName: "Acme Corporation",
    metadata: { plan: "pro", status: "active", cell: "eu-1" },
    roles: ["tenant-member"],
    adminRole: "tenant-admin",
    admins: [`ops@${tenantId}.example.com`],
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
  // The identity tenant records, which AuthHero 9.6.1 creates only through its data adapter.
  for (const id of ["acme", "crashy", "globex", "hooli", "initech", "bad-input", "no-role", "umbrella", "umbrella-check"]) await ah.createTenant(id);
});
afterAll(async () => {
  await ah?.stop();
});

describe("Organization", () => {
  it("creates the organization named by the tenant id, with metadata and admins holding the admin and default roles", async () => {
    const { id, outs } = await organization.create(inputs("acme"), fast);
    const [org] = await organizations("acme");
    expect(org).toMatchObject({ id, display_name: "Acme Corporation", metadata: { plan: "pro", status: "active", cell: "eu-1", roles: "tenant-member" } });
    expect(await members(id)).toEqual({ "ops@acme.example.com": ["tenant-admin", "tenant-member"] });
    expect(outs.members["ops@acme.example.com"]).toMatch(/^auth0\|/);
  });

  it("a create repeated after a crash adopts the organization and the user instead of duplicating them", async () => {
    const first = await organization.create(inputs("crashy"), fast);
    const second = await organization.create(inputs("crashy"), fast);
    expect(second.id).toBe(first.id);
    expect(await organizations("crashy")).toHaveLength(1);
    const users = await client().request<unknown[]>(ah.controlPlaneTenantId, "find", "GET", `/users-by-email?email=${encodeURIComponent("ops@crashy.example.com")}`);
    expect(users).toHaveLength(1);
  });

  it("diff sees display name, metadata, roles and admins; a new tenant id replaces", async () => {
    const olds = { ...inputs("acme"), organizationId: "org_1", name: "acme", members: {} } as OrganizationOutputs;
    expect((await organization.diff("org_1", olds, inputs("acme"))).changes).toBe(false);
    expect((await organization.diff("org_1", olds, inputs("acme", { displayName: "Acme Inc" }))).changes).toBe(true);
    expect((await organization.diff("org_1", olds, inputs("acme", { metadata: { plan: "enterprise", status: "active", cell: "eu-1" } }))).changes).toBe(true);
    expect((await organization.diff("org_1", olds, inputs("acme", { admins: ["a@b.co"] }))).changes).toBe(true);
    // Another tenant id is another organization: refused as a tenant move, never a replacement.
    await expect(organization.diff("org_1", olds, inputs("acme-2"))).rejects.toThrow(`tenantId "acme" -> "acme-2"; ${TENANT_MOVE}`);
    // Role and admin lists are sets: their order is no change.
    expect((await organization.diff("org_1", { ...olds, roles: ["b", "a"] }, inputs("acme", { roles: ["a", "b"] }))).changes).toBe(false);
  });

  it("update changes display name, metadata, members and their roles", async () => {
    const { id, outs } = await organization.create(inputs("globex", { admins: ["a@globex.com", "b@globex.com"], roles: ["tenant-member", "billing-viewer"] }), fast);
    expect(await members(id)).toEqual({ "a@globex.com": ["billing-viewer", "tenant-admin", "tenant-member"], "b@globex.com": ["billing-viewer", "tenant-admin", "tenant-member"] });
    const next = inputs("globex", { displayName: "Globex / Research", metadata: { plan: "enterprise", status: "active", cell: "eu-2" }, admins: ["b@globex.com", "c@globex.com"], roles: ["tenant-member"] });
    const updated = await organization.update(id, outs, next, fast);
    const [org] = await organizations("globex");
    expect(org).toMatchObject({ display_name: "Globex / Research", metadata: { plan: "enterprise", cell: "eu-2", roles: "tenant-member" } });
    expect(await members(id)).toEqual({ "b@globex.com": ["tenant-admin", "tenant-member"], "c@globex.com": ["tenant-admin", "tenant-member"] });
    expect(Object.keys(updated.outs.members).sort()).toEqual(["b@globex.com", "c@globex.com"]);
  });

  it("read reports the organization as it is: a rename, a lost role or a removed admin by hand show, and update repairs them", async () => {
    const { id, outs } = await organization.create(inputs("hooli", { admins: ["a@hooli.com", "b@hooli.com"] }), fast);
    const fresh = await organization.read(id, outs, fast);
    expect(fresh).toEqual({ id, props: outs });
    expect((await organization.diff(id, fresh.props, inputs("hooli", { admins: ["b@hooli.com", "a@hooli.com"] }))).changes).toBe(false);

    const cp = ah.controlPlaneTenantId;
    await client().request(cp, "rename by hand", "PATCH", `/organizations/${id}`, { body: { display_name: "Hooli (renamed)" } });
    const roles = await client().listAll<{ id: string; name: string }>(cp, "list", "/roles");
    const member = roles.find((r) => r.name === "tenant-member")!.id;
    await client().request(cp, "take a role by hand", "DELETE", `/organizations/${id}/members/${outs.members["a@hooli.com"]}/roles`, { body: { roles: [member] } });
    await client().request(cp, "remove a member by hand", "DELETE", `/organizations/${id}/members`, { body: { members: [outs.members["b@hooli.com"]] } });
    const drifted = await organization.read(id, outs, fast);
    expect(drifted.props).toMatchObject({ displayName: "Hooli (renamed)", admins: [], members: { "a@hooli.com": outs.members["a@hooli.com"] } });
    expect(await organization.diff(id, drifted.props, inputs("hooli", { admins: ["a@hooli.com", "b@hooli.com"] }))).toEqual({ changes: true, replaces: [] });

    await organization.update(id, drifted.props, inputs("hooli", { admins: ["a@hooli.com", "b@hooli.com"] }), fast);
    expect(await members(id)).toEqual({ "a@hooli.com": ["tenant-admin", "tenant-member"], "b@hooli.com": ["tenant-admin", "tenant-member"] });
    expect((await organization.read(id, outs, fast)).props.displayName).toBe("Acme Corporation");

    await client().request(cp, "delete by hand", "DELETE", `/organizations/${id}`);
    expect((await organization.read(id, outs, fast)).id).toBe("");
  });

  it("delete removes the organization and its memberships, keeps the users, and is idempotent", async () => {
    const { id, outs } = await organization.create(inputs("initech"), fast);
    expect((await ah.data.userOrganizations.list(ah.controlPlaneTenantId, { q: `organization_id:${id}` })).userOrganizations).toHaveLength(1);
    await organization.delete(id, outs, fast);
    expect(await organizations("initech")).toEqual([]);
    const { userOrganizations } = await ah.data.userOrganizations.list(ah.controlPlaneTenantId, { q: `organization_id:${id}` });
    expect(userOrganizations).toEqual([]);
    const users = await client().request<unknown[]>(ah.controlPlaneTenantId, "find", "GET", `/users-by-email?email=${encodeURIComponent("ops@initech.example.com")}`);
    expect(users).toHaveLength(1);
    await organization.delete(id, outs, fast);
  });

  it("suspended, it keeps no member (no login through it); resumed, exactly those memberships and roles come back", async () => {
    const { id, outs } = await organization.create(inputs("umbrella", { admins: ["ops@umbrella.example.com", "cfo@umbrella.example.com"] }), fast);
    // A member added some other way, with a role of its own.
    const guest = await client().request<{ user_id: string }>(ah.controlPlaneTenantId, "user", "POST", "/users", { body: { email: "guest@umbrella.example.com", connection: "Username-Password-Authentication" } });
    const viewer = (await client().listAll<{ id: string; name: string }>(ah.controlPlaneTenantId, "roles", "/roles")).find((r) => r.name === "billing-viewer")!;
    await client().request(ah.controlPlaneTenantId, "add", "POST", `/organizations/${id}/members`, { body: { members: [guest.user_id] } });
    await client().request(ah.controlPlaneTenantId, "role", "POST", `/organizations/${id}/members/${guest.user_id}/roles`, { body: { roles: [viewer.id] } });
    const before = await members(id);

    const suspended = await organization.update(id, outs, inputs("umbrella", { admins: ["ops@umbrella.example.com", "cfo@umbrella.example.com"], metadata: { plan: "pro", status: "suspended", cell: "eu-1" } }), fast);
    expect(await members(id)).toEqual({});
    // AuthHero issues an organization's tokens to its members only: with none, nobody logs in through it.
    expect((await ah.data.userOrganizations.list(ah.controlPlaneTenantId, { q: `organization_id:${id}` })).userOrganizations).toEqual([]);
    expect(Object.keys(suspended.outs.suspendedMembers ?? {})).toHaveLength(3);
    // Applied again while suspended (a rerun, a new loader): still closed, the record kept.
    const again = await organization.update(id, suspended.outs, inputs("umbrella", { admins: ["ops@umbrella.example.com", "cfo@umbrella.example.com"], metadata: { plan: "pro", status: "suspended", cell: "eu-1" } }), fast);
    expect(again.outs.suspendedMembers).toEqual(suspended.outs.suspendedMembers);
    expect(await members(id)).toEqual({});

    const resumed = await organization.update(id, again.outs, inputs("umbrella", { admins: ["ops@umbrella.example.com", "cfo@umbrella.example.com"] }), fast);
    expect(await members(id)).toEqual(before);
    expect(before["guest@umbrella.example.com"]).toEqual(["billing-viewer"]);
    expect(resumed.outs.suspendedMembers).toBeUndefined();
  });

  it("a run that dies after taking the members out, before the engine saves its state, loses nobody: the organization keeps the record", async () => {
    const admins = ["ops@hooli.example.com", "cfo@hooli.example.com"];
    const { id, outs } = await organization.create(inputs("hooli", { admins }), fast);
    const before = await members(id);
    // The suspension ran, but its outputs never reached the state: the next run starts from `outs`.
    await organization.update(id, outs, inputs("hooli", { admins, metadata: { plan: "pro", status: "suspended", cell: "eu-1" } }), fast);
    expect(await members(id)).toEqual({});
    // A refresh reads the record back from the organization.
    const read = await organization.read!(id, outs, fast);
    expect(Object.keys(read.props?.suspendedMembers ?? {})).toHaveLength(2);
    // Still suspended, rerun from the stale state: still closed, the record kept.
    const again = await organization.update(id, outs, inputs("hooli", { admins, metadata: { plan: "pro", status: "suspended", cell: "eu-1" } }), fast);
    expect(Object.keys(again.outs.suspendedMembers ?? {})).toHaveLength(2);
    // Resumed from the stale state: every member and role comes back, and the record leaves the metadata.
    await organization.update(id, outs, inputs("hooli", { admins }), fast);
    expect(await members(id)).toEqual(before);
    const org = await client().request<{ metadata?: Record<string, unknown> }>(ah.controlPlaneTenantId, "read", "GET", `/organizations/${id}`);
    expect(org.metadata).not.toHaveProperty(SUSPENDED_MEMBERS_KEY);
  });

  it("refuses, first thing, a tenant whose identity tenant record does not exist, naming the step to take", async () => {
    await expect(organization.create(inputs("ghost"), fast)).rejects.toThrow(
      /identity tenant "ghost" does not exist on http:\/\/127\.0\.0\.1:\d+; nothing was changed for it\. create the tenant record "ghost" on the identity server .*data\.tenants\.create\(\{ id: "ghost"/,
    );
    expect(await organizations("ghost")).toEqual([]);
    // A preview stops there too: the check of a new organization asks the identity server, and names the step.
    const { failures } = await organization.check({}, inputs("ghost"));
    expect(failures).toEqual([{ property: "tenantId", reason: expect.stringMatching(/identity tenant "ghost" does not exist on http:\/\/127\.0\.0\.1:\d+\. create the tenant record "ghost"/) }]);
    // An organization that exists already is checked without the identity server (a running cell's preview).
    const { outs } = await organization.create(inputs("umbrella-check"), fast);
    expect((await organization.check(outs, { ...inputs("ghost-later"), connection: { ...inputs("ghost-later").connection, url: "http://127.0.0.1:9" } })).failures).toBeUndefined();
    // An unreachable control plane cannot say the record exists: the preview of a new tenant fails, naming it.
    const unreachable = await organization.check({}, { ...inputs("umbrella-check"), connection: { ...inputs("umbrella-check").connection, url: "http://127.0.0.1:9" } });
    expect(unreachable.failures?.[0]).toMatchObject({ property: "connection", reason: expect.stringMatching(/^cannot ask http:\/\/127\.0\.0\.1:9 whether identity tenant "umbrella-check" exists/) });
  });

  it("rejects bad input before touching the server and names a missing role", async () => {
    await expect(organization.create(inputs("bad-input", { admins: ["not-an-email"] }))).rejects.toThrow(/admins must be e-mail addresses, got "not-an-email"/);
    await expect(organization.create(inputs("bad-input", { displayName: " " }))).rejects.toThrow(/displayName must not be empty/);
    expect(await organizations("bad-input")).toEqual([]);
    await expect(organization.create(inputs("no-role", { roles: ["ghost"] }))).rejects.toThrow(/role\(s\) ghost do not exist on the control plane/);
    expect(await organizations("no-role")).toEqual([]);
  });
});
