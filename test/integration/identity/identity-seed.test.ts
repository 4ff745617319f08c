// IdentitySeed against the real AuthHero server: create, diff, update, delete, crash-adopt.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createManagementClient } from "../../../lib/identity/client";
import {
  applicationUrls,
  createIdentitySeed,
  deleteIdentitySeed,
  diffIdentitySeed,
  updateIdentitySeed,
  type IdentitySeedInputs,
  type IdentitySeedOutputs,
} from "../../../lib/identity/identity-seed";
import { startAuthHero, type AuthHeroServer } from "../../harness/authhero";

let ah: AuthHeroServer;
let count = 0;
const connection = () => ({ url: ah.url, clientId: ah.clientId, clientSecret: ah.clientSecret, controlPlaneTenantId: ah.controlPlaneTenantId });

async function freshTenant(): Promise<string> {
  const id = `seed-${++count}`;
  await ah.createTenant(id);
  return id;
}
const inputs = (tenantId: string, over: Partial<IdentitySeedInputs> = {}) => ({
  connection: connection(),
  tenantId,
  hostnames: [`${tenantId}.example.com`, "login.acme.com"],
  admins: ["ops@acme.com"],
  __clientOptions: { retry: { baseDelayMs: 5, maxDelayMs: 20 } },
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
    const { id, outs } = await createIdentitySeed(inputs(tenantId));
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

    const again = await createIdentitySeed(inputs(tenantId));
    expect(again.outs).toEqual(outs);
    const c2 = await contents(tenantId);
    expect([c2.clients.length, c2.connections.length, c2.users.length]).toEqual([1, 1, 1]);
  });

  it("diff sees host names and admins; update follows them", async () => {
    const tenantId = await freshTenant();
    const { outs } = await createIdentitySeed(inputs(tenantId, { admins: ["a@acme.com", "b@acme.com"] }));
    const olds = outs as IdentitySeedOutputs;
    expect((await diffIdentitySeed(tenantId, olds, inputs(tenantId, { admins: ["b@acme.com", "a@acme.com"] }))).changes).toBe(false);
    const next = inputs(tenantId, { hostnames: [`${tenantId}.example.com`], admins: ["b@acme.com", "c@acme.com"] });
    expect((await diffIdentitySeed(tenantId, olds, next)).changes).toBe(true);
    expect((await diffIdentitySeed(tenantId, olds, inputs("other"))).replaces).toEqual(["tenantId"]);
    const updated = await updateIdentitySeed(tenantId, olds, next);
    const c = await contents(tenantId);
    expect(c.clients[0]!.callbacks).toEqual([`https://${tenantId}.example.com/callback`]);
    expect(c.users).toEqual(["b@acme.com", "c@acme.com"]);
    expect(Object.keys(updated.outs.users).sort()).toEqual(["b@acme.com", "c@acme.com"]);
  });

  it("delete removes what it created and leaves the tenant's own application; a second delete is a no-op", async () => {
    const tenantId = await freshTenant();
    const client = createManagementClient(connection());
    await client.request(tenantId, "own app", "POST", "/clients", { body: { name: "Tenant's own app", app_type: "spa" } });
    const { outs } = await createIdentitySeed(inputs(tenantId));
    await deleteIdentitySeed(tenantId, outs as IdentitySeedOutputs);
    const c = await contents(tenantId);
    expect(c.clients.map((x) => x.name)).toEqual(["Tenant's own app"]);
    expect(c.connections).toEqual([]);
    expect(c.users).toEqual([]);
    await deleteIdentitySeed(tenantId, outs as IdentitySeedOutputs);
  });

  it("refuses a tenant that does not exist on the identity server", async () => {
    await expect(createIdentitySeed(inputs("ghost-tenant"))).rejects.toThrow(/identity tenant "ghost-tenant" does not exist/);
    expect((await ah.data.clients.list("ghost-tenant", {})).clients).toEqual([]);
  });
});
