// A tenant's resources on a database server are named by the server (naming.serverResource), so a
// tenant moved to another server gets new ones there instead of the engine keeping the old ones under
// a new provider. A stack deployed before has them under their earlier names: each carries an alias
// to its earlier URN, so the rename changes nothing on the server (no replacement of a database), and
// the plan (lib/plan/diff.ts) follows the alias as the engine does.
import { describe, expect, test } from "vitest";
import { evaluate } from "../../../lib/plan/evaluate";
import { registerProgram } from "../../../lib/program";
import { catalogOf, exampleConfig } from "../tenancy-fixtures";

describe("resources on a database server", async () => {
  const catalog = catalogOf({
    "db-tenant": { database: { isolation: "database", server: "main" } },
    "schema-tenant": { database: { isolation: "schema", server: "main" } },
    "shared-tenant": { database: { isolation: "shared", server: "main" } },
  });
  const ev = await evaluate(() => registerProgram(catalog, exampleConfig()), { stack: "eu-1" });
  const tenantOwned = ev.registrations.filter((r) => r.custom && r.type.startsWith("postgresql:") && r.urn.includes("tenancy:database:TenantDatabase$"));

  test("are named <tenant>-<part>@<server>", () => {
    expect(tenantOwned.map((r) => r.name).sort()).toEqual(
      [
        "db-tenant-role@main",
        "db-tenant-admin-member@main",
        "db-tenant-database@main",
        "db-tenant-revoke-public@main",
        "schema-tenant-role@main",
        "schema-tenant-schema@main",
        "schema-tenant-connect@main",
        "schema-tenant-schema-usage@main",
        "shared-tenant-role@main",
        "shared-tenant-admin-member@main",
      ].sort(),
    );
  });

  test("each has an alias to the URN it had before, under the same parent: the rename replaces nothing", () => {
    for (const r of tenantOwned) {
      const before = r.urn.replace(/@main$/, "");
      expect(before, r.name).not.toBe(r.urn);
      expect(r.aliases, r.name).toEqual([before]);
    }
  });

  test("the server's own shared objects keep their names", () => {
    const server = ev.registrations.filter((r) => r.custom && r.urn.includes("tenancy:database:DatabaseServer$"));
    expect(server.length).toBeGreaterThan(0);
    for (const r of server) expect(r.name, r.name).not.toContain("@");
  });
});
