// The TenantMove as the program registers it (components/tenant.ts, components/lifecycle/move.ts),
// under Pulumi's mocks: one per tenant, holding the tenant's place as its backup names it; the
// resources whose place it may change carry MOVE_GUARD (unless the tenant is protected); and it sits
// in the dependency chain between the tenant's data and storage and its identity, so the new place
// is made before it copies, and the old place's resources are deleted after it.
import { describe, expect, test } from "vitest";
import { deletionOrderProblems, stageOf } from "../../../lib/lifecycle/order";
import { evaluate, plaintextOccurrences, type Evaluation, type Registration } from "../../../lib/plan/evaluate";
import { registerProgram } from "../../../lib/program";
import { MOVE_GUARD, type AnyProvider } from "../../../providers/kit";
import { tenantBackup } from "../../../providers/backup/backup";
import { tenantMove } from "../../../providers/move/tenant-move";
import { tenantMigrations } from "../../../providers/postgres/migrations";
import { tenantSeed } from "../../../providers/postgres/seed";
import { tenantPrefix } from "../../../providers/s3/prefix";
import { catalogOf, exampleConfig } from "../tenancy-fixtures";
import { naming } from "../../../lib/naming";

const DYNAMIC = naming.dynamicTypePrefix;
const TENANT = "tenancy:index:Tenant";
const PASSWORD = "canary-move-admin-password-3c1d";

const catalog = catalogOf({
  "db-bucket": { database: { isolation: "database", server: "main" }, storage: { mode: "bucket", versioning: true, noncurrent_days: 30 }, lifecycle: { deletion_protection: true, on_delete: "backup" }, backup: { retention_days: 90 } },
  "schema-prefix": { database: { isolation: "schema", server: "main" }, region: "us-east-1" },
  "shared-prefix": { database: { isolation: "shared", server: "main" }, status: "suspended", lifecycle: { deletion_protection: true, on_delete: "retain" } },
  "shared-bucket": { database: { isolation: "shared", server: "main" }, storage: { mode: "bucket", versioning: false, noncurrent_days: 7 }, parent: "schema-prefix" },
});
const protectedIds = new Set(["db-bucket", "shared-prefix"]);

const tenantUrn = (ev: Evaluation, id: string) => ev.registrations.find((r) => r.type === TENANT && r.name === id)!.urn;
/** A tenant's custom resources. */
const resourcesOf = (ev: Evaluation, id: string) => ev.registrations.filter((r) => r.custom && r.ancestors.includes(tenantUrn(ev, id)));
const ofKind = (ev: Evaluation, id: string, kind: string) => resourcesOf(ev, id).filter((r) => r.type === `${DYNAMIC}${kind}`);
/** Custom resources under one of a tenant's components (TenantDatabase, TenantStorage, ...). */
const under = (ev: Evaluation, id: string, component: string) => {
  const urn = ev.registrations.find((r) => r.type === component && r.name === id)!.urn;
  return ev.registrations.filter((r) => r.custom && r.ancestors.includes(urn));
};

function closure(ev: Evaluation): (r: Registration) => Set<string> {
  const byUrn = new Map(ev.registrations.map((r) => [r.urn, r]));
  const memo = new Map<string, Set<string>>();
  const all = (urn: string): Set<string> => {
    const known = memo.get(urn);
    if (known) return known;
    const found = new Set<string>();
    memo.set(urn, found);
    for (const d of byUrn.get(urn)?.dependencies ?? []) {
      found.add(d);
      for (const x of all(d)) found.add(x);
    }
    return found;
  };
  return (r) => all(r.urn);
}

describe("TenantMove in the program", async () => {
  const ev = await evaluate(() => registerProgram(catalog, exampleConfig({ databasePasswords: { main: PASSWORD } })));
  const ids = catalog.tenants.map((t) => t.id);
  const dependsOn = closure(ev);

  test("exactly one per tenant, directly under its Tenant, named <id>-move", () => {
    expect(ev.registrations.filter((r) => r.type === `${DYNAMIC}TenantMove`).map((r) => r.name).sort()).toEqual(ids.map((id) => `${id}-move`).sort());
    for (const id of ids) {
      const moves = ofKind(ev, id, "TenantMove");
      expect(moves.map((m) => m.name), id).toEqual([`${id}-move`]);
      expect(moves[0].parent, id).toBe(tenantUrn(ev, id));
      expect(moves[0].providerCode, id).toContain('.provider("TenantMove")');
    }
  });

  test("holds the tenant's place: server, isolation, database and schema; bucket or prefix; its region's backups store", () => {
    const move = (id: string) => ofKind(ev, id, "TenantMove")[0].inputs;
    const server = { server: "main", host: "db-main.internal.example.com", port: 5432, user: "tenancy_admin", sslmode: "verify-full", ca: expect.stringContaining("-----BEGIN CERTIFICATE-----") };
    const roles = { ownerRole: "tenancy_owner", appRole: "tenancy_app" };
    expect(move("db-bucket")).toEqual({
      tenantId: "db-bucket",
      target: { ...server, ...roles, tenantId: "db-bucket", isolation: "database", database: "tenant_db_bucket", schema: "tenant_db_bucket", role: "tenant_db_bucket" },
      password: PASSWORD,
      objects: { bucket: "example-tenancy-db-bucket", prefix: "", region: "eu-west-1", versioning: true },
      store: { bucket: "example-tenancy-backups-eu-west-1", region: "eu-west-1" },
      retentionDays: 90,
      suspended: false,
      protected: true,
    });
    expect(move("schema-prefix")).toEqual({
      tenantId: "schema-prefix",
      target: { ...server, ...roles, tenantId: "schema-prefix", isolation: "schema", database: "tenancy_schemas", schema: "tenant_schema_prefix", role: "tenant_schema_prefix" },
      password: PASSWORD,
      objects: { bucket: "example-tenancy-shared-default-us-east-1", prefix: "tenants/schema-prefix/", region: "us-east-1", versioning: true },
      store: { bucket: "example-tenancy-backups-us-east-1", region: "us-east-1" },
      retentionDays: 30,
      suspended: false,
      protected: false,
    });
    expect(move("shared-prefix")).toMatchObject({
      target: { isolation: "shared", database: "tenancy_shared", schema: "tenancy_shared", role: "tenant_shared_prefix" },
      objects: { bucket: "example-tenancy-shared-default-eu-west-1", prefix: "tenants/shared-prefix/" },
      suspended: true,
      protected: true,
    });
    expect(move("shared-bucket")).toMatchObject({ objects: { bucket: "example-tenancy-shared-bucket", prefix: "", versioning: false }, suspended: false, protected: false });
    // The same place the tenant's backup reads: what the move backs up is what an offboarding would.
    for (const id of ids) {
      const backup = ofKind(ev, id, "TenantBackup")[0].inputs;
      expect([move(id).target, move(id).objects, move(id).store, move(id).retentionDays], id).toEqual([backup.target, backup.objects, backup.store, backup.retentionDays]);
    }
  });

  test("the admin password is secret in, out and nowhere in plain text; the inputs pass TenantMove's check", async () => {
    for (const id of ids) {
      const move = ofKind(ev, id, "TenantMove")[0];
      expect(move.secretInputs, id).toEqual(["password"]);
      expect(move.additionalSecretOutputs, id).toEqual(expect.arrayContaining(["password", "credentials"]));
      expect(move.providerCode, id).not.toContain(PASSWORD);
      // No key the provider does not declare (lastMove is an output only).
      expect(move.inputs, id).not.toHaveProperty("lastMove");
      expect(await tenantMove.check({}, move.inputs as never), id).toEqual({ inputs: move.inputs });
    }
    expect(plaintextOccurrences(ev, PASSWORD)).toEqual([]);
  });

  test("TenantMigrations, TenantSeed, TenantBackup and TenantPrefix carry the guard: true, false for a protected tenant", async () => {
    const providers: Record<string, AnyProvider> = { TenantMigrations: tenantMigrations, TenantSeed: tenantSeed, TenantBackup: tenantBackup, TenantPrefix: tenantPrefix };
    let prefixes = 0;
    for (const id of ids) {
      for (const [kind, provider] of Object.entries(providers)) {
        for (const r of ofKind(ev, id, kind)) {
          expect(r.inputs[MOVE_GUARD], `${r.name}`).toBe(!protectedIds.has(id));
          // The guard is no undeclared input.
          expect(((await provider.check({}, r.inputs)) as { failures?: unknown[] }).failures, r.name).toBeUndefined();
          if (kind === "TenantPrefix") prefixes++;
        }
      }
      expect(ofKind(ev, id, "TenantMigrations"), id).toHaveLength(1);
      expect(ofKind(ev, id, "TenantSeed"), id).toHaveLength(1);
      expect(ofKind(ev, id, "TenantBackup"), id).toHaveLength(1);
    }
    expect(prefixes).toBe(2);
    // Nothing else of a tenant carries it: the other resources' place never moves in place.
    const guarded = ev.registrations.filter((r) => r.custom && MOVE_GUARD in r.inputs).map((r) => r.type.replace(DYNAMIC, ""));
    expect([...new Set(guarded)].sort()).toEqual(["TenantBackup", "TenantMigrations", "TenantPrefix", "TenantSeed"]);
  });

  test("after the tenant's data and storage, before its identity", () => {
    for (const id of ids) {
      const move = ofKind(ev, id, "TenantMove")[0];
      const before = [...under(ev, id, "tenancy:database:TenantDatabase"), ...under(ev, id, "tenancy:storage:TenantStorage")];
      expect(before.length, id).toBeGreaterThan(5);
      expect(before.filter((r) => !dependsOn(move).has(r.urn)).map((r) => r.name), `${id}: what the move does not wait for`).toEqual([]);
      const identity = under(ev, id, "tenancy:identity:TenantIdentity");
      expect(identity.map((r) => r.type.replace(DYNAMIC, "")).sort(), id).toEqual(["EntitySync", "IdentitySeed", "Organization"]);
      for (const r of identity) expect(dependsOn(r).has(move.urn), `${r.name} after ${move.name}`).toBe(true);
      // And so the backup and the deleting webhook, which come after the identity.
      for (const kind of ["TenantBackup", "LifecycleHook"]) expect(dependsOn(ofKind(ev, id, kind)[0]).has(move.urn), `${id} ${kind}`).toBe(true);
      // Nothing of the data or storage waits for the move: the new place is made before it copies.
      for (const r of before) expect(dependsOn(r).has(move.urn), r.name).toBe(false);
    }
  });

  test("a child's TenantMove comes after its parent's resources, as the rest of the child", () => {
    const parent = resourcesOf(ev, "schema-prefix").map((r) => r.urn);
    const move = ofKind(ev, "shared-bucket", "TenantMove")[0];
    expect(move.dependencies).toEqual(expect.arrayContaining(parent));
  });

  test("the deletion order check still passes: the TenantMove is of the data stage", () => {
    expect(stageOf(`${DYNAMIC}TenantMove`)).toBe("data");
    for (const id of ids) expect(deletionOrderProblems(resourcesOf(ev, id)), id).toEqual([]);
  });
});
