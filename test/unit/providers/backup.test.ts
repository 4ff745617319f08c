// pg_dump's arguments and environment, the pg tools runner, and TenantBackup's input checks and diff.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Target } from "../../../providers/postgres/target";
import { backupInputProblems, tenantBackup } from "../../../providers/backup/backup";
import { metadataKey, pgDumpArgs } from "../../../providers/backup/dump";
import { TENANT_MOVE } from "../../../providers/kit";
import { findExecutable, postgresEnv } from "../../../providers/postgres/tools";

const PASSWORD = "canary-pw-0e1f";
const base: Target & { server: string } = { server: "main", host: "db.internal", port: 5432, user: "admin", password: PASSWORD, database: "tenant_acme", sslmode: "require", isolation: "database", tenantId: "acme", schema: "public", role: "tenant_acme", ownerRole: "tenancy_owner", appRole: "tenancy_app" };

describe("pgDumpArgs", () => {
  it("dumps the whole database, the schema, or the shared schema under row-level security as the tenant", () => {
    const common = ["--format=custom", "--no-password", "--lock-wait-timeout=30000", "--host=db.internal", "--port=5432", "--username=admin"];
    expect(pgDumpArgs(base)).toEqual([...common, "--dbname=tenant_acme"]);
    expect(pgDumpArgs({ ...base, isolation: "schema", database: "tenancy_schemas", schema: "tenant_acme" })).toEqual([...common, "--dbname=tenancy_schemas", "--schema=tenant_acme"]);
    expect(pgDumpArgs({ ...base, isolation: "shared", database: "tenancy_shared", schema: "tenancy_shared" })).toEqual([
      ...common, "--dbname=tenancy_shared", "--schema=tenancy_shared", "--exclude-table=tenancy_shared.schema_migrations", "--role=tenant_acme", "--enable-row-security",
    ]);
  });

  it("never carries the password", () => {
    for (const isolation of ["database", "schema", "shared"] as const) expect(pgDumpArgs({ ...base, isolation }).join(" ")).not.toContain(PASSWORD);
  });
});

describe("postgresEnv", () => {
  it("passes the password in PGPASSWORD only and drops inherited PG* variables", () => {
    const env = postgresEnv(base, { PATH: "/usr/bin", PGSERVICE: "evil", PGHOST: "elsewhere", HOME: "/root" }, "tenancy-backup");
    expect(env).toEqual({
      PATH: "/usr/bin", HOME: "/root", PGPASSWORD: PASSWORD, PGSSLMODE: "require", PGAPPNAME: "tenancy-backup", PGCONNECT_TIMEOUT: "15",
      PGREQUIREAUTH: "scram-sha-256", PGCHANNELBINDING: "prefer", PGOPTIONS: "-c lock_timeout=15000 -c idle_in_transaction_session_timeout=60000",
    });
  });
});

describe("findExecutable", () => {
  it("finds an executable file on PATH and explains a missing one", () => {
    const dir = mkdtempSync(join(tmpdir(), "tenancy-path-"));
    try {
      writeFileSync(join(dir, "pg_dump"), "#!/bin/sh\n");
      chmodSync(join(dir, "pg_dump"), 0o755);
      writeFileSync(join(dir, "pg_restore"), "not executable");
      expect(findExecutable("pg_dump", `/nonexistent:${dir}`)).toBe(join(dir, "pg_dump"));
      expect(() => findExecutable("pg_restore", dir)).toThrow(`pg_restore was not found on PATH (${dir}); install the PostgreSQL client`);
      expect(findExecutable("pg_dump")).toMatch(/\/pg_dump$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("metadata sits next to the dump", () => {
    expect(metadataKey("backups/acme/2026-01-01T00-00-00-000Z.dump")).toBe("backups/acme/2026-01-01T00-00-00-000Z.dump.json");
  });
});

describe("TenantBackup inputs", () => {
  const { password, ...target } = base;
  const good = { target, password, store: { bucket: "acme-backups", region: "eu-west-1" }, onDelete: "backup" as const };

  it("accepts a complete target and names each problem otherwise", () => {
    expect(backupInputProblems(good)).toEqual([]);
    expect(backupInputProblems({ ...good, password: "" })).toEqual([{ property: "password", reason: "password must be a non-empty string" }]);
    expect(backupInputProblems({ ...good, store: { bucket: "Bad_Bucket", region: "" } }).map((f) => f.property)).toEqual(["store.bucket", "store.region"]);
    expect(backupInputProblems({ ...good, target: { ...target, port: 0 } })).toEqual([{ property: "target.port", reason: "port must be a whole number 1-65535, got 0" }]);
  });

  it("diff never replaces, so no change can trigger a backup; a new place is refused as a tenant move", async () => {
    await expect(tenantBackup.diff("acme-backup", good, { ...good, target: { ...target, database: "tenant_other" } })).rejects.toThrow(TENANT_MOVE);
    expect(await tenantBackup.diff("acme-backup", good, { ...good, target: { ...target, host: "db-2.internal" }, password: "rotated" })).toEqual({ changes: true, replaces: [] });
    expect(await tenantBackup.diff("acme-backup", good, { ...good })).toEqual({ changes: false, replaces: [] });
  });
});
