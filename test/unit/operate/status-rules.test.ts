// The pure rules of `tenancy status`: which tables a migration version leaves, when a tenant is
// unhealthy and why, the cell summary, the usage lines and the three formats.
import { describe, expect, it } from "vitest";
import { loadMigrations } from "../../../lib/database/migrations";
import {
  cellSummaries,
  expectedTables,
  formatBytes,
  formatStatusJson,
  formatStatusMarkdown,
  formatStatusText,
  tenantHealth,
  usageLines,
  type TenantObservation,
} from "../../../lib/operate/status-rules";

const MIGRATIONS = loadMigrations();

function seen(over: Partial<TenantObservation> = {}, expected: Partial<TenantObservation["expected"]> = {}): TenantObservation {
  return {
    expected: { id: "acme", cell: "eu-1", plan: "pro", isolation: "schema", storageMode: "prefix", status: "active", targetVersion: 3, organization: "acme", ...expected },
    database: { reachable: true, version: 3, tables: ["invoices", "projects", "tenant_profile"], bytes: 8192, canLogin: true },
    storage: { reachable: true, bucketExists: true, objects: 2, bytes: 2048 },
    identity: { reachable: true, identityTenant: true, organization: { id: "org_1", name: "acme", status: "active" }, members: 2, entities: "in-sync" },
    ...over,
  };
}

describe("expectedTables", () => {
  it("follows the repository's migrations version by version", () => {
    expect(expectedTables(MIGRATIONS, 0)).toEqual([]);
    expect(expectedTables(MIGRATIONS, 1)).toEqual(["tenant_profile"]);
    expect(expectedTables(MIGRATIONS, 3)).toEqual(["invoices", "projects", "tenant_profile"]);
  });

  it("applies CREATE, DROP and RENAME in order, folds unquoted names, ignores comments", () => {
    const m = [
      { version: 1, sql: "-- CREATE TABLE commented (x int);\nCREATE TABLE Orders (id int);\ncreate unlogged table if not exists \"Cache\" (k text);" },
      { version: 2, sql: "ALTER TABLE orders RENAME TO purchases; DROP TABLE IF EXISTS \"Cache\"; CREATE TABLE tmp (x int); DROP TABLE tmp;" },
      { version: 3, sql: "CREATE TABLE later (x int);" },
    ];
    expect(expectedTables(m, 1)).toEqual(["Cache", "orders"]);
    expect(expectedTables(m, 2)).toEqual(["purchases"]);
  });
});

describe("tenantHealth", () => {
  it("a tenant as the catalog expects it is healthy, with nothing to say", () => {
    expect(tenantHealth(seen(), MIGRATIONS)).toMatchObject({ healthy: true, problems: [], notes: [] });
  });

  it("each service that does not answer is a problem of its own, with its reason", () => {
    const status = tenantHealth(
      seen({ database: { reachable: false, error: "connect ECONNREFUSED 127.0.0.1:5432" }, storage: { reachable: false, error: "AccessDenied: HTTP 403" }, identity: { reachable: false, error: "HTTP 503" } }),
      MIGRATIONS,
    );
    expect(status.healthy).toBe(false);
    expect(status.problems).toEqual(["database unreachable: connect ECONNREFUSED 127.0.0.1:5432", "storage unreachable: AccessDenied: HTTP 403", "identity unreachable: HTTP 503"]);
  });

  it("a missing table, missing bookkeeping or a missing role is unhealthy; a version off target is only a note", () => {
    const db = (over: object) => ({ database: { reachable: true as const, version: 3, tables: ["invoices", "projects", "tenant_profile"], bytes: 1, canLogin: true, ...over } });
    expect(tenantHealth(seen(db({ tables: ["projects", "tenant_profile"] })), MIGRATIONS).problems).toEqual(["database: table(s) invoices missing at migration version 3 (dropped outside the migrations)"]);
    expect(tenantHealth(seen(db({ version: null, tables: [] })), MIGRATIONS).problems).toEqual([
      "database: no migration bookkeeping (schema_migrations): the tenant's schema is gone or was never migrated",
    ]);
    expect(tenantHealth(seen(db({ canLogin: null })), MIGRATIONS).problems).toEqual(["database: the tenant's login role does not exist"]);
    const behind = tenantHealth(seen(db({ version: 2, tables: ["projects", "tenant_profile"] })), MIGRATIONS);
    expect(behind).toMatchObject({ healthy: true, notes: ["migrations pending: at 2, target 3 (the next deploy applies them)"] });
  });

  it("suspension must be in force where the catalog says suspended, and only there", () => {
    const suspended = { status: "suspended" as const };
    const org = (status: string) => ({ identity: { reachable: true as const, identityTenant: true, organization: { id: "o", name: "acme", status }, members: 0, entities: "in-sync" as const } });
    expect(tenantHealth(seen(org("suspended"), suspended), MIGRATIONS).problems).toEqual(["suspension not in force: the tenant's role can log in while the tenant is suspended"]);
    const closed = seen({ ...org("suspended"), database: { reachable: true, version: 3, tables: ["invoices", "projects", "tenant_profile"], bytes: 1, canLogin: false } }, suspended);
    expect(tenantHealth(closed, MIGRATIONS)).toMatchObject({ healthy: true, notes: [] });
    expect(tenantHealth(seen(org("suspended")), MIGRATIONS).problems).toEqual(["identity: organization acme is suspended, the catalog says active"]);
  });

  it("identity: no tenant record, no organization, drifted entities; a missing bucket", () => {
    const status = tenantHealth(
      seen({ identity: { reachable: true, identityTenant: false, organization: null, members: 0, entities: "drifted" }, storage: { reachable: true, bucketExists: false, objects: 0, bytes: 0 } }, { storageMode: "bucket" }),
      MIGRATIONS,
    );
    expect(status.problems).toEqual([
      "storage: the tenant's bucket does not exist",
      "identity: no identity tenant record acme on the identity server",
      "identity: organization acme not found on the control plane",
      "identity: synced entities (roles, APIs) drifted from _control-plane.yaml",
    ]);
  });
});

describe("summaries, usage and formats", () => {
  const healthy = tenantHealth(seen(), MIGRATIONS);
  const broken = tenantHealth(seen({ storage: { reachable: false, error: "timeout | late" } }, { id: "bad-co", organization: "bad-co" }), MIGRATIONS);
  const other = tenantHealth(seen({}, { id: "zeta", cell: "us-1" }), MIGRATIONS);

  it("one summary per cell, unreachable figures left out of the sums", () => {
    expect(cellSummaries([healthy, broken, other])).toEqual([
      { cell: "eu-1", tenants: 2, healthy: 1, unhealthy: ["bad-co"], databaseBytes: 16384, storageBytes: 2048, storageObjects: 2, members: 4 },
      { cell: "us-1", tenants: 1, healthy: 1, unhealthy: [], databaseBytes: 8192, storageBytes: 2048, storageObjects: 2, members: 2 },
    ]);
  });

  it("a usage line per tenant: null where the figure could not be read, api_calls null (no source)", () => {
    const lines = usageLines([healthy, broken], "2026-11-25T00:00:00.000Z").trimEnd().split("\n").map((l) => JSON.parse(l));
    expect(lines).toEqual([
      { time: "2026-11-25T00:00:00.000Z", tenant: "acme", cell: "eu-1", plan: "pro", database_bytes: 8192, storage_bytes: 2048, storage_objects: 2, active_users: 2, api_calls: null },
      { time: "2026-11-25T00:00:00.000Z", tenant: "bad-co", cell: "eu-1", plan: "pro", database_bytes: 8192, storage_bytes: null, storage_objects: null, active_users: 2, api_calls: null },
    ]);
  });

  it("text, markdown and json say the same: problems, the cell summary, overall health", () => {
    const text = formatStatusText([healthy, broken]);
    expect(text.split("\n")[0]).toMatch(/^tenant +health +status +migrations \/ database +storage +identity$/);
    expect(text).toContain("bad-co: storage unreachable: timeout | late");
    expect(text).toContain("cell eu-1: 2 tenant(s), 1 healthy, 1 unhealthy (bad-co); database 16.0 KiB, storage 2 object(s) 2.0 KiB, 4 member(s)");
    const md = formatStatusMarkdown([healthy, broken]);
    expect(md).toContain("- **bad-co**: storage unreachable: timeout \\| late");
    expect(md.split("\n").filter((l) => l.startsWith("| "))).toHaveLength(3);
    expect(JSON.parse(formatStatusJson([healthy, broken]))).toMatchObject({ healthy: false, cells: [{ cell: "eu-1", unhealthy: ["bad-co"] }] });
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(5 * 1024 ** 3)).toBe("5.0 GiB");
  });
});
