// The Management API client and the providers behind a fault-injecting proxy in front of the real
// AuthHero server: every operation must finish, with exactly one object of each kind.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ControlPlane } from "../../../lib/catalog/schema";
import { entityFingerprint } from "../../../lib/identity/fingerprint";
import { createManagementClient, isManagementApiError } from "../../../providers/identity/client";
import { entitySync } from "../../../providers/identity/entity-sync";
import { identitySeed } from "../../../providers/identity/identity-seed";
import { organization } from "../../../providers/identity/organization";
import { startAuthHero, type AuthHeroServer } from "../../harness/authhero";
import { randomFaults, startFaultProxy, type Fault, type FaultProxy } from "../../harness/fault-proxy";

const ENTITIES: ControlPlane = {
  resource_servers: [{ identifier: "https://api.example.com", name: "Example API", scopes: [{ value: "read:projects", description: "" }, { value: "write:projects", description: "" }] }],
  roles: [
    { name: "tenant-admin", description: "Admin", permissions: [{ resource_server: "https://api.example.com", scopes: ["read:projects", "write:projects"] }] },
    { name: "tenant-member", description: "Member", permissions: [{ resource_server: "https://api.example.com", scopes: ["read:projects"] }] },
  ],
};
const FAULTS: Fault[] = [
  { kind: "drop" },
  { kind: "drop-after" },
  { kind: "status", status: 500 },
  { kind: "status", status: 503 },
  { kind: "status-after", status: 500 },
  { kind: "status", status: 429, retryAfter: 0 },
  { kind: "delay", ms: 30 },
];
// Ten attempts at a 30% fault rate: a request fails for good with probability 0.3^10 (6e-6).
const CLIENT_OPTIONS = { retry: { attempts: 10, baseDelayMs: 2, maxDelayMs: 20 } };
/** FAULT_SEED=<n> replays (or explores) another fault sequence. */
const SEED = Number(process.env.FAULT_SEED ?? 20261122);

let ah: AuthHeroServer;
let proxy: FaultProxy;
let count = 0;
const viaProxy = () => ({ url: proxy.url, clientId: ah.clientId, clientSecret: ah.clientSecret, controlPlaneTenantId: ah.controlPlaneTenantId });
const direct = () => createManagementClient({ ...viaProxy(), url: ah.url });

async function freshTenant(): Promise<string> {
  const id = `fault-${++count}`;
  await ah.createTenant(id);
  return id;
}

beforeAll(async () => {
  ah = await startAuthHero();
  proxy = await startFaultProxy(ah.url);
});
afterAll(async () => {
  await proxy?.stop();
  await ah?.stop();
});

describe("Management API client under faults", () => {
  it("retries 5xx, 429 and dropped connections, and fetches one token for many calls", async () => {
    let tokenRequests = 0;
    let n = 0;
    proxy.setPlan((req) => {
      if (req.path.startsWith("/oauth/token")) tokenRequests++;
      else n++;
      // The first three API attempts fail three different ways; the fourth goes through.
      return [{ kind: "status", status: 500 }, { kind: "drop" }, { kind: "status", status: 429, retryAfter: 0 }][n - 1] as Fault | undefined;
    });
    const client = createManagementClient(viaProxy(), CLIENT_OPTIONS);
    const roles = await client.request<unknown[]>(ah.controlPlaneTenantId, "list roles", "GET", "/roles");
    expect(Array.isArray(roles)).toBe(true);
    expect(n).toBe(4);
    await client.map([1, 2, 3, 4, 5], () => client.request(ah.controlPlaneTenantId, "list roles", "GET", "/roles"));
    expect(tokenRequests).toBe(1);
  });

  it("keeps the token until a minute before it expires, then fetches another", async () => {
    let tokenRequests = 0;
    proxy.setPlan((req) => void (req.path.startsWith("/oauth/token") && tokenRequests++));
    let clock = Date.parse("2026-11-22T12:00:00Z");
    const client = createManagementClient(viaProxy(), { ...CLIENT_OPTIONS, now: () => clock });
    const call = () => client.request(ah.controlPlaneTenantId, "list roles", "GET", "/roles");
    await call();
    clock += (86_400 - 61) * 1000; // AuthHero's tokens last 86,400 s
    await call();
    expect(tokenRequests).toBe(1);
    clock += 2000;
    await call();
    expect(tokenRequests).toBe(2);
  });

  it("fetches a new token once when the server stops accepting the cached one", async () => {
    let tokenRequests = 0;
    let unauthorized = 0;
    proxy.setPlan((req) => {
      if (req.path.startsWith("/oauth/token")) tokenRequests++;
      else if (tokenRequests === 1 && unauthorized++ === 0) return { kind: "status", status: 401 };
      return undefined;
    });
    const client = createManagementClient(viaProxy(), CLIENT_OPTIONS);
    await client.request(ah.controlPlaneTenantId, "list roles", "GET", "/roles");
    expect([tokenRequests, unauthorized]).toEqual([2, 1]);
    proxy.setPlan((req) => (req.path.startsWith("/api/") ? { kind: "status", status: 401 } : undefined));
    await expect(client.request(ah.controlPlaneTenantId, "list roles", "GET", "/roles")).rejects.toThrow(/list roles failed: HTTP 401: injected 401/);
  });

  it("honours Retry-After", async () => {
    let n = 0;
    proxy.setPlan((req) => (req.path.startsWith("/api/") && n++ === 0 ? { kind: "status", status: 429, retryAfter: 1 } : undefined));
    const client = createManagementClient(viaProxy(), CLIENT_OPTIONS);
    const started = Date.now();
    await client.request(ah.controlPlaneTenantId, "list roles", "GET", "/roles");
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it("gives up after the last attempt with the tenant, the operation and the API's message", async () => {
    proxy.setPlan((req) => (req.path.startsWith("/api/") ? { kind: "status", status: 503 } : undefined));
    const client = createManagementClient(viaProxy(), { retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 } });
    const error = await client.request("acme", "list roles", "GET", "/roles").catch((e: unknown) => e);
    expect(isManagementApiError(error) && [error.tenant, error.operation, error.status]).toEqual(["acme", "list roles", 503]);
    expect((error as Error).message).toBe('identity tenant "acme": list roles failed: HTTP 503: injected 503');
  });

  it("does not retry an answer: a 403 fails at once", async () => {
    let n = 0;
    proxy.setPlan((req) => (req.path.startsWith("/api/") && ++n ? { kind: "status", status: 403 } : undefined));
    const client = createManagementClient(viaProxy(), CLIENT_OPTIONS);
    await expect(client.request("acme", "list roles", "GET", "/roles")).rejects.toThrow(/list roles failed: HTTP 403/);
    expect(n).toBe(1);
  });
});

describe("providers under injected faults", () => {
  it("EntitySync, Organization and IdentitySeed each finish with exactly one object of each kind", async () => {
    const tenants = [await freshTenant(), await freshTenant(), await freshTenant()];
    proxy.setPlan(randomFaults(0.3, SEED, FAULTS));
    const before = proxy.stats.requests;
    const results = await Promise.all(
      tenants.map(async (tenantId) => {
        const sync = await entitySync.create({ connection: viaProxy(), tenantId, entities: ENTITIES, fingerprint: entityFingerprint(ENTITIES) }, CLIENT_OPTIONS);
        const org = await organization.create({
          connection: viaProxy(),
          tenantId,
          displayName: tenantId,
          metadata: { plan: "pro", status: "active", cell: "c1" },
          roles: ["tenant-member"],
          adminRole: "tenant-admin",
          admins: [`admin@${tenantId}.com`, "shared@example.com"],
        }, CLIENT_OPTIONS);
        const seed = await identitySeed.create({ connection: viaProxy(), tenantId, hostnames: [`${tenantId}.example.com`], admins: [`admin@${tenantId}.com`] }, CLIENT_OPTIONS);
        return { sync, org, seed };
      }),
    );
    proxy.setPlan(() => undefined);
    const faults = Object.values(proxy.stats.faults).reduce((a, b) => a + b, 0);
    expect(proxy.stats.requests - before).toBeGreaterThan(50);
    expect(faults).toBeGreaterThan(10);

    const client = direct();
    const cp = ah.controlPlaneTenantId;
    const roles = await client.listAll<{ name: string }>(cp, "list", "/roles");
    expect(roles.filter((r) => r.name === "tenant-admin")).toHaveLength(1);
    expect(roles.filter((r) => r.name === "tenant-member")).toHaveLength(1);
    const orgs = await client.listAll<{ name: string }>(cp, "list", "/organizations");
    for (const t of tenants) expect(orgs.filter((o) => o.name === t)).toHaveLength(1);
    expect(await client.request<unknown[]>(cp, "find", "GET", "/users-by-email?email=shared%40example.com")).toHaveLength(1);
    for (const [i, t] of tenants.entries()) {
      const tRoles = await client.listAll<{ id: string; name: string }>(t, "list", "/roles");
      expect(tRoles.map((r) => r.name).sort()).toEqual(["tenant-admin", "tenant-member"]);
      const admin = tRoles.find((r) => r.name === "tenant-admin")!;
      const perms = await client.listAll<{ permission_name: string }>(t, "list", `/roles/${admin.id}/permissions`);
      expect(perms.map((p) => p.permission_name).sort()).toEqual(["read:projects", "write:projects"]);
      expect(await client.listAll(t, "list", "/resource-servers")).toHaveLength(1);
      expect(await client.listAll(t, "list", "/clients")).toHaveLength(1);
      expect(await client.listAll(t, "list", "/connections")).toHaveLength(1);
      expect((await ah.data.users.list(t, {})).users).toHaveLength(1);
      const members = await client.listAll<{ email: string }>(cp, "list", `/organizations/${results[i]!.org.id}/members`);
      expect(members.map((m) => m.email).sort()).toEqual([`admin@${t}.com`, "shared@example.com"]);
    }

    // Reads (refresh) under faults find every object as it is.
    proxy.setPlan(randomFaults(0.3, SEED + 2, FAULTS));
    for (const { sync, org, seed } of results) {
      expect((await entitySync.read(sync.id, sync.outs, CLIENT_OPTIONS)).props.fingerprint).toBe(sync.outs.fingerprint);
      expect((await organization.read(org.id, org.outs, CLIENT_OPTIONS)).props.admins).toEqual(org.outs.admins);
      expect((await identitySeed.read(seed.id, seed.outs, CLIENT_OPTIONS)).props.admins).toEqual(seed.outs.admins);
    }

    // Updates and deletes under the same faults converge too.
    proxy.setPlan(randomFaults(0.3, SEED + 1, FAULTS));
    const changed: ControlPlane = { ...ENTITIES, roles: [{ ...ENTITIES.roles[0]!, permissions: [{ resource_server: "https://api.example.com", scopes: ["read:projects"] }] }] };
    await Promise.all(
      results.map(async ({ sync, org, seed }) => {
        await entitySync.update(sync.id, sync.outs, { connection: viaProxy(), tenantId: sync.id, entities: changed, fingerprint: entityFingerprint(changed) }, CLIENT_OPTIONS);
        await organization.delete(org.id, org.outs, CLIENT_OPTIONS);
        await identitySeed.delete(seed.id, seed.outs, CLIENT_OPTIONS);
      }),
    );
    proxy.setPlan(() => undefined);
    for (const t of tenants) {
      const tRoles = await client.listAll<{ id: string; name: string }>(t, "list", "/roles");
      expect(tRoles.map((r) => r.name)).toEqual(["tenant-admin"]);
      const perms = await client.listAll<{ permission_name: string }>(t, "list", `/roles/${tRoles[0]!.id}/permissions`);
      expect(perms.map((p) => p.permission_name)).toEqual(["read:projects"]);
      expect(await client.listAll(t, "list", "/clients")).toEqual([]);
      expect(await client.listAll(t, "list", "/connections")).toEqual([]);
    }
    const orgsAfter = await client.listAll<{ name: string }>(cp, "list", "/organizations");
    expect(orgsAfter.filter((o) => tenants.includes(o.name))).toEqual([]);
  });
});
