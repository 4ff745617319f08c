// Organization: one per tenant on the control-plane tenant, named by the tenant id. Auth0-style
// organizations hold no roles of their own, so the roles a tenant is granted (the catalog's
// default_roles plus the tenant's access.roles) are given to its members, recorded in metadata
// (`roles`), and the admins additionally get access.admin_role. Admins are users of the control-plane
// tenant (looked up by e-mail, created without a password when missing: they sign in through a
// password reset or a social connection); deleting the organization removes memberships, never users,
// since one person may administer several tenants.
import { isEmail, isTenantId } from "../../lib/catalog/formats";
import { naming } from "../../lib/naming";
import { defineProvider, type CheckFailure } from "../kit";
import type { ClientOptions, ManagementClient } from "./client";
import { clientFor, CONNECTION_PLACE_KEY, CONNECTION_UPDATE_KEYS, connectionFailures, PASSWORD_CONNECTION, identityTenantFailures, requireIdentityTenant, type ConnectionInput } from "./managed";
import { closeOrganization, mergeClosed, recordedMembers, reopenOrganization, SUSPENDED_MEMBERS_KEY, type ClosedMembers } from "./org-suspension";

export interface OrganizationInputs {
  connection: ConnectionInput;
  tenantId: string;
  /** Shown to users; the component decides it (a child tenant's includes its parent's). */
  displayName: string;
  metadata: { plan: string; status: string; cell: string };
  /** Roles every member of this organization holds: default_roles plus the tenant's access.roles. */
  roles: string[];
  /** access.admin_role from _defaults.yaml. */
  adminRole: string;
  /** E-mail addresses of the tenant's admins. */
  admins: string[];
  /** An adopted organization's own name (`adopt.organization`); absent: the tenant id. */
  adoptedName?: string;
}

export interface OrganizationOutputs extends OrganizationInputs {
  organizationId: string;
  name: string;
  /** Admin e-mail -> user id on the control-plane tenant, as made members by this resource. */
  members: Record<string, string>;
  /** While suspended: the members taken out of the organization, with their roles, to give back on resume. */
  suspendedMembers?: ClosedMembers;
}

interface Organization {
  id: string;
  name: string;
  display_name?: string;
  metadata?: Record<string, unknown>;
}
interface User {
  user_id: string;
  email?: string;
}
interface Member extends User {
  roles?: Role[];
}
interface Role {
  id: string;
  name: string;
}

/** The inputs a plan could get wrong, each with what is expected. */
export function organizationProblems(inputs: Partial<OrganizationInputs>): CheckFailure[] {
  const failures = connectionFailures(inputs.connection);
  const fail = (property: string, reason: string) => failures.push({ property, reason });
  if (typeof inputs.tenantId !== "string" || !isTenantId(inputs.tenantId)) fail("tenantId", `tenantId ${JSON.stringify(inputs.tenantId)} is not a tenant id`);
  if (typeof inputs.displayName !== "string" || !inputs.displayName.trim()) fail("displayName", "displayName must not be empty");
  if (inputs.adoptedName !== undefined && (typeof inputs.adoptedName !== "string" || !/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/.test(inputs.adoptedName))) {
    fail("adoptedName", `adoptedName must be an organization name (lowercase letters, digits, hyphens), got ${JSON.stringify(inputs.adoptedName)}`);
  }
  if (!inputs.adminRole) fail("adminRole", "adminRole is required (access.admin_role in _defaults.yaml)");
  if (!Array.isArray(inputs.roles)) fail("roles", "roles must be the list of roles every member holds");
  const meta = inputs.metadata;
  if (!meta || [meta.plan, meta.status, meta.cell].some((v) => typeof v !== "string")) fail("metadata", "metadata must hold plan, status and cell");
  const bad = Array.isArray(inputs.admins) ? inputs.admins.filter((e) => !isEmail(e)) : [];
  if (!Array.isArray(inputs.admins)) fail("admins", "admins must be a list of e-mail addresses");
  else if (bad.length > 0) fail("admins", `admins must be e-mail addresses, got ${bad.map((e) => JSON.stringify(e)).join(", ")}`);
  return failures;
}

export function organizationMetadata(inputs: OrganizationInputs): Record<string, string> {
  return { plan: inputs.metadata.plan, status: inputs.metadata.status, cell: inputs.metadata.cell, roles: [...inputs.roles].sort().join(",") };
}

/** Roles of every admin: the admin role plus the organization's roles, without duplicates. */
export function adminRoles(inputs: Pick<OrganizationInputs, "adminRole" | "roles">): string[] {
  return [...new Set([inputs.adminRole, ...inputs.roles])].sort();
}

export async function findOrganization(client: ManagementClient, name: string): Promise<Organization | undefined> {
  const tenant = client.controlPlaneTenantId;
  const found = await client.listAll<Organization>(tenant, `find organization ${name}`, `/organizations?q=${encodeURIComponent(name)}`);
  return found.find((o) => o.name === name);
}

export async function ensureUser(client: ManagementClient, email: string): Promise<string> {
  const tenant = client.controlPlaneTenantId;
  const find = async () => {
    const users = await client.request<User[]>(tenant, `find user ${email}`, "GET", `/users-by-email?email=${encodeURIComponent(email)}`);
    return users.find((u) => u.email?.toLowerCase() === email.toLowerCase());
  };
  const { value } = await client.ensure(tenant, `create user ${email}`, find, () =>
    client.request<User>(tenant, `create user ${email}`, "POST", "/users", { body: { email, connection: PASSWORD_CONNECTION, email_verified: false }, idempotent: false }),
  );
  return value.user_id;
}

export async function roleIds(client: ManagementClient, names: string[]): Promise<string[]> {
  const tenant = client.controlPlaneTenantId;
  const roles = await client.listAll<Role>(tenant, "list roles", "/roles");
  const byName = new Map(roles.map((r) => [r.name, r.id]));
  const missing = names.filter((n) => !byName.has(n));
  if (missing.length > 0) {
    throw new Error(`identity tenant "${tenant}": role(s) ${missing.join(", ")} do not exist on the control plane; declare them in _control-plane.yaml (EntitySync creates them)`);
  }
  return names.map((n) => byName.get(n)!);
}

async function apply(inputs: OrganizationInputs, options: ClientOptions | undefined, previous?: OrganizationOutputs): Promise<OrganizationOutputs> {
  const client = clientFor(inputs.connection, options);
  const tenant = client.controlPlaneTenantId;
  // An adopted organization is found by its own name, and kept: `ensure` finds it before it would create one.
  const name = naming.organization(inputs.tenantId, inputs.adoptedName);
  // First: a tenant whose identity tenant was never created gets nothing of it on the control plane either.
  await requireIdentityTenant(client, naming.identityTenant(inputs.tenantId), inputs.connection.url);
  const metadata = organizationMetadata(inputs);
  const body = { display_name: inputs.displayName, metadata };
  // Roles first: a missing role is reported before anything is created.
  const wanted = adminRoles(inputs);
  const ids = await roleIds(client, wanted);

  const { value: org, created } = await client.ensure(tenant, `create organization ${name}`, () => findOrganization(client, name), () =>
    client.request<Organization>(tenant, `create organization ${name}`, "POST", "/organizations", { body: { name, ...body }, idempotent: false }),
  );
  const orgPath = `/organizations/${encodeURIComponent(org.id)}`;
  // Who a suspension took out: the state's record and the organization's own (a run that died after
  // removing members saved no state, org-suspension.ts). Kept in the metadata until given back.
  const closed = mergeClosed(previous?.suspendedMembers, recordedMembers(org.metadata));
  const kept: Record<string, string> = Object.keys(closed).length > 0 ? { [SUSPENDED_MEMBERS_KEY]: JSON.stringify(closed) } : {};
  const differs = (wanted: Record<string, string>) => org.display_name !== inputs.displayName || JSON.stringify(org.metadata ?? {}) !== JSON.stringify(wanted);
  if (!created && differs({ ...metadata, ...kept })) {
    await client.request(tenant, `update organization ${name}`, "PATCH", orgPath, { body: { ...body, metadata: { ...metadata, ...kept } } });
  }
  // Suspended: no member, so no login through the organization (org-suspension.ts); resumed: the
  // memberships taken away come back before the admins are brought to what the catalog says.
  if (inputs.metadata.status === "suspended") {
    const suspendedMembers = await closeOrganization(client, orgPath, name, closed, metadata);
    return { ...inputs, organizationId: org.id, name, members: previous?.members ?? {}, suspendedMembers };
  }
  if (Object.keys(closed).length > 0) {
    await reopenOrganization(client, orgPath, name, closed);
    // Every member is back: the record leaves the metadata.
    await client.request(tenant, `update organization ${name}`, "PATCH", orgPath, { body });
  }

  const members = Object.fromEntries(await client.map(inputs.admins, async (email) => [email, await ensureUser(client, email)] as const));
  const userIds = Object.values(members);
  // Only what this resource granted before is taken back; members and roles added some other way stay.
  const dropped = previous ? Object.entries(previous.members).filter(([email]) => !(email in members)).map(([, id]) => id) : [];
  const revoked = previous ? adminRoles(previous).filter((r) => !wanted.includes(r)) : [];
  const revokedIds = revoked.length > 0 ? await existingRoleIds(client, revoked) : [];

  // Read, then write only the difference: a write whose answer was lost is followed by a fresh read,
  // never resent (adding a member twice answers 409, removing a missing role 500).
  await client.converge(tenant, `set members of organization ${name}`, async () => {
    const current = new Map(
      (await client.listAll<Member>(tenant, `list members of organization ${name}`, `${orgPath}/members`)).map((m) => [m.user_id, new Set((m.roles ?? []).map((r) => r.id))]),
    );
    const joining = userIds.filter((id) => !current.has(id));
    if (joining.length > 0) await client.request(tenant, `add members to organization ${name}`, "POST", `${orgPath}/members`, { body: { members: joining }, idempotent: false });
    const leaving = dropped.filter((id) => current.has(id));
    if (leaving.length > 0) await client.request(tenant, `remove members from organization ${name}`, "DELETE", `${orgPath}/members`, { body: { members: leaving }, idempotent: false });
    await client.map(userIds, async (userId) => {
      const has = current.get(userId) ?? new Set<string>();
      const rolesPath = `${orgPath}/members/${encodeURIComponent(userId)}/roles`;
      const give = ids.filter((id) => !has.has(id));
      const take = revokedIds.filter((id) => has.has(id));
      if (give.length > 0) await client.request(tenant, `give roles ${wanted.join(", ")} to ${userId} in organization ${name}`, "POST", rolesPath, { body: { roles: give }, idempotent: false });
      if (take.length > 0) await client.request(tenant, `take roles ${revoked.join(", ")} from ${userId} in organization ${name}`, "DELETE", rolesPath, { body: { roles: take }, idempotent: false });
    });
  });

  return { ...inputs, organizationId: org.id, name, members };
}

/** Ids of the roles that still exist (a role removed from the catalog is already gone with its grants). */
async function existingRoleIds(client: ManagementClient, names: string[]): Promise<string[]> {
  const roles = await client.listAll<Role>(client.controlPlaneTenantId, "list roles", "/roles");
  return roles.filter((r) => names.includes(r.name)).map((r) => r.id);
}

/** Members of the organization with the names of the roles they hold there. */
async function memberRoles(client: ManagementClient, orgPath: string, name: string): Promise<Map<string, Set<string>>> {
  const members = await client.listAll<Member>(client.controlPlaneTenantId, `list members of organization ${name}`, `${orgPath}/members`);
  return new Map(members.map((m) => [m.user_id, new Set((m.roles ?? []).map((r) => r.name))]));
}

export const organization = defineProvider<OrganizationInputs, OrganizationOutputs, ClientOptions>({
  kind: "Organization",
  // The organizations live on the control-plane tenant: another one is another place.
  keys: {
    place: ["tenantId", CONNECTION_PLACE_KEY, "adoptedName"],
    update: [...CONNECTION_UPDATE_KEYS, "displayName", "metadata", "roles", "adminRole", "admins"],
    unordered: ["roles", "admins"],
  },
  check: organizationProblems,
  // The first identity resource of a tenant: its preview says when the identity tenant record is missing.
  checkNew: (inputs) => identityTenantFailures(inputs.connection, naming.identityTenant(inputs.tenantId)),
  async create(inputs, options) {
    const outs = await apply(inputs, options);
    return { id: outs.organizationId, outs };
  },
  /**
   * The organization as it is: its display name and metadata, and the admins this resource made
   * members that still are, holding every role they should (one who lost a role or left shows as
   * drift, which the next up repairs). Members added some other way are not this resource's. An
   * empty id when the organization is gone.
   */
  async read(id, props, options) {
    const client = clientFor(props.connection, options);
    const path = `/organizations/${encodeURIComponent(id)}`;
    const org = await client.request<Organization | undefined>(client.controlPlaneTenantId, `read organization ${props.name}`, "GET", path, { allowNotFound: true });
    if (!org) return { id: "", props };
    const held = await memberRoles(client, path, props.name);
    const wanted = adminRoles(props);
    const members = Object.fromEntries(Object.entries(props.members).filter(([, userId]) => held.has(userId)));
    const admins = props.admins.filter((email) => email in members && wanted.every((r) => held.get(members[email])!.has(r)));
    const meta = (org.metadata ?? {}) as Record<string, unknown>;
    const metadata = { plan: String(meta.plan ?? ""), status: String(meta.status ?? ""), cell: String(meta.cell ?? "") };
    // A suspension's record in the organization survives a run that saved no state: read back here.
    const closed = mergeClosed(props.suspendedMembers, recordedMembers(meta));
    return { id, props: { ...props, displayName: org.display_name ?? "", metadata, admins, members, ...(Object.keys(closed).length > 0 ? { suspendedMembers: closed } : {}) } };
  },
  update: async (_id, olds, news, options) => ({ outs: await apply(news, options, olds) }),
  async delete(id, props, options) {
    const client = clientFor(props.connection, options);
    const tenant = client.controlPlaneTenantId;
    const path = `/organizations/${encodeURIComponent(id)}`;
    const members = await client.listAll<User>(tenant, `list members of organization ${props.name}`, `${path}/members`).catch((error) => {
      if ((error as { status?: number }).status === 404) return [];
      throw error;
    });
    if (members.length > 0) {
      await client.request(tenant, `remove members from organization ${props.name}`, "DELETE", `${path}/members`, { body: { members: members.map((m) => m.user_id) }, allowNotFound: true });
    }
    await client.request(tenant, `delete organization ${props.name}`, "DELETE", path, { allowNotFound: true });
  },
});
