// Attack (by accident as much as by design): inside its own identity tenant, a tenant has made a
// user with an admin's e-mail address and the password connection itself. The seed finds them by
// name and e-mail; before this fix it adopted them, and later deleted them with its own (when an
// admin left the catalog, and at offboarding).
// Held: the seed marks what it creates (users: app_metadata.managed_by = tenancy; the connection:
// recorded as created by it, since AuthHero keeps no metadata on connections) and deletes only that.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createManagementClient } from "../../providers/identity/client";
import { identitySeed, type IdentitySeedInputs } from "../../providers/identity/identity-seed";
import { startAuthHero, type AuthHeroServer } from "../harness/authhero";

let ah: AuthHeroServer;
const fast = { retry: { baseDelayMs: 5, maxDelayMs: 20 } };
const connection = () => ({ url: ah.url, clientId: ah.clientId, clientSecret: ah.clientSecret, controlPlaneTenantId: ah.controlPlaneTenantId });
const inputs = (tenantId: string, admins: string[]): IdentitySeedInputs => ({ connection: connection(), tenantId, hostnames: [`${tenantId}.example.com`], admins });

beforeAll(async () => {
  ah = await startAuthHero();
});
afterAll(async () => {
  await ah?.stop();
});

async function emails(tenant: string): Promise<string[]> {
  return (await ah.data.users.list(tenant, {})).users.map((u) => u.email!).sort();
}

describe("the identity seed and what the tenant made itself", () => {
  it("never deletes a user or the connection the tenant created, when an admin leaves or at offboarding", async () => {
    const tenantId = "own-things";
    await ah.createTenant(tenantId);
    const client = createManagementClient(connection());
    // The tenant's own connection and its own user, with the e-mail of an admin the catalog lists.
    await client.request(tenantId, "tenant's connection", "POST", "/connections", { body: { name: "Username-Password-Authentication", strategy: "auth0", options: {} } });
    await client.request(tenantId, "tenant's user", "POST", "/users", { body: { email: "ops@acme.com", connection: "Username-Password-Authentication", email_verified: true } });

    const created = await identitySeed.create(inputs(tenantId, ["ops@acme.com", "new@acme.com"]), fast);
    expect(await emails(tenantId)).toEqual(["new@acme.com", "ops@acme.com"]);

    // ops@ leaves the catalog: the seed did not create that user, so it stays.
    const updated = await identitySeed.update(tenantId, created.outs, inputs(tenantId, ["new@acme.com"]), fast);
    expect(await emails(tenantId)).toEqual(["new@acme.com", "ops@acme.com"]);

    // Offboarding: what the seed created goes (its user), what the tenant made stays.
    await identitySeed.delete(tenantId, updated.outs, fast);
    expect(await emails(tenantId)).toEqual(["ops@acme.com"]);
    const connections = await client.listAll<{ name: string }>(tenantId, "list", "/connections");
    expect(connections.map((c) => c.name)).toEqual(["Username-Password-Authentication"]);
  });

  it("what the seed created itself it still removes, connection included", async () => {
    const tenantId = "seed-things";
    await ah.createTenant(tenantId);
    const created = await identitySeed.create(inputs(tenantId, ["ops@acme.com"]), fast);
    await identitySeed.delete(tenantId, created.outs, fast);
    expect(await emails(tenantId)).toEqual([]);
    const client = createManagementClient(connection());
    expect(await client.listAll(tenantId, "list", "/connections")).toEqual([]);
  });
});
