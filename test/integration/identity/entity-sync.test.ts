// EntitySync against the real AuthHero server: create, diff, update, delete, and what it must never touch.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ControlPlane } from "../../../lib/catalog/schema";
import { entityFingerprint } from "../../../lib/identity/fingerprint";
import { TENANT_MOVE } from "../../../providers/kit";
import { createManagementClient } from "../../../providers/identity/client";
import { entitySync, type EntitySyncOutputs } from "../../../providers/identity/entity-sync";
import { startAuthHero, type AuthHeroServer } from "../../harness/authhero";

const ENTITIES: ControlPlane = {
  resource_servers: [
    { identifier: "https://api.example.com", name: "Example API", scopes: [{ value: "read:projects", description: "Read" }, { value: "write:projects", description: "Write" }] },
  ],
  roles: [
    { name: "tenant-admin", description: "Admin", permissions: [{ resource_server: "https://api.example.com", scopes: ["read:projects", "write:projects"] }] },
    { name: "tenant-member", description: "Member", permissions: [{ resource_server: "https://api.example.com", scopes: ["read:projects"] }] },
  ],
};

let ah: AuthHeroServer;
let tenantCount = 0;
const connection = () => ({ url: ah.url, clientId: ah.clientId, clientSecret: ah.clientSecret, controlPlaneTenantId: ah.controlPlaneTenantId });
const fastRetry = { retry: { baseDelayMs: 5, maxDelayMs: 20 } };

async function freshTenant(): Promise<string> {
  const id = `sync-${++tenantCount}`;
  await ah.createTenant(id);
  return id;
}

async function snapshot(tenant: string) {
  const client = createManagementClient(connection());
  const servers = await client.listAll<{ identifier: string; name: string; scopes: { value: string }[]; metadata?: unknown }>(tenant, "list", "/resource-servers");
  const roles = await client.listAll<{ id: string; name: string; description: string; metadata?: unknown }>(tenant, "list", "/roles");
  const permissions: Record<string, string[]> = {};
  for (const r of roles) {
    const ps = await client.listAll<{ permission_name: string }>(tenant, "list", `/roles/${r.id}/permissions`);
    permissions[r.name] = ps.map((p) => p.permission_name).sort();
  }
  return { servers, roles, permissions };
}

beforeAll(async () => {
  ah = await startAuthHero();
});
afterAll(async () => {
  await ah?.stop();
});

describe("EntitySync", () => {
  it("creates the entities, marked, on the control plane and in the tenant, exactly once", async () => {
    const tenantId = await freshTenant();
    const inputs = { connection: connection(), tenantId, entities: ENTITIES, fingerprint: entityFingerprint(ENTITIES) };
    const { id, outs } = await entitySync.create(inputs, fastRetry);
    expect(id).toBe(tenantId);
    for (const tenant of [tenantId, ah.controlPlaneTenantId]) {
      const s = await snapshot(tenant);
      const ours = s.roles.filter((r) => (r.metadata as { managed_by?: string })?.managed_by === "tenancy").map((r) => r.name).sort();
      expect(ours).toEqual(["tenant-admin", "tenant-member"]);
      expect(s.servers.filter((x) => x.identifier === "https://api.example.com")).toHaveLength(1);
      expect(s.permissions["tenant-member"]).toEqual(["read:projects"]);
      expect(s.permissions["tenant-admin"]).toEqual(["read:projects", "write:projects"]);
    }
    expect(Object.keys(outs.roles).sort()).toEqual(["tenant-admin", "tenant-member"]);
    // A second create (a rerun after a crash that lost the state) adopts everything.
    const again = await entitySync.create(inputs, fastRetry);
    expect(again.outs.roles).toEqual(outs.roles);
    expect(again.outs.resourceServers).toEqual(outs.resourceServers);
    expect((await snapshot(tenantId)).roles.filter((r) => r.name === "tenant-admin")).toHaveLength(1);
  });

  it("diff shows a change exactly when the entity set changes", async () => {
    const olds = { connection: connection(), tenantId: "a", entities: ENTITIES, fingerprint: entityFingerprint(ENTITIES) } as EntitySyncOutputs;
    expect((await entitySync.diff("a", olds, { ...olds })).changes).toBe(false);
    const changed = structuredClone(ENTITIES);
    changed.roles[1]!.description = "Everyday use";
    expect(entityFingerprint(changed)).not.toBe(olds.fingerprint);
    expect(await entitySync.diff("a", olds, { ...olds, entities: changed, fingerprint: entityFingerprint(changed) })).toMatchObject({ changes: true, replaces: [] });
    // Another tenant id or another control plane is another place: refused as a tenant move
    // (replacing would first remove the roles, and every grant of them, from the identity tenant).
    await expect(entitySync.diff("a", olds, { ...olds, tenantId: "b" })).rejects.toThrow(`tenantId "a" -> "b"; ${TENANT_MOVE}`);
    // A rotated client secret or a new URL is an update (stored for the next delete).
    expect(await entitySync.diff("a", olds, { ...olds, connection: { ...olds.connection, clientSecret: "rotated" } })).toMatchObject({ changes: true, replaces: [] });
    expect(await entitySync.diff("a", olds, { ...olds, connection: { ...olds.connection, url: "https://auth-2.example.com" } })).toMatchObject({ changes: true, replaces: [] });
    await expect(entitySync.diff("a", olds, { ...olds, connection: { ...olds.connection, controlPlaneTenantId: "other" } })).rejects.toThrow(TENANT_MOVE);
  });

  it("update changes permissions, removes dropped entities, and leaves the tenant's own alone", async () => {
    const tenantId = await freshTenant();
    const first = await entitySync.create({ connection: connection(), tenantId, entities: ENTITIES, fingerprint: entityFingerprint(ENTITIES) }, fastRetry);
    // The tenant's own role and API, made through the Management API like a tenant admin would.
    const client = createManagementClient(connection());
    await client.request(tenantId, "own role", "POST", "/roles", { body: { name: "own-role", description: "mine" } });
    await client.request(tenantId, "own api", "POST", "/resource-servers", { body: { name: "Own", identifier: "urn:own:api", scopes: [] } });

    const next: ControlPlane = {
      resource_servers: [{ ...ENTITIES.resource_servers[0]!, scopes: [...ENTITIES.resource_servers[0]!.scopes, { value: "read:billing", description: "Billing" }] }],
      roles: [{ ...ENTITIES.roles[0]!, permissions: [{ resource_server: "https://api.example.com", scopes: ["read:billing", "read:projects"] }] }],
    };
    const { outs } = await entitySync.update(tenantId, first.outs, { connection: connection(), tenantId, entities: next, fingerprint: entityFingerprint(next) }, fastRetry);
    expect(Object.keys(outs.roles)).toEqual(["tenant-admin"]);
    const s = await snapshot(tenantId);
    expect(s.roles.map((r) => r.name).sort()).toEqual(["own-role", "tenant-admin"]);
    expect(s.permissions["tenant-admin"]).toEqual(["read:billing", "read:projects"]);
    expect(s.servers.find((x) => x.identifier === "https://api.example.com")!.scopes.map((x) => x.value).sort()).toEqual(["read:billing", "read:projects", "write:projects"]);

    await entitySync.delete(tenantId, outs, fastRetry);
    const after = await snapshot(tenantId);
    expect(after.roles.map((r) => r.name)).toEqual(["own-role"]);
    expect(after.servers.map((x) => x.identifier).sort()).toEqual(["urn:own:api"]);
    // Delete is idempotent: a rerun after a crash finds nothing left to do.
    await entitySync.delete(tenantId, outs);
  });

  it("read reports the entities the identity tenant holds: drift made by hand shows, and the next update repairs it", async () => {
    const tenantId = await freshTenant();
    const inputs = { connection: connection(), tenantId, entities: ENTITIES, fingerprint: entityFingerprint(ENTITIES) };
    const created = await entitySync.create(inputs, fastRetry);
    // Nothing changed: the stored entities and fingerprint stand, so refresh shows no drift.
    const fresh = await entitySync.read(created.id, created.outs, fastRetry);
    expect(fresh).toEqual({ id: created.id, props: created.outs });
    expect((await entitySync.diff(created.id, fresh.props, inputs)).changes).toBe(false);

    const client = createManagementClient(connection());
    await client.request(tenantId, "remove a role by hand", "DELETE", `/roles/${created.outs.roles["tenant-member"]}`);
    const drifted = await entitySync.read(created.id, created.outs, fastRetry);
    expect(drifted.props.entities.roles.map((r) => r.name)).toEqual(["tenant-admin"]);
    expect(drifted.props.fingerprint).not.toBe(inputs.fingerprint);
    expect(await entitySync.diff(created.id, drifted.props, inputs)).toEqual({ changes: true, replaces: [] });
    await entitySync.update(created.id, drifted.props, inputs, fastRetry);
    expect((await entitySync.read(created.id, created.outs, fastRetry)).props.fingerprint).toBe(inputs.fingerprint);
    expect((await snapshot(tenantId)).permissions["tenant-member"]).toEqual(["read:projects"]);

    // An identity tenant that is gone reads as gone.
    expect((await entitySync.read("ghost", { ...created.outs, identityTenant: "ghost-tenant" }, fastRetry)).id).toBe("");
  });

  it("refuses to take over a declared name the tenant created itself, naming tenant and entity, and changes nothing", async () => {
    const tenantId = await freshTenant();
    const client = createManagementClient(connection());
    await client.request(tenantId, "own role", "POST", "/roles", { body: { name: "tenant-member", description: "the tenant's own" } });
    const before = await snapshot(tenantId);
    await expect(entitySync.create({ connection: connection(), tenantId, entities: ENTITIES, fingerprint: entityFingerprint(ENTITIES) })).rejects.toThrow(
      new RegExp(`identity tenant "${tenantId}": role tenant-member already exist`),
    );
    expect(await snapshot(tenantId)).toEqual(before);
  });

  it("fails the tenant whose identity tenant does not exist, saying so, and writes nothing into it", async () => {
    await expect(
      entitySync.create({ connection: connection(), tenantId: "no-such-tenant", entities: ENTITIES, fingerprint: "x" }, fastRetry),
    ).rejects.toThrow(/identity tenant "no-such-tenant" does not exist on http:\/\/127\.0\.0\.1:\d+; nothing was changed for it\. create the tenant record "no-such-tenant"/);
    const { roles } = await ah.data.roles.list("no-such-tenant", {});
    expect(roles).toEqual([]);
  });

  it("an API failure names the tenant, the operation and the API's message", async () => {
    const tenantId = await freshTenant();
    const bad = { ...ENTITIES, roles: [{ name: "r", description: "x".repeat(5000), permissions: [] }] };
    await expect(entitySync.create({ connection: connection(), tenantId, entities: bad, fingerprint: "x" }, fastRetry)).rejects.toThrow(
      /identity tenant "control-plane": create role r failed: HTTP 400: /,
    );
  });
});
