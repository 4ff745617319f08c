// Suspension's door on the control plane: the organization's logins. AuthHero 9.6.1 issues a token
// for an organization only to its members ("User is not a member of the specified organization",
// checked on every grant that names one: authorization code, refresh token, token exchange), so a
// suspended tenant's organization keeps no member: each is removed, with the roles held in it
// recorded, and resuming gives exactly those memberships and roles back. Blocking the users instead
// would lock them out of every other organization they belong to.
//
// The record is written to the organization's own metadata (SUSPENDED_MEMBERS_KEY) before any
// member is removed, and kept there until every one is given back; the Organization's state holds it
// too. The state alone would not do: a `pulumi up` that dies after the removal and before the engine
// saves the outputs would lose who the members were. AuthHero takes any metadata value; Auth0 caps
// a value at 255 characters, which a record of more than a few members would pass.
import type { ManagementClient } from "./client";

/** User id -> ids of the roles the user held in the organization when it was closed. */
export type ClosedMembers = Record<string, string[]>;

/** The organization's metadata key that holds its ClosedMembers as JSON while it is suspended. */
export const SUSPENDED_MEMBERS_KEY = "tenancy_suspended_members";

/** The record in an organization's metadata; {} when there is none or it is not one. */
export function recordedMembers(metadata: Record<string, unknown> | undefined): ClosedMembers {
  const text = metadata?.[SUSPENDED_MEMBERS_KEY];
  if (typeof text !== "string") return {};
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== "object" || Array.isArray(value)) return {};
    return Object.fromEntries(Object.entries(value).filter((e): e is [string, string[]] => Array.isArray(e[1]) && e[1].every((r) => typeof r === "string")));
  } catch {
    return {};
  }
}

/** Both records in one: every member of either, with every role either holds for it. */
export function mergeClosed(...records: (ClosedMembers | undefined)[]): ClosedMembers {
  const merged: ClosedMembers = {};
  for (const record of records) for (const [user, roles] of Object.entries(record ?? {})) merged[user] = [...new Set([...(merged[user] ?? []), ...roles])].sort();
  return merged;
}

interface Member {
  user_id: string;
  roles?: { id: string }[];
}

/**
 * Removes every member of the organization, adding them (and their roles) to `closed`, what an
 * earlier suspension recorded. The whole record goes into the organization's metadata (`metadata`
 * plus SUSPENDED_MEMBERS_KEY) before anyone is removed. Idempotent: a closed organization has no
 * member to remove.
 */
export async function closeOrganization(client: ManagementClient, orgPath: string, name: string, closed: ClosedMembers, metadata: Record<string, string>): Promise<ClosedMembers> {
  const tenant = client.controlPlaneTenantId;
  return client.converge(tenant, `suspend the members of organization ${name}`, async () => {
    const members = await client.listAll<Member>(tenant, `list members of organization ${name}`, `${orgPath}/members`);
    const record: ClosedMembers = { ...closed };
    for (const m of members) record[m.user_id] = [...new Set([...(record[m.user_id] ?? []), ...(m.roles ?? []).map((r) => r.id)])].sort();
    if (members.length > 0) {
      // Recorded before removed, where a crash cannot lose it; a rerun after a lost answer finds none left and keeps it.
      await client.request(tenant, `record the members of organization ${name} (suspended)`, "PATCH", orgPath, { body: { metadata: { ...metadata, [SUSPENDED_MEMBERS_KEY]: JSON.stringify(record) } } });
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
