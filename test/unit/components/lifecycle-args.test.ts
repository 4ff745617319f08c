// The argument builders turn a catalog tenant and stack settings into the lifecycle resources'
// inputs, checked on the registrations the engine would receive (lib/plan/evaluate).
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { evaluate } from "../../../lib/plan/evaluate";
import { TenantSuspension, tenantSuspensionArgs } from "../../../components/database";
import { DeletedHook, deletedHookArgs, hookTenant, LifecycleHook, lifecycleHookArgs, TenantBackup, tenantBackupArgs } from "../../../components/lifecycle";
import { catalogOf } from "../tenancy-fixtures";

const SECRET = "canary-args-webhook-secret-0001";
const PASSWORD = "canary-args-admin-password";
const CLIENT_SECRET = "canary-args-client-secret";
const OBJECTS = { bucket: "tnc-shared-default-eu-west-1", prefix: "tenants/acme/", region: "eu-west-1", versioning: true };
const IDENTITY = { url: "https://auth.example.com", clientId: "tenancy", clientSecret: pulumi.secret(CLIENT_SECRET), controlPlaneTenantId: "control-plane" };

describe("lifecycle argument builders", () => {
  it("derive hooks, backup target and suspension from the catalog tenant", async () => {
    const catalog = catalogOf({
      acme: { status: "suspended", plan: "pro", database: { isolation: "schema", server: "main" }, hooks: { deleting: ["https://hooks.acme.example/deleting"], deleted: ["https://hooks.acme.example/gone"] } },
    });
    const t = catalog.tenants.find((x) => x.id === "acme")!;
    const connection = { name: "main", host: "db.internal", port: 5432, user: "tenancy_admin", password: pulumi.secret(PASSWORD), sslmode: "require" as const };
    const { registrations } = await evaluate(() => {
      new DeletedHook("acme-deleted-hook", deletedHookArgs(t, pulumi.secret(SECRET)));
      new TenantSuspension("acme-suspension", tenantSuspensionArgs(t, connection));
      new TenantBackup("acme-backup", tenantBackupArgs(t, connection, { bucket: "tenancy-backups", region: "eu-west-1" }, OBJECTS, IDENTITY));
      new LifecycleHook("acme-lifecycle-hook", lifecycleHookArgs(t, pulumi.secret(SECRET)));
    });
    const inputs = (type: string) => registrations.find((r) => r.type === `pulumi-nodejs:dynamic/tenancy:${type}`)!;

    const tenant = { id: "acme", name: "ACME", friendly_name: "ACME", plan: "pro", status: "suspended", cell: t.cell, region: t.region, parent: null };
    expect(inputs("LifecycleHook").inputs).toEqual({ tenant, urls: { created: [], updated: [], deleting: ["https://hooks.acme.example/deleting"] }, secret: SECRET });
    expect(inputs("DeletedHook").inputs).toEqual({ tenant, urls: ["https://hooks.acme.example/gone"], secret: SECRET });
    expect(inputs("TenantBackup").inputs).toEqual({
      target: {
        host: "db.internal", port: 5432, user: "tenancy_admin", sslmode: "require", server: "main",
        database: "tenancy_schemas", isolation: "schema", tenantId: "acme", schema: "tenant_acme", role: "tenant_acme", ownerRole: "tenancy_owner", appRole: "tenancy_app",
      },
      password: PASSWORD,
      store: { bucket: "tenancy-backups", region: "eu-west-1" },
      onDelete: "backup",
      objects: OBJECTS,
      identity: { ...IDENTITY, clientSecret: CLIENT_SECRET },
      configuration: { format: "tenancy-configuration/1", tenant: expect.objectContaining({ id: "acme", status: "suspended", plan: "pro", settings: t.settings }) },
      retentionDays: 30,
      // Not protected: the tenant's TenantMove carries a change of its place over (providers/kit.ts MOVE_GUARD).
      moveGuard: true,
    });
    // The whole-tenant backup reads the organization with the client secret: secret, in and out.
    expect(inputs("TenantBackup").secretInputs).toEqual(expect.arrayContaining(["password", "identity.clientSecret"]));
    expect(inputs("TenantBackup").additionalSecretOutputs).toEqual(expect.arrayContaining(["password", "identity"]));
    expect(inputs("TenantSuspension").inputs).toEqual({
      connection: { host: "db.internal", port: 5432, user: "tenancy_admin", sslmode: "require", database: "postgres" },
      password: PASSWORD,
      role: "tenant_acme",
      suspended: true,
      // Not retained (on_delete backup): the role is dropped, so its delete releases it everywhere.
      dropOwnedOnDelete: true,
    });
    for (const r of registrations) {
      expect(r.secretInputs.some((p) => p === "password" || p === "secret")).toBe(true);
      expect(r.providerCode).not.toContain(PASSWORD);
      expect(r.providerCode).not.toContain(SECRET);
    }
  });
});

describe("hookTenant", () => {
  it("keeps identity and state, drops everything else", () => {
    const full = { id: "acme", name: "Acme", friendly_name: "A", plan: "pro", status: "active" as const, cell: "eu-1", region: "eu-west-1", parent: null, settings: { apiKey: "x" }, access: { admins: ["a@b.co"] } };
    expect(hookTenant(full)).toEqual({ id: "acme", name: "Acme", friendly_name: "A", plan: "pro", status: "active", cell: "eu-1", region: "eu-west-1", parent: null });
  });
});
