// The identity providers called as the provider host calls them, against the real AuthHero server,
// with a client secret that is a canary: it must never show up in what they print, in their error
// messages or in their outputs (apart from `connection`, which the resources declare a secret
// output so the engine encrypts it). The stored loader text is checked in test/unit/components/dynamic.test.ts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ControlPlane } from "../../../lib/catalog/schema";
import { entityFingerprint } from "../../../lib/identity/fingerprint";
import { createManagementClient } from "../../../providers/identity/client";
import { syncEntities } from "../../../providers/identity/entities";
import { entitySync } from "../../../providers/identity/entity-sync";
import { identitySeed } from "../../../providers/identity/identity-seed";
import { organization } from "../../../providers/identity/organization";
import { startAuthHero, type AuthHeroServer } from "../../harness/authhero";
import { usePrintedOutput } from "../../harness/printed";

const CANARY = "canary-7f3a9c1e-never-in-plaintext";
const ENTITIES: ControlPlane = {
  resource_servers: [{ identifier: "https://api.example.com", name: "Example API", scopes: [{ value: "read:projects", description: "" }] }],
  roles: [
    { name: "tenant-admin", description: "Admin", permissions: [{ resource_server: "https://api.example.com", scopes: ["read:projects"] }] },
    { name: "tenant-member", description: "Member", permissions: [] },
  ],
};

let ah: AuthHeroServer;
const printed = usePrintedOutput();
const connection = () => ({ url: ah.url, clientId: ah.clientId, clientSecret: CANARY, controlPlaneTenantId: ah.controlPlaneTenantId });
const withoutConnection = (outs: object) => JSON.stringify({ ...outs, connection: undefined });

beforeAll(async () => {
  ah = await startAuthHero({ clientSecret: CANARY });
  await ah.createTenant("acme");
});
afterAll(async () => {
  await ah?.stop();
});

describe("providers with a canary client secret", () => {
  it("EntitySync: create, diff, update, delete", async () => {
    const inputs = { connection: connection(), tenantId: "acme", entities: ENTITIES, fingerprint: entityFingerprint(ENTITIES) };
    const changed = { ...ENTITIES, roles: [ENTITIES.roles[0]!] };
    const next = { ...inputs, entities: changed, fingerprint: entityFingerprint(changed) };

    const created = await entitySync.create(inputs);
    expect((await entitySync.diff(created.id, created.outs, next)).changes).toBe(true);
    const updated = (await entitySync.update(created.id, created.outs, next)).outs;
    const client = createManagementClient(connection());
    expect((await client.listAll<{ name: string }>("acme", "list", "/roles")).map((r) => r.name)).toEqual(["tenant-admin"]);

    await entitySync.delete(created.id, updated);
    expect(await client.listAll("acme", "list", "/roles")).toEqual([]);
    for (const text of [printed.take(), withoutConnection(created.outs), withoutConnection(updated)]) expect(text).not.toContain(CANARY);
  });

  it("Organization and IdentitySeed: create and delete, and an error message without the secret", async () => {
    const client = createManagementClient(connection());
    await syncEntities(client, ah.controlPlaneTenantId, ENTITIES);

    const orgInputs = {
      connection: connection(),
      tenantId: "acme",
      displayName: "Acme Corporation",
      metadata: { plan: "pro", status: "active", cell: "eu-1" },
      roles: ["tenant-member"],
      adminRole: "tenant-admin",
      admins: ["ops@acme.com"],
    };
    const orgCreated = await organization.create(orgInputs);
    const noRole = (await organization.create({ ...orgInputs, roles: ["no-such-role"] }).catch((e: Error) => e)) as Error;
    expect(noRole.message).toMatch(/role\(s\) no-such-role do not exist/);
    expect((await client.listAll<{ name: string }>(ah.controlPlaneTenantId, "list", "/organizations")).map((o) => o.name)).toContain("acme");

    const seedInputs = { connection: connection(), tenantId: "acme", hostnames: ["acme.example.com"], admins: ["ops@acme.com"] };
    const seedCreated = await identitySeed.create(seedInputs);
    expect(await client.listAll("acme", "list", "/clients")).toHaveLength(1);

    const badSecret = (await identitySeed.create({ ...seedInputs, connection: { ...connection(), clientSecret: `${CANARY}-wrong` } }).catch((e: Error) => e)) as Error;
    expect(badSecret.message).toMatch(/get a Management API token \(client_credentials\) failed: HTTP 4\d\d/);

    await organization.delete(orgCreated.id, orgCreated.outs);
    await identitySeed.delete(seedCreated.id, seedCreated.outs);
    expect((await client.listAll<{ name: string }>(ah.controlPlaneTenantId, "list", "/organizations")).map((o) => o.name)).not.toContain("acme");
    expect(await client.listAll("acme", "list", "/clients")).toEqual([]);

    const texts = [printed.take(), noRole.message, badSecret.message, withoutConnection(orgCreated.outs), withoutConnection(seedCreated.outs)];
    for (const text of texts) expect(text).not.toContain(CANARY);
  });
});
