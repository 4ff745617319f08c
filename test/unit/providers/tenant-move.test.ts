// TenantMove (providers/move/tenant-move.ts) without any service: its checks, what its diff refuses
// of a change of place (moveRefusal) and what it carries out, and a create, read, delete and an
// update without a move that touch nothing (every host and endpoint here is unreachable).
import { describe, expect, test } from "vitest";
import { TENANT_MOVE } from "../../../providers/kit";
import { moveRefusal, tenantMove, tenantMoveProblems, type TenantMoveInputs } from "../../../providers/move/tenant-move";

/** Nothing listens on port 1: a connection attempt fails at once, so a resolved call touched nothing. */
const NOWHERE = { host: "127.0.0.1", port: 1 };
const S3_NOWHERE = { endpoint: "http://127.0.0.1:1", forcePathStyle: true };

const target: TenantMoveInputs["target"] = {
  server: "main",
  ...NOWHERE,
  user: "tenancy_admin",
  sslmode: "disable",
  database: "tenancy_shared",
  isolation: "shared",
  tenantId: "acme",
  schema: "tenancy_shared",
  role: "tenant_acme",
  ownerRole: "tenancy_owner",
  appRole: "tenancy_app",
};
const prefixPlace = { bucket: "example-tenancy-shared-default-eu-west-1", prefix: "tenants/acme/", region: "eu-west-1", versioning: true, ...S3_NOWHERE };
const bucketPlace = { bucket: "example-tenancy-acme", prefix: "", region: "eu-west-1", versioning: true, ...S3_NOWHERE };

const inputs: TenantMoveInputs = {
  tenantId: "acme",
  target,
  password: "canary-move-password",
  objects: prefixPlace,
  store: { bucket: "example-tenancy-backups-eu-west-1", region: "eu-west-1", ...S3_NOWHERE },
  credentials: { accessKeyId: "AKIDNOWHERE", secretAccessKey: "nowhere" },
  retentionDays: 30,
  suspended: false,
  protected: false,
};

/** The same tenant in a schema of its own on another server. */
const onOtherServer: TenantMoveInputs = {
  ...inputs,
  target: { ...target, server: "replica", host: "127.0.0.2", database: "tenancy_schemas", isolation: "schema", schema: "tenant_acme" },
};

describe("tenantMoveProblems", () => {
  test("none for the inputs the program gives", () => {
    expect(tenantMoveProblems(inputs)).toEqual([]);
    expect(tenantMoveProblems({ ...inputs, objects: bucketPlace })).toEqual([]);
  });

  test.each<[string, Partial<TenantMoveInputs>, string[]]>([
    ["an empty host", { target: { ...target, host: "" } }, ["target.host"]],
    ["a port out of range", { target: { ...target, port: 70000 } }, ["target.port"]],
    ["a server that is no name", { target: { ...target, server: "Main Server" } }, ["target.server"]],
    ["an unknown isolation", { target: { ...target, isolation: "cluster" as never } }, ["target.isolation"]],
    ["a schema that is no identifier", { target: { ...target, schema: "Tenant-Acme" } }, ["target.schema"]],
    ["no password", { password: undefined }, ["password"]],
    ["no objects", { objects: undefined }, ["objects", "objects.prefix"]],
    ["an objects bucket that is no bucket name", { objects: { ...prefixPlace, bucket: "Not_A_Bucket" } }, ["objects"]],
    ["objects without a region", { objects: { ...prefixPlace, region: "" } }, ["objects"]],
    ["a prefix without its slash", { objects: { ...prefixPlace, prefix: "tenants/acme" } }, ["objects.prefix"]],
    ["no store", { store: undefined }, ["store"]],
    ["a store bucket that is no bucket name", { store: { ...inputs.store, bucket: "x" } }, ["store"]],
    ["retention of no days", { retentionDays: 0 }, ["retentionDays"]],
    ["retention of part of a day", { retentionDays: 1.5 }, ["retentionDays"]],
    ["suspended not a boolean", { suspended: "yes" as never }, ["suspended"]],
    ["protected absent", { protected: undefined }, ["protected"]],
  ])("locates %s", (_what, change, properties) => {
    const failures = tenantMoveProblems({ ...inputs, ...change });
    expect(failures.map((f) => f.property)).toEqual(properties);
    for (const f of failures) expect(f.reason.length).toBeGreaterThan(10);
  });

  test("check reports them, and refuses no input the program gives", async () => {
    expect(await tenantMove.check({}, inputs)).toEqual({ inputs });
    const { failures } = (await tenantMove.check({}, { ...inputs, password: "", retentionDays: -1 })) as { failures: { property: string }[] };
    expect(failures.map((f) => f.property)).toEqual(["password", "retentionDays"]);
  });
});

describe("moveRefusal", () => {
  test("no move: nothing to refuse, protected or not", () => {
    expect(moveRefusal(inputs, inputs)).toBeUndefined();
    expect(moveRefusal({ ...inputs, protected: true }, { ...inputs, protected: true })).toBeUndefined();
    // Retention, status, versioning, the store: no change of place.
    const same = { ...inputs, retentionDays: 7, suspended: true, objects: { ...prefixPlace, versioning: false }, store: { ...inputs.store, bucket: "other-backups" } };
    expect(moveRefusal({ ...inputs, protected: true }, { ...same, protected: true })).toBeUndefined();
  });

  test("a re-addressed server (host, port, user, password change only) is no move, even for a protected tenant", () => {
    const olds = { ...inputs, protected: true };
    const news = { ...olds, target: { ...target, host: "db-2.internal", port: 6432, user: "admin2", sslmode: "require" as const }, password: "rotated" };
    expect(moveRefusal(olds, news)).toBeUndefined();
  });

  test("a protected tenant's move is refused, saying from where to where and what to do", () => {
    const refusal = moveRefusal({ ...inputs, protected: true }, { ...onOtherServer, protected: true });
    expect(refusal).toBeDefined();
    expect(refusal).toContain("moving tenant acme from shared tenancy_shared.tenancy_shared on server main, s3://example-tenancy-shared-default-eu-west-1/tenants/acme/ in eu-west-1");
    expect(refusal).toContain("to schema tenancy_schemas.tenant_acme on server replica");
    expect(refusal).toMatch(/protected \(lifecycle\.deletion_protection\)/);
    expect(refusal).toMatch(/deletion_protection: false in a change of its own/);
    expect(refusal).toMatch(/nothing was changed$/);
    // Protection as the state has it: lifting it in the same change as the move does not help.
    expect(moveRefusal({ ...inputs, protected: true }, onOtherServer)).toBe(refusal);
    // An objects-only move of a protected tenant too.
    expect(moveRefusal({ ...inputs, protected: true }, { ...inputs, protected: true, objects: bucketPlace })).toMatch(/is refused: the tenant is protected/);
  });

  test("an unprotected tenant's move between servers, databases or isolation modes is carried out", () => {
    expect(moveRefusal(inputs, onOtherServer)).toBeUndefined();
    expect(moveRefusal(inputs, { ...inputs, target: { ...target, isolation: "database", database: "tenant_acme", schema: "tenant_acme" } })).toBeUndefined();
    // A tenant that lifted its protection in an earlier change moves.
    expect(moveRefusal(inputs, { ...onOtherServer, protected: true })).toBeUndefined();
  });

  test("a bucket of the same name changing region is refused; the two-step way is offered", () => {
    const refusal = moveRefusal({ ...inputs, objects: bucketPlace }, { ...inputs, objects: { ...bucketPlace, region: "us-east-1" } });
    expect(refusal).toContain("bucket example-tenancy-acme cannot change region");
    expect(refusal).toContain("storage.mode: prefix with the new region");
    expect(refusal).toMatch(/nothing was changed$/);
  });

  test("bucket -> prefix with a change of region, and prefix -> prefix across regions, are carried out", () => {
    const sharedUs = { ...prefixPlace, bucket: "example-tenancy-shared-default-us-east-1", region: "us-east-1" };
    expect(moveRefusal({ ...inputs, objects: bucketPlace }, { ...inputs, objects: sharedUs })).toBeUndefined();
    expect(moveRefusal(inputs, { ...inputs, objects: sharedUs })).toBeUndefined();
    // And prefix -> bucket in the new region: another bucket name.
    expect(moveRefusal(inputs, { ...inputs, objects: { ...bucketPlace, region: "us-east-1" } })).toBeUndefined();
  });
});

describe("tenantMove.diff", () => {
  test("throws the refusals with the kind and the resource id", async () => {
    await expect(tenantMove.diff("acme-move", { ...inputs, protected: true }, { ...onOtherServer, protected: true })).rejects.toThrow(
      `TenantMove acme-move: ${moveRefusal({ ...inputs, protected: true }, { ...onOtherServer, protected: true })}`,
    );
    await expect(tenantMove.diff("acme-move", { ...inputs, objects: bucketPlace }, { ...inputs, objects: { ...bucketPlace, region: "us-east-1" } })).rejects.toThrow(
      /^TenantMove acme-move: moving tenant acme .* bucket example-tenancy-acme cannot change region/,
    );
  });

  test("a real move is an update, never a replacement; no change is none", async () => {
    expect(await tenantMove.diff("acme-move", inputs, onOtherServer)).toEqual({ changes: true, replaces: [] });
    expect(await tenantMove.diff("acme-move", inputs, { ...inputs, objects: bucketPlace })).toEqual({ changes: true, replaces: [] });
    expect(await tenantMove.diff("acme-move", { ...inputs, lastMove: undefined }, inputs)).toEqual({ changes: false, replaces: [] });
    // Protection lifted, or set, without a move: an update that records it.
    expect(await tenantMove.diff("acme-move", { ...inputs, protected: true }, inputs)).toEqual({ changes: true, replaces: [] });
  });

  test("a new loader text alone is an update of the stored props", async () => {
    const stored = { ...inputs, protected: true, __provider: "old text" } as TenantMoveInputs;
    expect(await tenantMove.diff("acme-move", stored, { ...inputs, protected: true, __provider: "new text" } as TenantMoveInputs)).toEqual({ changes: true, replaces: [] });
  });

  test("another tenant id is another tenant: refused as a tenant move", async () => {
    await expect(tenantMove.diff("acme-move", inputs, { ...inputs, tenantId: "globex" })).rejects.toThrow(TENANT_MOVE);
  });
});

describe("create, read, update without a move, delete: no service touched", () => {
  test("create records the inputs and moves nothing", async () => {
    const created = await tenantMove.create({ ...inputs });
    expect(created).toEqual({ id: "acme-move", outs: inputs });
    expect(created.outs).not.toHaveProperty("lastMove");
  }, 5_000);

  test("read reports the stored props; delete does nothing", async () => {
    const props = { ...inputs, lastMove: { move: "m", from: "a", to: "b", backup: "k", maintenanceSeconds: 1, finishedAt: "2025-01-01T00:00:00.000Z" } };
    expect(await tenantMove.read("acme-move", props)).toEqual({ id: "acme-move", props });
    await expect(tenantMove.delete("acme-move", props)).resolves.toBeUndefined();
  }, 5_000);

  test("an update that changes no place (re-addressed server, new status) moves nothing and keeps the last move", async () => {
    const lastMove = { move: "m", from: "a", to: "b", backup: "k", maintenanceSeconds: 1, finishedAt: "2025-01-01T00:00:00.000Z" };
    const news = { ...inputs, target: { ...target, host: "127.0.0.3" }, suspended: true };
    expect((await tenantMove.update("acme-move", { ...inputs, lastMove }, news)).outs).toEqual({ ...news, lastMove });
    expect((await tenantMove.update("acme-move", inputs, news)).outs).toEqual(news);
  }, 5_000);

  test("an update with invalid inputs is refused before anything runs", async () => {
    await expect(tenantMove.update("acme-move", inputs, { ...onOtherServer, retentionDays: 0 })).rejects.toThrow(/invalid TenantMove inputs: retentionDays/);
  }, 5_000);
});
