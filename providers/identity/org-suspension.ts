// Suspension's door on the control plane: the organization's logins. AuthHero 9.6.1 issues a token
// for an organization only to its members ("User is not a member of the specified organization",
// checked on every grant that names one: authorization code, refresh token, token exchange), so a
// suspended tenant's organization keeps no member: each is removed, with the roles held in it
// recorded in the Organization's state, and resuming gives exactly those memberships and roles back.
// Blocking the users instead would lock them out of every other organization they belong to.
import type { ManagementClient } from "./client";

/** User id -> ids of the roles the user held in the organization when it was closed. */
export type ClosedMembers = Record<string, string[]>;

interface Member {
  user_id: string;
  roles?: { id: string }[];
}

/**
 * Removes every member of the organization, adding them (and their roles) to `closed`, what an
 * earlier suspension recorded. Idempotent: a closed organization has no member to remove.
 */
export async function closeOrganization(client: ManagementClient, orgPath: string, name: string, closed: ClosedMembers = {}): Promise<ClosedMembers> {
  const tenant = client.controlPlaneTenantId;
  return client.converge(tenant, `suspend the members of organization ${name}`, async () => {
    const members = await client.listAll<Member>(tenant, `list members of organization ${name}`, `${orgPath}/members`);
    const record: ClosedMembers = { ...closed };
    for (const m of members) record[m.user_id] = [...new Set([...(record[m.user_id] ?? []), ...(m.roles ?? []).map((r) => r.id)])].sort();
    if (members.length > 0) {
      // Recorded before removed: the caller stores `record`; a rerun after a lost answer finds none left and keeps it.
      await client.request(tenant, `remove the members of organization ${name} (suspended)`, "DELETE", `${orgPath}/members`, { body: { members: members.map((m) => m.user_id) }, idempotent: false });
    }
    return record;
  });
}

/** Gives back every membership and role `closed` recorded; what is there already is left as it is. */
export async function reopenOrganization(client: ManagementClient, orgPath: string, name: string, closed: ClosedMembers): Promise<void> {
  const tenant = client.controlPlaneTenantId;
  const userIds = Object.keys(closed);
  if (userIds.length === 0) return;
  await client.converge(tenant, `resume the members of organization ${name}`, async () => {
    const current = new Map(
      (await client.listAll<Member>(tenant, `list members of organization ${name}`, `${orgPath}/members`)).map((m) => [m.user_id, new Set((m.roles ?? []).map((r) => r.id))]),
    );
    const joining = userIds.filter((id) => !current.has(id));
    if (joining.length > 0) await client.request(tenant, `give the members of organization ${name} back (resumed)`, "POST", `${orgPath}/members`, { body: { members: joining }, idempotent: false });
    await client.map(userIds, async (userId) => {
      const give = closed[userId].filter((role) => !current.get(userId)?.has(role));
      if (give.length > 0) {
        await client.request(tenant, `give ${userId} back the roles held in organization ${name}`, "POST", `${orgPath}/members/${encodeURIComponent(userId)}/roles`, { body: { roles: give }, idempotent: false });
      }
    });
  });
}
