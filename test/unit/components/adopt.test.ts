// `adopt:` under Pulumi's mocks (lib/plan/evaluate.ts): the adopted database, schema and bucket are
// registered with the `import` option under the names that exist, the organization keeps its own
// name, the migrations baseline at the stated version; a tenant without `adopt:` imports nothing.
import { describe, expect, test } from "vitest";
import { databaseArgProblems } from "../../../components/database/args";
import { evaluate, type Evaluation } from "../../../lib/plan/evaluate";
import { registerProgram } from "../../../lib/program";
import { catalogOf, exampleConfig } from "../tenancy-fixtures";

const custom = (ev: Evaluation, name: string) => {
  const found = ev.registrations.filter((r) => r.custom && r.name === name);
  if (found.length !== 1) throw new Error(`${found.length} custom resources named ${name}`);
  return found[0]!;
};

describe("adopt: in the program", () => {
  const catalog = catalogOf({
    "old-db": {
      database: { isolation: "database", server: "main" },
      storage: { mode: "bucket", versioning: true, noncurrent_days: 30 },
      adopt: { database: "tenant_old_db", schema: "tenant_old_db", migration_version: 2, bucket: "legacy-uploads-eu", organization: "old-db-customers" },
    },
    "old-schema": { database: { isolation: "schema", server: "main" }, adopt: { schema: "tenant_old_schema", migration_version: 3 } },
    fresh: { database: { isolation: "database", server: "main" }, storage: { mode: "bucket", versioning: true, noncurrent_days: 30 } },
  });

  test("imports what exists under the names it has, and baselines the migrations", async () => {
    const ev = await evaluate(() => registerProgram(catalog, exampleConfig()));
    expect(custom(ev, "old-db-database@main")).toMatchObject({ importId: "tenant_old_db", inputs: { name: "tenant_old_db" } });
    expect(custom(ev, "old-db-bucket")).toMatchObject({ importId: "legacy-uploads-eu", inputs: { bucket: "legacy-uploads-eu" } });
    expect(custom(ev, "old-db-organization").inputs).toMatchObject({ tenantId: "old-db", adoptedName: "old-db-customers" });
    expect(custom(ev, "old-db-migrations").inputs).toMatchObject({ baselineVersion: 2, targetVersion: 3 });
    expect(custom(ev, "old-schema-schema@main")).toMatchObject({ importId: "tenancy_schemas.tenant_old_schema", inputs: { name: "tenant_old_schema", database: "tenancy_schemas" } });
    expect(custom(ev, "old-schema-migrations").inputs).toMatchObject({ baselineVersion: 3 });
  });

  test("only the adopted objects are imported; a tenant without adopt: is created as before", async () => {
    const ev = await evaluate(() => registerProgram(catalog, exampleConfig()));
    const imported = ev.registrations.filter((r) => r.importId !== undefined).map((r) => `${r.name} <- ${r.importId}`);
    expect(imported.sort()).toEqual(["old-db-bucket <- legacy-uploads-eu", "old-db-database@main <- tenant_old_db", "old-schema-schema@main <- tenancy_schemas.tenant_old_schema"]);
    expect(custom(ev, "fresh-bucket").inputs.bucket).toBe("example-tenancy-fresh");
    expect(custom(ev, "fresh-migrations").inputs.baselineVersion).toBeUndefined();
    expect(custom(ev, "fresh-organization").inputs.adoptedName).toBeUndefined();
  });
});

describe("databaseArgProblems: adopt", () => {
  const args = { tenantId: "acme", isolation: "schema" as const, maxMigration: 3, suspended: false, protection: { protect: false, retainOnDelete: false } };
  test("refuses what the isolation mode has not, and a baseline above the cap", () => {
    expect(databaseArgProblems({ ...args, adopt: { schema: true, migrationVersion: 3 } })).toEqual([]);
    expect(databaseArgProblems({ ...args, adopt: { database: true, migrationVersion: 4 } })).toEqual([
      "adopt.database: isolation schema has no database of its own",
      "adopt.migrationVersion must be a whole number from 0 to maxMigration (3), got 4",
    ]);
    expect(databaseArgProblems({ ...args, isolation: "shared", adopt: { schema: true } })).toEqual(["adopt.schema: isolation shared has no schema of its own"]);
  });
});
