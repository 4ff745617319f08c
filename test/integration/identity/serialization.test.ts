// The providers as the engine runs them: serialized with pulumi.runtime.serializeFunction, loaded in
// a fresh node process, called against the real AuthHero server. The client secret is a canary that
// must never show up in the provider text, the logs, the error messages or the outputs (apart from
// `connection`, which the resources declare as a secret output so the engine encrypts it).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ControlPlane } from "../../../lib/catalog/schema";
import { createManagementClient } from "../../../lib/identity/client";
import { entitySyncProvider } from "../../../lib/identity/entity-sync";
import { entityFingerprint } from "../../../lib/identity/fingerprint";
import { identitySeedProvider } from "../../../lib/identity/identity-seed";
import { organizationProvider } from "../../../lib/identity/organization";
import { startAuthHero, type AuthHeroServer } from "../../harness/authhero";
import { serializeProvider } from "../../harness/engine";

const CANARY = "canary-7f3a9c1e-never-in-plaintext";
const ENTITIES: ControlPlane = {
  resource_servers: [{ identifier: "https://api.example.com", name: "Example API", scopes: [{ value: "read:projects", description: "" }] }],
  roles: [
    { name: "tenant-admin", description: "Admin", permissions: [{ resource_server: "https://api.example.com", scopes: ["read:projects"] }] },
    { name: "tenant-member", description: "Member", permissions: [] },
  ],
};

let ah: AuthHeroServer;
const connection = () => ({ url: ah.url, clientId: ah.clientId, clientSecret: CANARY, controlPlaneTenantId: ah.controlPlaneTenantId });
const withoutConnection = (outs: Record<string, unknown>) => JSON.stringify({ ...outs, connection: undefined });

beforeAll(async () => {
  ah = await startAuthHero({ clientSecret: CANARY });
  await ah.createTenant("acme");
});
afterAll(async () => {
  await ah?.stop();
});

describe("providers serialized and run in a fresh process", () => {
  it("EntitySync: create, diff, update, delete", async () => {
    const provider = await serializeProvider(entitySyncProvider);
    expect(provider.text).not.toContain(CANARY);
    const inputs = provider.inputs({ connection: connection(), tenantId: "acme", entities: ENTITIES, fingerprint: entityFingerprint(ENTITIES) });
    const changed = { ...ENTITIES, roles: [ENTITIES.roles[0]!] };
    const next = provider.inputs({ ...inputs, entities: changed, fingerprint: entityFingerprint(changed) });

    const run1 = await provider.run([{ method: "create", args: [inputs] }]);
    expect(run1.results[0]!.ok).toBe(true);
    const created = (run1.results[0] as { value: { id: string; outs: Record<string, unknown> } }).value;
    const run2 = await provider.run([
      { method: "diff", args: [created.id, created.outs, next] },
      { method: "update", args: [created.id, created.outs, next] },
    ]);
    expect(run2.results.map((r) => r.ok)).toEqual([true, true]);
    expect((run2.results[0] as { value: { changes: boolean } }).value.changes).toBe(true);
    const updated = (run2.results[1] as { value: { outs: Record<string, unknown> } }).value.outs;
    const client = createManagementClient(connection());
    expect((await client.listAll<{ name: string }>("acme", "list", "/roles")).map((r) => r.name)).toEqual(["tenant-admin"]);

    const run3 = await provider.run([{ method: "delete", args: [created.id, updated] }]);
    expect(run3.results[0]!.ok).toBe(true);
    expect(await client.listAll("acme", "list", "/roles")).toEqual([]);
    for (const text of [run1.logs, run2.logs, run3.logs, withoutConnection(created.outs), withoutConnection(updated)]) expect(text).not.toContain(CANARY);
  });

  it("Organization and IdentitySeed: create and delete, and an error message without the secret", async () => {
    const client = createManagementClient(connection());
    const { syncEntities } = await import("../../../lib/identity/entity-sync");
    await syncEntities(client, ah.controlPlaneTenantId, ENTITIES);

    const org = await serializeProvider(organizationProvider);
    const seed = await serializeProvider(identitySeedProvider);
    for (const p of [org, seed]) expect(p.text).not.toContain(CANARY);

    const orgInputs = org.inputs({
      connection: connection(),
      tenantId: "acme",
      displayName: "Acme Corporation",
      metadata: { plan: "pro", status: "active", cell: "eu-1" },
      roles: ["tenant-member"],
      adminRole: "tenant-admin",
      admins: ["ops@acme.com"],
    });
    const orgRun = await org.run([{ method: "create", args: [orgInputs] }, { method: "create", args: [{ ...orgInputs, roles: ["no-such-role"] }] }]);
    expect(orgRun.results[0]!.ok).toBe(true);
    expect(orgRun.results[1]).toMatchObject({ ok: false, message: expect.stringMatching(/role\(s\) no-such-role do not exist/) });
    const orgCreated = (orgRun.results[0] as { value: { id: string; outs: Record<string, unknown> } }).value;
    expect((await client.listAll<{ name: string }>(ah.controlPlaneTenantId, "list", "/organizations")).map((o) => o.name)).toContain("acme");

    const seedInputs = seed.inputs({ connection: connection(), tenantId: "acme", hostnames: ["acme.example.com"], admins: ["ops@acme.com"] });
    const seedRun = await seed.run([{ method: "create", args: [seedInputs] }]);
    expect(seedRun.results[0]!.ok).toBe(true);
    const seedCreated = (seedRun.results[0] as { value: { id: string; outs: Record<string, unknown> } }).value;
    expect(await client.listAll("acme", "list", "/clients")).toHaveLength(1);

    const badSecret = await seed.run([{ method: "create", args: [{ ...seedInputs, connection: { ...connection(), clientSecret: `${CANARY}-wrong` } }] }]);
    expect(badSecret.results[0]).toMatchObject({ ok: false, message: expect.stringMatching(/get a Management API token \(client_credentials\) failed: HTTP 4\d\d/) });

    const deletes = [await org.run([{ method: "delete", args: [orgCreated.id, orgCreated.outs] }]), await seed.run([{ method: "delete", args: [seedCreated.id, seedCreated.outs] }])];
    expect(deletes.map((d) => d.results[0]!.ok)).toEqual([true, true]);
    expect((await client.listAll<{ name: string }>(ah.controlPlaneTenantId, "list", "/organizations")).map((o) => o.name)).not.toContain("acme");
    expect(await client.listAll("acme", "list", "/clients")).toEqual([]);

    const texts = [orgRun, seedRun, badSecret, ...deletes].flatMap((r) => [r.logs, ...r.results.map((x) => (x.ok ? withoutConnection(x.value?.outs ?? {}) : x.message))]);
    for (const text of texts) expect(text).not.toContain(CANARY);
  });
});
