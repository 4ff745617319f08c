// EntitySync: the resource servers (with scopes) and roles (with permissions) of
// `tenants/_control-plane.yaml` on the control-plane tenant and, copied, in one tenant's identity
// tenant. Only objects carrying the tenancy marker are ever changed or removed; an object the tenant
// made itself under a declared name stops the sync with an error instead of being taken over.
import type * as pulumi from "@pulumi/pulumi";
import type { ControlPlane } from "../catalog/schema";
import { naming } from "../naming";
import { createManagementClient, type ClientOptions, type ManagementClient } from "./client";
import { checkConnection, connectionChanged, isManaged, MANAGED_METADATA, requireIdentityTenant, type ConnectionInput } from "./managed";

export interface EntitySyncInputs {
  connection: ConnectionInput;
  /** Catalog tenant id; the identity tenant is `naming.identityTenant(tenantId)`. */
  tenantId: string;
  entities: ControlPlane;
  /** `entityFingerprint(entities)`: a changed entity set shows as a change of this tenant in the plan. */
  fingerprint: string;
}

export interface EntitySyncOutputs extends EntitySyncInputs {
  identityTenant: string;
  /** Resource server identifier -> id in the identity tenant. */
  resourceServers: Record<string, string>;
  /** Role name -> id in the identity tenant. */
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
export async function syncEntities(client: ManagementClient, tenant: string, entities: ControlPlane): Promise<Pick<EntitySyncOutputs, "resourceServers" | "roles">> {
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

/** Client options a provider method uses; tests and the benchmark pass their own through `__clientOptions`. */
type WithClientOptions<T> = T & { __clientOptions?: ClientOptions };

async function apply(inputs: WithClientOptions<EntitySyncInputs>): Promise<EntitySyncOutputs> {
  const connection = checkConnection(inputs.connection);
  const client = createManagementClient(connection, inputs.__clientOptions);
  const identityTenant = naming.identityTenant(inputs.tenantId);
  // The copies refer to the control plane's entities by name only, so both tenants are synced at once.
  const [controlPlane, copies] = await Promise.allSettled([
    syncEntities(client, connection.controlPlaneTenantId, inputs.entities),
    requireIdentityTenant(client, identityTenant, connection.url).then(() => syncEntities(client, identityTenant, inputs.entities)),
  ]);
  // Both finish before either failure is reported, so no request is left running behind an error.
  if (controlPlane.status === "rejected") throw controlPlane.reason;
  if (copies.status === "rejected") throw copies.reason;
  const ids = copies.value;
  return { connection, tenantId: inputs.tenantId, entities: inputs.entities, fingerprint: inputs.fingerprint, identityTenant, ...ids };
}

export async function createEntitySync(inputs: WithClientOptions<EntitySyncInputs>): Promise<pulumi.dynamic.CreateResult> {
  const outs = await apply(inputs);
  return { id: outs.identityTenant, outs };
}

export async function diffEntitySync(_id: string, olds: EntitySyncOutputs, news: EntitySyncInputs): Promise<pulumi.dynamic.DiffResult> {
  // Another control plane is another place: the copies there are new objects.
  const replaces = [
    ...(olds.tenantId !== news.tenantId ? ["tenantId"] : []),
    ...(olds.connection.controlPlaneTenantId !== news.connection.controlPlaneTenantId ? ["connection"] : []),
  ];
  const changed = [
    ...replaces,
    ...(olds.fingerprint !== news.fingerprint ? ["fingerprint"] : []),
    ...(connectionChanged(olds.connection, news.connection) ? ["connection"] : []),
  ];
  return { changes: changed.length > 0, replaces, deleteBeforeReplace: true };
}

export async function updateEntitySync(_id: string, _olds: EntitySyncOutputs, news: WithClientOptions<EntitySyncInputs>): Promise<pulumi.dynamic.UpdateResult> {
  return { outs: await apply(news) };
}

export async function deleteEntitySync(_id: string, olds: WithClientOptions<EntitySyncOutputs>): Promise<void> {
  const client = createManagementClient(checkConnection(olds.connection), olds.__clientOptions);
  // A tenant already gone from the identity server has nothing left to remove.
  if (await client.tenantExists(olds.identityTenant)) await removeManagedEntities(client, olds.identityTenant);
}

export const entitySyncProvider = {
  create: createEntitySync,
  diff: diffEntitySync,
  update: updateEntitySync,
  delete: deleteEntitySync,
};
