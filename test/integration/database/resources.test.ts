// The resource classes under Pulumi's own mocks: what they register, and that the admin password
// is a secret input, a secret output, and absent from the provider text stored in state.
import { afterAll, beforeAll, expect, test } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { migrationSet } from "../../../lib/database/migrations";

const CANARY = "canary-resources-5f1e2d";
const registered: pulumi.runtime.MockResourceArgs[] = [];
// Imported after setMocks, as the mocks require.
let resources: typeof import("../../../lib/database/resources");

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        registered.push(args);
        return { id: `${args.name}-id`, state: { ...args.inputs, version: args.inputs.targetVersion } };
      },
      call: (args) => args.inputs,
    },
    "tenancy",
    "test",
    false,
  );
  resources = await import("../../../lib/database/resources");
});
afterAll(async () => {
  await pulumi.runtime.disconnect();
});

const server = { host: "127.0.0.1", port: 5432, user: "admin", password: CANARY, sslmode: "disable" as const };

test("TenantMigrations registers the tenant's place, its ring's version and fingerprint, and a provider without secrets", async () => {
  const m = new resources.TenantMigrations("acme-migrations", { server, tenantId: "acme", isolation: "database", maxVersion: 2 });
  const s = new resources.TenantSeed(
    "acme-seed",
    { server, tenantId: "acme", isolation: "database", name: "Acme Corporation", friendlyName: "Acme", settings: { a: 1 } },
    { dependsOn: [m] },
  );
  await new Promise<number>((resolve) => m.version.apply(resolve));
  await new Promise<string>((resolve) => s.friendlyName.apply(resolve));
  await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();

  const mig = registered.find((r) => r.name === "acme-migrations")!;
  expect(mig.type).toBe("pulumi-nodejs:dynamic/tenancy:TenantMigrations");
  const set = migrationSet(2);
  expect(mig.inputs).toMatchObject({
    database: "tenant_acme",
    schema: "tenant_acme",
    role: "tenant_acme",
    isolation: "database",
    tenantId: "acme",
    targetVersion: 2,
    fingerprint: set.fingerprint,
  });
  expect(mig.inputs.migrations.map((x: { file: string }) => x.file)).toEqual(["0001_tenant_profile.sql", "0002_projects.sql", "0003_invoices.sql"]);
  const seed = registered.find((r) => r.name === "acme-seed")!;
  expect(seed.type).toBe("pulumi-nodejs:dynamic/tenancy:TenantSeed");
  expect(seed.inputs).toMatchObject({ name: "Acme Corporation", friendlyName: "Acme", settings: { a: 1 } });
  for (const r of [mig, seed]) {
    expect(typeof r.inputs.__provider).toBe("string");
    expect(r.inputs.__provider).not.toContain(CANARY);
  }
});

test("the password is a secret input and listed as a secret output", async () => {
  const inputs = resources.targetInputs({ server, tenantId: "acme", isolation: "shared" });
  expect(await pulumi.isSecret(inputs.password)).toBe(true);
  expect(inputs).toMatchObject({ database: "tenancy_shared", schema: "tenancy_shared", ownerRole: "tenancy_owner", appRole: "tenancy_app" });
  expect(resources.withSecretPassword({ additionalSecretOutputs: ["other"] }).additionalSecretOutputs).toEqual(["other", "password"]);
  expect(resources.withSecretPassword(undefined).additionalSecretOutputs).toEqual(["password"]);
});

test("a ring cap above the latest migration gets the latest; a bad cap is refused", () => {
  expect(migrationSet(99).version).toBe(3);
  expect(() => new resources.TenantMigrations("bad", { server, tenantId: "acme", isolation: "schema", maxVersion: -1 })).toThrow(
    /migration cap must be a whole number >= 0, got -1/,
  );
});
