// The identity side of a backup: the tenant's organization on the control plane (display name,
// metadata, every member by e-mail with the roles held there) and the control plane's entities as
// its identity tenant holds them. Read through the Management API; no secret is ever read (no client
// secret, no password hash, no token). A restore gives the members back to the organization the
// next `pulumi up` made: users are matched by e-mail, roles by name, since ids differ between servers.
// A suspended organization has no member (providers/identity/org-suspension.ts): the members the
// Organization resource recorded when it closed it are handed in and kept here, marked `suspended`,
// so a restore gives them back too. An adopted organization keeps its own name (`adopt.organization`):
// the caller names it, from the tenant file or the backup's configuration (organizationName).
import { naming } from "../../lib/naming";
import type { ControlPlane } from "../../lib/catalog/schema";
import type { ClientOptions, ManagementClient, ManagementConnection } from "../identity/client";
import { readManagedEntities } from "../identity/entities";
import { clientFor } from "../identity/managed";
import { ensureUser, findOrganization, roleIds } from "../identity/organization";
import { mergeClosed, recordedMembers, type ClosedMembers } from "../identity/org-suspension";

export interface IdentitySnapshot {
  /** The organization on the control-plane tenant; null when there is none. */
  organization: { name: string; display_name: string; metadata: Record<string, unknown> } | null;
  /**
   * Its members, by e-mail, with the names of the roles they hold in it; sorted. `suspended`: taken
   * out of the organization by a suspension (recorded in the Organization's state), a member again on resume.
   */
  members: { email: string; roles: string[]; suspended?: true }[];
  /** The managed resource servers and roles of the tenant's identity tenant; null when that tenant is gone. */
  entities: ControlPlane | null;
}

interface Member {
  user_id: string;
  email?: string;
  roles?: { id: string; name: string }[];
}

/** Where to read a tenant's organization: its adopted name, and the members a suspension took out of it. */
export interface OrganizationSource {
  /** `adopt.organization`; absent: the tenant id. */
  organization?: string;
  /** The Organization resource's `suspendedMembers` (user id -> role ids). */
  suspendedMembers?: ClosedMembers;
}

/**
 * The organization name of a tenant as its backup's configuration part (lib/lifecycle/places.ts
 * backupConfiguration: `{ tenant: <the tenant file> }`) records it: its `adopt.organization`, else the id.
 */
export function organizationName(tenantId: string, configuration?: Record<string, unknown>): string {
  const tenant = configuration?.tenant as { adopt?: { organization?: unknown } } | undefined;
  const adopted = tenant?.adopt?.organization;
  return naming.organization(tenantId, typeof adopted === "string" ? adopted : undefined);
}

const byEmail = (a: { email: string }, b: { email: string }) => (a.email < b.email ? -1 : a.email > b.email ? 1 : 0);

/**
 * The members a suspension took out, by e-mail and role name. A user deleted since, or a role, is
 * left out: neither can be given back (and the control plane has nothing of them to keep).
 */
async function suspendedMembersOf(client: ManagementClient, closed: ClosedMembers, name: string): Promise<IdentitySnapshot["members"]> {
  const tenant = client.controlPlaneTenantId;
  if (Object.keys(closed).length === 0) return [];
  const roles = new Map((await client.listAll<{ id: string; name: string }>(tenant, "list roles", "/roles")).map((r) => [r.id, r.name]));
  const described = await client.map(Object.entries(closed), async ([userId, roleIds]) => {
    const user = await client.request<{ email?: string } | undefined>(tenant, `read user ${userId} (suspended member of organization ${name})`, "GET", `/users/${encodeURIComponent(userId)}`, {
      allowNotFound: true,
    });
    if (!user?.email) return undefined;
    const names = roleIds.map((id) => roles.get(id)).filter((r): r is string => r !== undefined);
    return { email: user.email.toLowerCase(), roles: [...new Set(names)].sort(), suspended: true as const };
  });
  return described.filter((m) => m !== undefined);
}

/** The organization's members with their e-mail and role names. */
async function membersOf(client: ManagementClient, orgId: string, name: string): Promise<IdentitySnapshot["members"]> {
  const tenant = client.controlPlaneTenantId;
  const path = `/organizations/${encodeURIComponent(orgId)}/members`;
  const members = await client.listAll<Member>(tenant, `list members of organization ${name}`, path);
  const described = await client.map(members, async (m) => {
    const email = m.email ?? (await client.request<{ email?: string }>(tenant, `read user ${m.user_id}`, "GET", `/users/${encodeURIComponent(m.user_id)}`)).email;
    const roles = m.roles ?? (await client.listAll<{ name: string }>(tenant, `list roles of ${m.user_id} in organization ${name}`, `${path}/${encodeURIComponent(m.user_id)}/roles`));
    return { email: (email ?? m.user_id).toLowerCase(), roles: roles.map((r) => r.name).sort() };
  });
  return described.sort(byEmail);
}

/** What the control plane holds of tenant `tenantId`, with the members its suspension took out. */
export async function readIdentity(connection: ManagementConnection, tenantId: string, options?: ClientOptions, from: OrganizationSource = {}): Promise<IdentitySnapshot> {
  const client = clientFor(connection, options);
  const name = naming.organization(tenantId, from.organization);
  const identityTenant = naming.identityTenant(tenantId);
  const [org, entities] = await Promise.all([
    findOrganization(client, name),
    client.tenantExists(identityTenant).then((exists) => (exists ? readManagedEntities(client, identityTenant).then((e) => e.entities) : null)),
  ]);
  if (!org) return { organization: null, members: [], entities };
  const current = await membersOf(client, org.id, name);
  // One who is a member again (added some other way while suspended) is listed once, as a member.
  // The state's record and the organization's own (org-suspension.ts): either alone may be all there is.
  const closed = mergeClosed(from.suspendedMembers, recordedMembers(org.metadata));
  const suspended = (await suspendedMembersOf(client, closed, name)).filter((s) => !current.some((m) => m.email === s.email));
  return {
    organization: { name: org.name, display_name: org.display_name ?? "", metadata: (org.metadata ?? {}) as Record<string, unknown> },
    members: [...current, ...suspended].sort(byEmail),
    entities,
  };
}

/**
 * Gives the backup's members (suspended ones too) back to tenant `tenantId`'s organization (named
 * `organization` when adopted), each with the roles they held: users of the control plane found by
 * e-mail (created without a password when missing, as the Organization resource creates admins).
 * Adds only; what the organization holds besides stays. Never into a suspended organization: a member
 * there could log in, which the suspension exists to prevent; resume the tenant first.
 */
export async function restoreMembers(
  connection: ManagementConnection,
  tenantId: string,
  snapshot: IdentitySnapshot,
  options?: ClientOptions,
  organization?: string,
): Promise<{ members: number }> {
  if (snapshot.members.length === 0) return { members: 0 };
  const client = clientFor(connection, options);
  const tenant = client.controlPlaneTenantId;
  const name = naming.organization(tenantId, organization);
  const org = await findOrganization(client, name);
  if (!org) throw new Error(`organization ${name} does not exist on the control plane; deploy tenant ${tenantId} (pulumi up) before restoring into it`);
  if (org.metadata?.status === "suspended") {
    throw new Error(
      `organization ${name} is suspended: its members were not given back, since any member could log in; ` +
        `set status: active in tenants/${tenantId}.yaml, deploy (pulumi up), then rerun the restore`,
    );
  }
  const path = `/organizations/${encodeURIComponent(org.id)}/members`;
  // Read, then write only the difference: adding a member twice answers 409.
  const held = new Map((await client.listAll<Member>(tenant, `list members of organization ${name}`, path)).map((m) => [m.user_id, new Set((m.roles ?? []).map((r) => r.name))]));
  await client.map(snapshot.members, async (member) => {
    const userId = await ensureUser(client, member.email);
    if (!held.has(userId)) await client.request(tenant, `add ${member.email} to organization ${name}`, "POST", path, { body: { members: [userId] }, idempotent: false });
    const missing = member.roles.filter((r) => !held.get(userId)?.has(r));
    if (missing.length > 0) {
      const roles = await roleIds(client, missing);
      await client.request(tenant, `give roles ${missing.join(", ")} to ${member.email} in organization ${name}`, "POST", `${path}/${encodeURIComponent(userId)}/roles`, { body: { roles }, idempotent: false });
    }
  });
  return { members: snapshot.members.length };
}
