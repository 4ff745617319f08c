// The plan's data-safety rules alone: placement moves, what needs an acknowledgement, destructive
// statements per tenant, and rename detection.
import { describe, expect, it } from "vitest";
import { loadCatalog, readCatalogDir, type Catalog } from "../../../lib/catalog";
import { destructiveStatements } from "../../../lib/database/migration-lint";
import { parseMigrationFiles } from "../../../lib/database/migrations";
import { migrationRollout } from "../../../lib/database/rollout";
import { diffRegistrations } from "../../../lib/plan/diff";
import { looksRenamed } from "../../../lib/plan/lost-files";
import { buildPlan } from "../../../lib/plan/plan";
import { placementMoves, unusedAcknowledgements } from "../../../lib/plan/safety";
import { tenantRegistrations } from "./registrations";

function exampleCatalog(): Catalog {
  const loaded = loadCatalog(readCatalogDir("tenants"));
  if (!loaded.ok) throw new Error("the example catalog should be valid");
  return loaded.catalog;
}

const registrationsOf = (catalog: Catalog, version: (id: string) => number) =>
  catalog.tenants.flatMap((t) => tenantRegistrations(t.id, { isolation: t.database.isolation, migrations: version(t.id), protect: t.lifecycle.deletion_protection }));

describe("placementMoves", () => {
  it("lists each placement key that changes, from → to, with what would be copied", () => {
    const acme = exampleCatalog().tenants.find((t) => t.id === "acme")!;
    expect(placementMoves(acme, acme)).toEqual([]);
    const moved = { ...acme, region: "eu-central-1", database: { isolation: "shared" as const, server: "db2" } };
    expect(placementMoves(acme, moved).map((m) => [m.key, m.from, m.to, m.copies])).toEqual([
      ["database.isolation", "database", "shared", "every row of the tenant, from its database on server main into its rows in the shared schema on server db2"],
      ["database.server", "main", "db2", "every row of the tenant, from its database on server main into its rows in the shared schema on server db2"],
      ["region", "eu-west-1", "eu-central-1", "every object, into a bucket in eu-central-1"],
    ]);
    const prefix = { ...acme, storage: { ...acme.storage, mode: "prefix" as const } };
    expect(placementMoves(prefix, { ...prefix, region: "us-east-1" })[0].copies).toContain("left behind, the objects are invisible to the application and never removed");
  });
});

describe("buildPlan safety", () => {
  const migrations = parseMigrationFiles([
    { name: "0001_a.sql", text: "create table a (x int);" },
    { name: "0002_b.sql", text: "-- tenancy:destructive b replaces x\nALTER TABLE a DROP COLUMN x;\nDELETE FROM a;" },
  ]);
  const sql = new Map(migrations.map((m) => [m.file, m.sql]));

  it("lists the destructive statements of the files a tenant runs, as flags, not errors", () => {
    const base = exampleCatalog();
    const head = { ...base, tenants: base.tenants.map((t) => (t.id === "acme" ? { ...t, max_migration: 2 } : { ...t, max_migration: 1 })) };
    const before = { ...base, tenants: base.tenants.map((t) => ({ ...t, max_migration: 1 })) };
    const version = (c: Catalog) => (id: string) => c.tenants.find((t) => t.id === id)!.max_migration;
    const plan = buildPlan({
      base: "HEAD",
      baseCatalog: before,
      headCatalog: head,
      cells: ["default"],
      changes: diffRegistrations(registrationsOf(before, version(before)), registrationsOf(head, version(head))),
      rollout: migrationRollout({ tenants: before.tenants, migrations }, { tenants: head.tenants, migrations }),
      destructive: (file) => destructiveStatements(sql.get(file) ?? ""),
    });
    expect(plan.errors).toEqual([]);
    expect(plan.tenants.find((t) => t.id === "acme")!.destructive).toEqual([
      { file: "0002_b.sql", kind: "drop column", line: 2, col: 15, text: "ALTER TABLE a DROP COLUMN x", intended: "b replaces x" },
      { file: "0002_b.sql", kind: "delete without where", line: 3, col: 1, text: "DELETE FROM a" },
    ]);
    expect(plan.tenants.filter((t) => t.id !== "acme").every((t) => t.destructive.length === 0)).toBe(true);
  });

  it("refuses an update that replaces a data resource unless the tenant is acknowledged", () => {
    const catalog = exampleCatalog();
    const regs = registrationsOf(catalog, () => 3);
    const head = regs.map((r) => (r.name === "globex-bucket" ? { ...r, inputs: { ...r.inputs, bucket: "renamed" } } : r));
    const input = { base: "HEAD", baseCatalog: catalog, headCatalog: catalog, cells: ["default"], changes: diffRegistrations(regs, head), rollout: [] };
    expect(buildPlan(input).errors).toEqual(["globex: this change deletes or replaces Bucket globex-bucket with the data in it; acknowledge with --allow-data-loss globex"]);
    const acknowledged = buildPlan({ ...input, acknowledgements: { dataLoss: ["globex"] } });
    expect(acknowledged.errors).toEqual([]);
    expect(acknowledged.acknowledged.map((a) => a.acknowledged)).toEqual(["--allow-data-loss globex"]);
    // Another tenant's acknowledgement does not count.
    expect(buildPlan({ ...input, acknowledgements: { dataLoss: ["acme"], cellMove: ["globex"] } }).errors).toHaveLength(1);
  });
});

describe("looksRenamed", () => {
  it("matches a file whose content, apart from its id and comments, is mostly the old one's", () => {
    const old = "# the old name\nid: globex\nname: Globex\nplan: pro\nregion: us-east-1\ndatabase: { isolation: schema, server: main }\n";
    expect(looksRenamed(old, "id: globex-corp\nname: Globex\nplan: pro\nregion: us-east-1\ndatabase: { isolation: schema, server: main }\n")).toBe(true);
    expect(looksRenamed(old, "id: hooli\nname: Hooli\nplan: starter\nregion: eu-west-1\ndatabase: { isolation: schema, server: main }\n")).toBe(false);
    // A near-empty file says nothing about where it came from.
    expect(looksRenamed("id: a\nname: A\n", "id: b\nname: A\n")).toBe(false);
  });
});

describe("unusedAcknowledgements", () => {
  it("names each acknowledgement no finding used, and none that one did", () => {
    const findings = [
      { tenant: "acme", message: "acme: offboarding deletes ...", acknowledged: "--allow-data-loss acme" },
      { tenant: "globex", message: "globex: moving from cell ...", acknowledged: "--allow-cell-move globex" },
    ];
    expect(unusedAcknowledgements(findings, { dataLoss: ["acme", "initech"], cellMove: ["globex", "hooli"] })).toEqual([
      { tenant: "initech", message: expect.stringMatching(/^initech: nothing in this plan needs --allow-data-loss initech; remove it/), acknowledged: "--allow-data-loss initech" },
      { tenant: "hooli", message: expect.stringMatching(/^hooli: nothing in this plan needs --allow-cell-move hooli; remove it/), acknowledged: "--allow-cell-move hooli" },
    ]);
    expect(unusedAcknowledgements(findings, {})).toEqual([]);
  });
});
