// The control plane's entity set (tenants/_control-plane.yaml: resource servers with scopes, roles
// with permissions) inside one identity tenant: brought to the declared set, read back, removed.
// Only objects carrying the tenancy marker are ever changed or removed; an object the tenant made
// itself under a declared name stops the sync with an error instead of being taken over.
import type { ControlPlane } from "../../lib/catalog/schema";
import type { ManagementClient } from "./client";
import { isManaged, MANAGED_METADATA } from "./managed";

/** Ids in one identity tenant: resource server identifier -> id, role name -> id. */
export interface EntityIds {
  resourceServers: Record<string, string>;
  roles: Record<string, string>;
}

interface ResourceServer {
  id: string;
  identifier: string;
  name: string;
  scopes?: { value: string; description?: string }[];
  metadata?: unknown;
}
interface Role {
  id: string;
  name: string;
  description?: string;
  metadata?: unknown;
}
interface Permission {
  resource_server_identifier: string;
  permission_name: string;
}

const scopesKey = (scopes: { value: string; description?: string }[] | undefined) =>
  JSON.stringify((scopes ?? []).map((s) => [s.value, s.description ?? ""]).sort());
const permissionKey = (p: Permission) => `${p.resource_server_identifier}\u0000${p.permission_name}`;

/** Desired permissions of a role, as the API names them. */
export function rolePermissions(role: ControlPlane["roles"][number]): Permission[] {
  return role.permissions.flatMap((p) => p.scopes.map((scope) => ({ resource_server_identifier: p.resource_server, permission_name: scope })));
}

/**
 * Brings one identity tenant to the declared entity set. Declared names held by objects the tenant
 * made itself are reported all at once before anything changes.
 */
export async function syncEntities(client: ManagementClient, tenant: string, entities: ControlPlane): Promise<EntityIds> {
  const listServers = () => client.listAll<ResourceServer>(tenant, "list resource servers", "/resource-servers");
  const listRoles = () => client.listAll<Role>(tenant, "list roles", "/roles");
  const [servers, roles] = await Promise.all([listServers(), listRoles()]);
  const serverBy = new Map(servers.map((s) => [s.identifier, s]));
  const roleBy = new Map(roles.map((r) => [r.name, r]));

  const taken = [
    ...entities.resource_servers.filter((d) => serverBy.has(d.identifier) && !isManaged(serverBy.get(d.identifier)!)).map((d) => `resource server ${d.identifier}`),
    ...entities.roles.filter((d) => roleBy.has(d.name) && !isManaged(roleBy.get(d.name)!)).map((d) => `role ${d.name}`),
  ];
  if (taken.length > 0) {
    throw new Error(
      `identity tenant "${tenant}": ${taken.join(", ")} already exist(s) but were created by the tenant, not by tenancy; ` +
        `tenancy never changes those: rename or remove them in the tenant, or rename the entity in _control-plane.yaml`,
    );
  }

  const serverIds = await client.map(entities.resource_servers, async (desired) => {
    const body = { name: desired.name, scopes: desired.scopes.map((s) => ({ value: s.value, description: s.description })), metadata: MANAGED_METADATA };
    const existing = serverBy.get(desired.identifier);
    if (existing) {
      if (existing.name !== desired.name || scopesKey(existing.scopes) !== scopesKey(desired.scopes)) {
        await client.request(tenant, `update resource server ${desired.identifier}`, "PATCH", `/resource-servers/${encodeURIComponent(existing.id)}`, { body });
      }
      return [desired.identifier, existing.id] as const;
    }
    const { value } = await client.ensure(
      tenant,
      `create resource server ${desired.identifier}`,
      async () => (await listServers()).find((s) => s.identifier === desired.identifier),
      () => client.request<ResourceServer>(tenant, `create resource server ${desired.identifier}`, "POST", "/resource-servers", { body: { ...body, identifier: desired.identifier }, idempotent: false }),
      { knownAbsent: true },
    );
    return [desired.identifier, value.id] as const;
  });

  const roleIds = await client.map(entities.roles, async (desired) => {
    const existing = roleBy.get(desired.name);
    let id: string;
    if (existing) {
      id = existing.id;
      if ((existing.description ?? "") !== desired.description) {
        await client.request(tenant, `update role ${desired.name}`, "PATCH", `/roles/${encodeURIComponent(id)}`, { body: { description: desired.description, metadata: MANAGED_METADATA } });
      }
    } else {
      const { value } = await client.ensure(
        tenant,
        `create role ${desired.name}`,
        async () => (await listRoles()).find((r) => r.name === desired.name),
        () => client.request<Role>(tenant, `create role ${desired.name}`, "POST", "/roles", { body: { name: desired.name, description: desired.description, metadata: MANAGED_METADATA }, idempotent: false }),
        { knownAbsent: true },
      );
      id = value.id;
    }
    await syncRolePermissions(client, tenant, desired.name, id, rolePermissions(desired));
    return [desired.name, id] as const;
  });

  const declaredRoles = new Set(entities.roles.map((r) => r.name));
  const declaredServers = new Set(entities.resource_servers.map((s) => s.identifier));
  await client.map(roles.filter((r) => isManaged(r) && !declaredRoles.has(r.name)), (r) =>
    client.request(tenant, `remove role ${r.name}`, "DELETE", `/roles/${encodeURIComponent(r.id)}`, { allowNotFound: true }),
  );
  await client.map(servers.filter((s) => isManaged(s) && !declaredServers.has(s.identifier)), (s) =>
    client.request(tenant, `remove resource server ${s.identifier}`, "DELETE", `/resource-servers/${encodeURIComponent(s.id)}`, { allowNotFound: true }),
  );
  return { resourceServers: Object.fromEntries(serverIds), roles: Object.fromEntries(roleIds) };
}

async function syncRolePermissions(client: ManagementClient, tenant: string, roleName: string, roleId: string, desired: Permission[]): Promise<void> {
  const operation = `set permissions of role ${roleName}`;
  const path = `/roles/${encodeURIComponent(roleId)}/permissions`;
  // Removing a permission the role no longer has answers 500, so a removal whose answer was lost is re-read, not resent.
  await client.converge(tenant, operation, async () => {
    const current = await client.listAll<Permission>(tenant, `read permissions of role ${roleName}`, path);
    const have = new Set(current.map(permissionKey));
    const want = new Set(desired.map(permissionKey));
    const missing = desired.filter((p) => !have.has(permissionKey(p)));
    const extra = current.filter((p) => !want.has(permissionKey(p))).map((p) => ({ resource_server_identifier: p.resource_server_identifier, permission_name: p.permission_name }));
    if (missing.length > 0) await client.request(tenant, operation, "POST", path, { body: { permissions: missing }, idempotent: false });
    if (extra.length > 0) await client.request(tenant, operation, "DELETE", path, { body: { permissions: extra }, idempotent: false });
  });
}

/** Removes every tenancy-managed role and resource server from one identity tenant; the tenant's own are left alone. */
export async function removeManagedEntities(client: ManagementClient, tenant: string): Promise<void> {
  const [servers, roles] = await Promise.all([
    client.listAll<ResourceServer>(tenant, "list resource servers", "/resource-servers"),
    client.listAll<Role>(tenant, "list roles", "/roles"),
  ]);
  await client.map(roles.filter(isManaged), (r) => client.request(tenant, `remove role ${r.name}`, "DELETE", `/roles/${encodeURIComponent(r.id)}`, { allowNotFound: true }));
  await client.map(servers.filter(isManaged), (s) =>
    client.request(tenant, `remove resource server ${s.identifier}`, "DELETE", `/resource-servers/${encodeURIComponent(s.id)}`, { allowNotFound: true }),
  );
}

/** The same entity set whatever the order of its lists and however absent descriptions are spelt. */
export function normalizedEntities(entities: ControlPlane): string {
  const servers = entities.resource_servers
    .map((s) => [s.identifier, s.name, s.scopes.map((x) => [x.value, x.description ?? ""]).sort()] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const roles = entities.roles
    .map((r) => [r.name, r.description ?? "", rolePermissions(r).map(permissionKey).sort()] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : 1));
  return JSON.stringify({ servers, roles });
}

/** The managed resource servers and roles (with permissions) of one identity tenant, as an entity set, and their ids. */
export async function readManagedEntities(client: ManagementClient, tenant: string): Promise<{ entities: ControlPlane } & EntityIds> {
  const [servers, roles] = await Promise.all([
    client.listAll<ResourceServer>(tenant, "list resource servers", "/resource-servers"),
    client.listAll<Role>(tenant, "list roles", "/roles"),
  ]);
  const managedServers = servers.filter(isManaged);
  const managedRoles = roles.filter(isManaged);
  const permissions = await client.map(managedRoles, (r) =>
    client.listAll<Permission>(tenant, `read permissions of role ${r.name}`, `/roles/${encodeURIComponent(r.id)}/permissions`),
  );
  const entities: ControlPlane = {
    resource_servers: managedServers.map((s) => ({
      identifier: s.identifier,
      name: s.name,
      scopes: (s.scopes ?? []).map((x) => ({ value: x.value, description: x.description ?? "" })),
    })),
    roles: managedRoles.map((r, i) => {
      const byServer = new Map<string, string[]>();
      for (const p of permissions[i]) byServer.set(p.resource_server_identifier, [...(byServer.get(p.resource_server_identifier) ?? []), p.permission_name]);
      return { name: r.name, description: r.description ?? "", permissions: [...byServer].map(([resource_server, scopes]) => ({ resource_server, scopes })) };
    }),
  };
  return {
    entities,
    resourceServers: Object.fromEntries(managedServers.map((s) => [s.identifier, s.id])),
    roles: Object.fromEntries(managedRoles.map((r) => [r.name, r.id])),
  };
}
