// IdentitySeed against the real AuthHero server: create, diff, update, delete, crash-adopt.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TENANT_MOVE } from "../../../providers/kit";
import { createManagementClient } from "../../../providers/identity/client";
import { applicationUrls, identitySeed, type IdentitySeedInputs } from "../../../providers/identity/identity-seed";
import { startAuthHero, type AuthHeroServer } from "../../harness/authhero";

let ah: AuthHeroServer;
let count = 0;
const connection = () => ({ url: ah.url, clientId: ah.clientId, clientSecret: ah.clientSecret, controlPlaneTenantId: ah.controlPlaneTenantId });

async function freshTenant(): Promise<string> {
  const id = `seed-${++count}`;
  await ah.createTenant(id);
  return id;
}
const fast = { retry: { baseDelayMs: 5, maxDelayMs: 20 } };
const inputs = (tenantId: string, over: Partial<IdentitySeedInputs> = {}): IdentitySeedInputs => ({
  connection: connection(),
  tenantId,
  hostnames: [`${tenantId}.example.com`, "login.acme.com"],
  admins: ["ops@acme.com"],
  ...over,
});

async function contents(tenant: string) {
  const client = createManagementClient(connection());
  const clients = await client.listAll<{ client_id: string; name: string; callbacks: string[]; allowed_logout_urls: string[] }>(tenant, "list", "/clients");
  const connections = await client.listAll<{ id: string; name: string }>(tenant, "list", "/connections");
  const { users } = await ah.data.users.list(tenant, {});
  return { clients, connections, users: users.map((u) => u.email).sort() };
}

beforeAll(async () => {
  ah = await startAuthHero();
});
afterAll(async () => {
  await ah?.stop();
});

describe("IdentitySeed", () => {
  it("derives callback and logout URLs from the host names, and rejects what is not a host name", () => {
    expect(applicationUrls(["b.example.com", "a.example.com", "a.example.com"])).toEqual({
      callbacks: ["https://a.example.com/callback", "https://b.example.com/callback"],
      allowed_logout_urls: ["https://a.example.com/", "https://b.example.com/"],
      web_origins: ["https://a.example.com", "https://b.example.com"],
    });
    expect(() => applicationUrls(["https://x.com"])).toThrow(/not host names: "https:\/\/x.com"; expected names such as acme.example.com/);
  });

  it("creates the application, the connection and the admins, once, and adopts them on a repeated create", async () => {
    const tenantId = await freshTenant();
    const { id, outs } = await identitySeed.create(inputs(tenantId), fast);
    expect(id).toBe(tenantId);
    const c = await contents(tenantId);
    expect(c.clients).toHaveLength(1);
    expect(c.clients[0]).toMatchObject({
      client_id: outs.applicationClientId,
      name: "Default Application",
      callbacks: ["https://login.acme.com/callback", `https://${tenantId}.example.com/callback`],
      allowed_logout_urls: ["https://login.acme.com/", `https://${tenantId}.example.com/`],
    });
    expect(c.connections.map((x) => x.name)).toEqual(["Username-Password-Authentication"]);
    expect(c.users).toEqual(["ops@acme.com"]);
    // Nothing landed in the control plane.
    expect((await ah.data.users.list(ah.controlPlaneTenantId, {})).users.map((u) => u.email)).not.toContain("ops@acme.com");

    const again = await identitySeed.create(inputs(tenantId), fast);
    // A create that finds the connection cannot tell it from one the tenant made: it never deletes it.
    expect(outs.ownsConnection).toBe(true);
    expect(again.outs).toEqual({ ...outs, ownsConnection: false });
    const c2 = await contents(tenantId);
    expect([c2.clients.length, c2.connections.length, c2.users.length]).toEqual([1, 1, 1]);
  });

  it("diff sees host names and admins; update follows them", async () => {
    const tenantId = await freshTenant();
    const { outs } = await identitySeed.create(inputs(tenantId, { admins: ["a@acme.com", "b@acme.com"] }), fast);
    const olds = outs;
    expect((await identitySeed.diff(tenantId, olds, inputs(tenantId, { admins: ["b@acme.com", "a@acme.com"] }))).changes).toBe(false);
    const next = inputs(tenantId, { hostnames: [`${tenantId}.example.com`], admins: ["b@acme.com", "c@acme.com"] });
    expect((await identitySeed.diff(tenantId, olds, next)).changes).toBe(true);
    // Another tenant id is another identity tenant, with its users: refused as a tenant move.
    await expect(identitySeed.diff(tenantId, olds, inputs("other"))).rejects.toThrow(TENANT_MOVE);
    const updated = await identitySeed.update(tenantId, olds, next, fast);
    const c = await contents(tenantId);
    expect(c.clients[0]!.callbacks).toEqual([`https://${tenantId}.example.com/callback`]);
    expect(c.users).toEqual(["b@acme.com", "c@acme.com"]);
    expect(Object.keys(updated.outs.users).sort()).toEqual(["b@acme.com", "c@acme.com"]);
  });

  it("delete removes what it created and leaves the tenant's own application; a second delete is a no-op", async () => {
    const tenantId = await freshTenant();
    const client = createManagementClient(connection());
    await client.request(tenantId, "own app", "POST", "/clients", { body: { name: "Tenant's own app", app_type: "spa" } });
    const { outs } = await identitySeed.create(inputs(tenantId), fast);
    await identitySeed.delete(tenantId, outs, fast);
    const c = await contents(tenantId);
    expect(c.clients.map((x) => x.name)).toEqual(["Tenant's own app"]);
    expect(c.connections).toEqual([]);
    expect(c.users).toEqual([]);
    await identitySeed.delete(tenantId, outs, fast);
  });

  it("read reports what the identity tenant holds of the seed; what was removed by hand shows, and update recreates it", async () => {
    const tenantId = await freshTenant();
    const created = await identitySeed.create(inputs(tenantId), fast);
    const fresh = await identitySeed.read(created.id, created.outs, fast);
    expect(fresh).toEqual({ id: created.id, props: { ...created.outs, hostnames: ["login.acme.com", `${tenantId}.example.com`] } });
    expect((await identitySeed.diff(created.id, fresh.props, inputs(tenantId))).changes).toBe(false);

    const client = createManagementClient(connection());
    await client.request(tenantId, "delete the app by hand", "DELETE", `/clients/${created.outs.applicationClientId}`);
    await client.request(tenantId, "delete the admin by hand", "DELETE", `/users/${encodeURIComponent(created.outs.users["ops@acme.com"])}`);
    const drifted = await identitySeed.read(created.id, created.outs, fast);
    expect(drifted.props).toMatchObject({ hostnames: [], admins: [], applicationClientId: "", users: {} });
    expect(await identitySeed.diff(created.id, drifted.props, inputs(tenantId))).toEqual({ changes: true, replaces: [] });
    const repaired = await identitySeed.update(created.id, drifted.props, inputs(tenantId), fast);
    const c = await contents(tenantId);
    expect([c.clients.length, c.connections.length, c.users]).toEqual([1, 1, ["ops@acme.com"]]);
    expect((await identitySeed.read(created.id, repaired.outs, fast)).props.admins).toEqual(["ops@acme.com"]);

    await identitySeed.delete(created.id, repaired.outs, fast);
    expect((await identitySeed.read(created.id, repaired.outs, fast)).id).toBe("");
  });

  it("refuses a tenant that does not exist on the identity server", async () => {
    await expect(identitySeed.create(inputs("ghost-tenant"), fast)).rejects.toThrow(/identity tenant "ghost-tenant" does not exist/);
    expect((await ah.data.clients.list("ghost-tenant", {})).clients).toEqual([]);
  });
});
