// The database resource classes under Pulumi's own mocks (lib/plan/evaluate.ts): what they
// register, that the admin password is a secret input, a secret output and absent from the
// provider text stored in state, and that the generated password keeps the old RandomPassword's URN.
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, test } from "vitest";
import { TenantMigrations, TenantPassword, TenantSeed, targetInputs } from "../../../components/database/resources";
import { migrationSet } from "../../../lib/database/migrations";
import { evaluate, plaintextOccurrences } from "../../../lib/plan/evaluate";

const CANARY = "canary-resources-5f1e2d";
const server = { name: "main", host: "127.0.0.1", port: 5432, user: "admin", password: CANARY, sslmode: "disable" as const };

describe("TenantMigrations and TenantSeed", async () => {
  const ev = await evaluate(() => {
    const m = new TenantMigrations("acme-migrations", { server, tenantId: "acme", isolation: "database", maxVersion: 2 });
    new TenantSeed("acme-seed", { server, tenantId: "acme", isolation: "database", name: "Acme Corporation", friendlyName: "Acme", settings: { a: 1 } }, { dependsOn: [m] });
  });
  const byName = (name: string) => ev.registrations.find((r) => r.name === name)!;

  test("TenantMigrations registers the tenant's place, its ring's version and fingerprint, and no SQL", () => {
    const mig = byName("acme-migrations");
    expect(mig.type).toBe("pulumi-nodejs:dynamic/tenancy:TenantMigrations");
    const set = migrationSet(2);
    expect(mig.inputs).toMatchObject({
      server: "main",
      database: "tenant_acme",
      schema: "tenant_acme",
      role: "tenant_acme",
      isolation: "database",
      tenantId: "acme",
      targetVersion: 2,
      fingerprint: set.fingerprint,
    });
    // The provider reads migrations/ itself; the state holds no SQL.
    expect(mig.inputs.migrations).toBeUndefined();
    const seed = byName("acme-seed");
    expect(seed.type).toBe("pulumi-nodejs:dynamic/tenancy:TenantSeed");
    expect(seed.inputs).toMatchObject({ name: "Acme Corporation", friendlyName: "Acme", settings: { a: 1 } });
    for (const r of [mig, seed]) {
      expect(typeof r.providerCode).toBe("string");
      expect(r.providerCode).not.toContain(CANARY);
    }
  });

  test("the password is a secret input and listed as a secret output", () => {
    expect(plaintextOccurrences(ev, CANARY)).toEqual([]);
    for (const r of ev.registrations) {
      expect(r.inputs.password).toBe(CANARY);
      expect(r.secretInputs).toEqual(["password"]);
      expect(r.additionalSecretOutputs).toEqual(["password"]);
    }
    expect(targetInputs({ server, tenantId: "acme", isolation: "shared" })).toMatchObject({
      server: "main",
      database: "tenancy_shared",
      schema: "tenancy_shared",
      ownerRole: "tenancy_owner",
      appRole: "tenancy_app",
    });
  });
});

test("a ring cap above the latest migration gets the latest; a bad cap is refused", () => {
  expect(migrationSet(99).version).toBe(3);
  expect(() => new TenantMigrations("bad", { server, tenantId: "acme", isolation: "schema", maxVersion: -1 })).toThrow(
    /migration cap must be a whole number >= 0, got -1/,
  );
});

describe("TenantPassword", async () => {
  class Component extends pulumi.ComponentResource {
    constructor(type: string, name: string, parent?: pulumi.Resource) {
      super(type, name, {}, { parent });
    }
  }
  let aliases: string[] = [];
  const ev = await evaluate(
    () => {
      const tenant = new Component("tenancy:index:Tenant", "acme");
      const database = new Component("tenancy:database:TenantDatabase", "acme", tenant);
      const password = new TenantPassword("acme-db-password", { length: 40 }, { parent: database });
      const urns = (password as unknown as { __aliases: pulumi.Output<string>[] }).__aliases;
      pulumi.all(urns).apply((all) => (aliases = all));
      return { password: password.password };
    },
    { stack: "eu-1" },
  );
  const registration = ev.registrations.find((r) => r.name === "acme-db-password")!;

  test("keeps the logical name, with an alias to the URN of the RandomPassword it replaces", () => {
    expect(registration.urn).toBe("urn:pulumi:eu-1::tenancy::tenancy:index:Tenant$tenancy:database:TenantDatabase$pulumi-nodejs:dynamic/tenancy:TenantPassword::acme-db-password");
    expect(aliases).toEqual(["urn:pulumi:eu-1::tenancy::tenancy:index:Tenant$tenancy:database:TenantDatabase$random:index/randomPassword:RandomPassword::acme-db-password"]);
    expect(registration.inputs).toEqual({ length: 40 });
  });

  test("its password is a secret output", () => {
    expect(registration.additionalSecretOutputs).toEqual(["password"]);
    expect(ev.secretExports).toEqual(["password"]);
  });
});
