// The plan's data-safety rules alone: placement moves (carried out, or refused with what to do
// instead), what needs an acknowledgement, destructive statements per tenant, and rename detection.
import { describe, expect, it } from "vitest";
import { loadCatalog, readCatalogDir, type Catalog } from "../../../lib/catalog";
import { destructiveStatements } from "../../../lib/database/migration-lint";
import { parseMigrationFiles } from "../../../lib/database/migrations";
import { migrationRollout } from "../../../lib/database/rollout";
import { diffRegistrations } from "../../../lib/plan/diff";
import { looksRenamed } from "../../../lib/plan/lost-files";
import { buildPlan } from "../../../lib/plan/plan";
import { moveMaintenance } from "../../../lib/plan/move-estimate";
import { moveRefusals, placementMoves, unusedAcknowledgements, type MoveSide } from "../../../lib/plan/safety";
import type { Registration } from "../../../lib/plan/evaluate";
import { reg, tenantRegistrations } from "./registrations";

function exampleCatalog(): Catalog {
  const loaded = loadCatalog(readCatalogDir("tenants"));
  if (!loaded.ok) throw new Error("the example catalog should be valid");
  return loaded.catalog;
}

const registrationsOf = (catalog: Catalog, version: (id: string) => number) =>
  catalog.tenants.flatMap((t) => tenantRegistrations(t.id, { isolation: t.database.isolation, migrations: version(t.id), protect: t.lifecycle.deletion_protection }));

const tenant = (id: string) => exampleCatalog().tenants.find((t) => t.id === id)!;

describe("placementMoves", () => {
  it("lists each placement key that changes, from → to, with what the move copies and its maintenance", () => {
    const acme = tenant("acme");
    expect(placementMoves(acme, acme)).toEqual([]);
    const moved = { ...acme, region: "eu-central-1", database: { isolation: "shared" as const, server: "db2" }, storage: { ...acme.storage, mode: "prefix" as const } };
    expect(placementMoves(acme, moved).map((m) => [m.key, m.from, m.to, m.copies])).toEqual([
      ["database.isolation", "database", "shared", "every row of the tenant, from its database on server main into its rows in the shared schema on server db2"],
      ["database.server", "main", "db2", "every row of the tenant, from its database on server main into its rows in the shared schema on server db2"],
      ["storage.mode", "bucket", "prefix", "every object, from its own bucket in eu-west-1 into its prefix of the cell's shared bucket in eu-central-1"],
      ["region", "eu-west-1", "eu-central-1", "every object, from its own bucket in eu-west-1 into its prefix of the cell's shared bucket in eu-central-1"],
    ]);
    // A prefix moving region goes to the new region's shared bucket; the old prefix is emptied, not left behind.
    const prefix = tenant("initech");
    expect(placementMoves(prefix, { ...prefix, region: "us-east-1" })[0].copies).toBe(
      "every object, from its prefix of the cell's shared bucket in eu-west-1 into its prefix of the cell's shared bucket in us-east-1",
    );
  });

  it("gives every move the tenant's maintenance, and its size when known", () => {
    const globex = tenant("globex");
    const [unknown] = placementMoves(globex, { ...globex, database: { ...globex.database, server: "db2" } });
    expect(unknown.maintenance).toBe(moveMaintenance(undefined));
    expect(unknown).not.toHaveProperty("bytes");
    const sized = placementMoves(globex, { ...globex, database: { isolation: "database", server: "db2" } }, 3_200_000_000);
    expect(sized.map((m) => [m.maintenance, m.bytes])).toEqual([
      ["about 11 min (3.2 GB of rows and objects at about 5 MB/s, plus 1 s)", 3_200_000_000],
      ["about 11 min (3.2 GB of rows and objects at about 5 MB/s, plus 1 s)", 3_200_000_000],
    ]);
  });
});

describe("moveRefusals", () => {
  const side = (id: string, change: (t: MoveSide) => Partial<MoveSide> = () => ({})): MoveSide => {
    const t = tenant(id);
    return { ...t, lifecycle: { ...t.lifecycle, deletion_protection: false }, ...change(t) };
  };
  const refusals = (before: MoveSide, after: MoveSide) => moveRefusals(before, after);
  const NO_ACK = "No acknowledgement lets this move through: --allow-data-loss cannot make it work";

  it("refuses a region change of a tenant in bucket mode before and after, and says to go through prefix mode", () => {
    const globex = side("globex");
    const [message, ...rest] = refusals(globex, { ...globex, region: "eu-west-1" });
    expect(rest).toEqual([]);
    expect(message).toBe(
      "globex: region us-east-1 → eu-west-1 cannot be carried out by pulumi up: its own bucket would have to move from us-east-1 to eu-west-1, " +
        "but S3 bucket names are global and a bucket cannot change region, so the new bucket (the same name) cannot exist next to the old one. " +
        "Instead, move it in two changes: storage.mode: prefix together with region: eu-west-1 (its objects go to the cell's shared bucket in eu-west-1), deployed; " +
        `then storage.mode: bucket (see docs/runbooks.md#moving-a-tenant). ${NO_ACK}`,
    );
  });

  it("carries out a region change that leaves or reaches a prefix, or stays in one", () => {
    const globex = side("globex");
    const prefixed = (t: MoveSide): MoveSide => ({ ...t, storage: { ...t.storage, mode: "prefix" } });
    expect(refusals(globex, prefixed({ ...globex, region: "eu-west-1" }))).toEqual([]);
    expect(refusals(prefixed(globex), { ...globex, region: "eu-west-1" })).toEqual([]);
    expect(refusals(prefixed(globex), prefixed({ ...globex, region: "eu-west-1" }))).toEqual([]);
    // Other moves of a tenant in bucket mode are carried out too.
    expect(refusals(globex, { ...globex, database: { isolation: "database", server: "db2" } })).toEqual([]);
  });

  it("refuses any move of a tenant protected at the base, even when the change lifts the protection", () => {
    const acme = side("acme", (t) => ({ lifecycle: { ...t.lifecycle, deletion_protection: true } }));
    const lifted = side("acme", () => ({ database: { isolation: "schema", server: "main" } }));
    const [message, ...rest] = refusals(acme, lifted);
    expect(rest).toEqual([]);
    expect(message).toMatch(/^acme: database\.isolation database → schema cannot be carried out by pulumi up: the tenant has lifecycle\.deletion_protection: true at the base, /);
    expect(message).toContain("Instead, set deletion_protection: false in a change of its own and deploy it, then move (and protect it again after)");
    expect(message).toContain(NO_ACK);
    // Protected only at the head: the deployed state is not protected, so the move is carried out.
    expect(refusals(side("acme"), { ...acme, database: { isolation: "schema", server: "main" } })).toEqual([]);
  });

  it("refuses a move in the same change as a migration version change, and says to deploy one after the other", () => {
    const initech = side("initech");
    const [message, ...rest] = refusals(initech, { ...initech, max_migration: 4, database: { ...initech.database, isolation: "schema" } });
    expect(rest).toEqual([]);
    expect(message).toContain("its migration version changes in the same change (3 → 4), and the copy needs the old and the new place at the same version");
    expect(message).toContain("Instead, deploy the ring (migration) change first, then the move, or the move first, then the ring change");
    expect(message).toContain(NO_ACK);
    // A ring change without a move is no move to refuse.
    expect(refusals(initech, { ...initech, max_migration: 4 })).toEqual([]);
  });

  it("gives each reason its own error", () => {
    const globex = side("globex", (t) => ({ lifecycle: { ...t.lifecycle, deletion_protection: true } }));
    expect(refusals(globex, { ...globex, region: "eu-west-1", max_migration: 2 })).toHaveLength(3);
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

describe("buildPlan with a tenant move", () => {
  /** The registrations of a catalog whose place-keyed resources carry the TenantMove guard (providers/kit.ts MOVE_GUARD), or not. */
  const registrations = (catalog: Catalog, guarded = true): Registration[] =>
    registrationsOf(catalog, () => 3).map((r) => (guarded && r.type.endsWith(":TenantMigrations") ? { ...r, inputs: { ...r.inputs, moveGuard: true } } : r));
  const moving = (id: string, change: Partial<Catalog["tenants"][number]>) => {
    const base = exampleCatalog();
    return { base, head: { ...base, tenants: base.tenants.map((t) => (t.id === id ? { ...t, ...change } : t)) } };
  };
  const planOf = (base: Catalog, head: Catalog, options: { baseRegs?: Registration[]; headRegs?: Registration[]; dataLoss?: string[]; cellMove?: string[] } = {}) =>
    buildPlan({
      base: "HEAD",
      baseCatalog: base,
      headCatalog: head,
      cells: ["default", "eu-2"],
      changes: diffRegistrations(options.baseRegs ?? registrations(base), options.headRegs ?? registrations(head)),
      rollout: [],
      acknowledgements: { dataLoss: options.dataLoss, cellMove: options.cellMove },
    });
  const globexToDatabase = () => moving("globex", { database: { isolation: "database", server: "main" } });

  it("carries out a guarded move: shown with its maintenance, no error, its old place's deletion is no data loss", () => {
    const { base, head } = globexToDatabase();
    const plan = planOf(base, head);
    expect(plan.errors).toEqual([]);
    expect(plan.acknowledged).toEqual([]);
    const globex = plan.tenants.find((t) => t.id === "globex")!;
    expect(globex.moves.map((m) => [m.key, m.maintenance])).toEqual([["database.isolation", moveMaintenance(undefined)]]);
    expect(globex.moveRefusals).toEqual([]);
    // The schema is deleted once the move copied its rows: still listed, not an error.
    expect(globex.dataLoss.map((c) => c.name)).toEqual(["globex-schema"]);
  });

  it("lists an --allow-data-loss given for a tenant whose only finding is a carried move as unused", () => {
    const { base, head } = globexToDatabase();
    const plan = planOf(base, head, { dataLoss: ["globex"] });
    expect(plan.errors).toEqual([]);
    expect(plan.acknowledged).toEqual([
      { tenant: "globex", message: expect.stringMatching(/^globex: nothing in this plan needs --allow-data-loss globex; remove it/), acknowledged: "--allow-data-loss globex" },
    ]);
  });

  it("still refuses another data resource deleted or replaced in the same change", () => {
    const { base, head } = globexToDatabase();
    const headRegs = registrations(head).map((r) => (r.name === "globex-bucket" ? { ...r, inputs: { ...r.inputs, bucket: "renamed" } } : r));
    expect(planOf(base, head, { headRegs }).errors).toEqual(["globex: this change deletes or replaces Bucket globex-bucket with the data in it; acknowledge with --allow-data-loss globex"]);
  });

  it("refuses a move whose resources no TenantMove guards at the base, as their providers do, unless acknowledged", () => {
    const { base, head } = globexToDatabase();
    const plan = planOf(base, head, { baseRegs: registrations(base, false) });
    expect(plan.errors).toEqual([
      "globex: TenantMigrations globex-migrations (isolation) would change where the tenant's data is, which its provider refuses: no TenantMove guards it (moveGuard) " +
        "at the base, whose state was deployed before the guard existed: deploy the code alone first, then the move (see docs/runbooks.md#moving-a-tenant); " +
        "once it is moved, acknowledge with --allow-data-loss globex",
    ]);
    expect(planOf(base, head, { baseRegs: registrations(base, false), dataLoss: ["globex"] }).errors).toEqual([]);
    // Unguarded in this change's program: said so.
    expect(planOf(base, head, { headRegs: registrations(head, false) }).errors[0]).toContain("no TenantMove guards it (moveGuard) in this change's program");
  });

  it("keeps a place change without a catalog move refused, as before, unless acknowledged", () => {
    const base = exampleCatalog();
    const headRegs = registrations(base).map((r) => (r.name === "globex-migrations" ? { ...r, inputs: { ...r.inputs, moveGuard: undefined, schema: "elsewhere" } } : r));
    const message =
      "globex: TenantMigrations globex-migrations (schema) would change where the tenant's data is, which its provider refuses as a tenant move (see docs/runbooks.md#moving-a-tenant); " +
      "once it is moved, acknowledge with --allow-data-loss globex";
    expect(planOf(base, base, { headRegs }).errors).toEqual([message]);
    expect(planOf(base, base, { headRegs, dataLoss: ["globex"] }).acknowledged).toEqual([{ tenant: "globex", message, acknowledged: "--allow-data-loss globex" }]);
  });

  it("shows a place change that comes from code or stack config, not the catalog, as a move too: what its TenantMove copies, from → to", () => {
    const base = exampleCatalog();
    const regs = registrations(base);
    const globex = regs.find((r) => r.type === "tenancy:index:Tenant" && r.name === "globex")!;
    const target = { server: "main", host: "db", port: 5432, user: "admin", sslmode: "disable", isolation: "schema", database: "tenancy_schemas", schema: "tenant_globex", tenantId: "globex", role: "tenant_globex", ownerRole: "tenancy_owner", appRole: "tenancy_app" };
    const objects = { bucket: "example-globex", prefix: "", region: "us-east-1", versioning: false };
    const move = (t: object) => reg("pulumi-nodejs:dynamic/tenancy:TenantMove", "globex-move", globex, { tenantId: "globex", target: t, objects });
    const elsewhere = (r: Registration): Registration => (r.name === "globex-migrations" ? { ...r, inputs: { ...r.inputs, schema: "elsewhere" } } : r);
    const plan = planOf(base, base, { baseRegs: [...regs, move(target)], headRegs: [...regs.map(elsewhere), move({ ...target, schema: "elsewhere" })] });
    expect(plan.errors).toEqual([]);
    const moves = plan.tenants.find((t) => t.id === "globex")!.moves;
    expect(moves).toEqual([
      {
        key: "place",
        from: "schema tenancy_schemas.tenant_globex on server main, s3://example-globex/ in us-east-1",
        to: "schema tenancy_schemas.elsewhere on server main, s3://example-globex/ in us-east-1",
        copies: "every row and object of the tenant, from schema tenancy_schemas.tenant_globex on server main, s3://example-globex/ in us-east-1 into schema tenancy_schemas.elsewhere on server main, s3://example-globex/ in us-east-1",
        maintenance: moveMaintenance(undefined),
      },
    ]);
    // The old place's deletion (a schema the code no longer registers) is the move's, not data lost.
    const withoutSchema = [...regs.map(elsewhere).filter((r) => r.name !== "globex-schema"), move({ ...target, schema: "elsewhere" })];
    const dropped = planOf(base, base, { baseRegs: [...regs, move(target)], headRegs: withoutSchema });
    expect(dropped.tenants.find((t) => t.id === "globex")!.dataLoss.map((c) => c.name)).toEqual(["globex-schema"]);
    expect(dropped.errors).toEqual([]);
    // How the place is reached is no move: the provider's own rule (providers/move/move.ts) decides.
    const readdressed = planOf(base, base, { baseRegs: [...regs, move(target)], headRegs: [...regs, move({ ...target, host: "db.internal" })] });
    expect(readdressed.tenants.find((t) => t.id === "globex")?.moves ?? []).toEqual([]);
  });

  it("refuses a protected tenant's move once, as a move, and no acknowledgement waves it through", () => {
    const { base, head } = moving("acme", { database: { isolation: "schema", server: "main" } });
    const plan = planOf(base, head, { dataLoss: ["acme"] });
    // Not also as "acme-database is protected and this change would delete it": one error per cause.
    expect(plan.errors).toEqual([expect.stringMatching(/^acme: database\.isolation database → schema cannot be carried out by pulumi up: the tenant has lifecycle\.deletion_protection: true/)]);
    expect(plan.tenants.find((t) => t.id === "acme")!.moveRefusals).toEqual(plan.errors);
    expect(plan.acknowledged.map((a) => a.message)).toEqual([expect.stringMatching(/^acme: nothing in this plan needs --allow-data-loss acme/)]);
  });

  it("refuses a region change in bucket mode and a move with a ring change, whatever is acknowledged", () => {
    const region = moving("globex", { region: "eu-west-1" });
    const headRegs = registrations(region.head).map((r) => (r.name === "globex-bucket" ? { ...r, inputs: { ...r.inputs, region: "eu-west-1" } } : r));
    expect(planOf(region.base, region.head, { headRegs, dataLoss: ["globex"] }).errors).toEqual([expect.stringContaining("S3 bucket names are global and a bucket cannot change region")]);
    const ring = moving("initech", { max_migration: 4, database: { isolation: "schema", server: "main" } });
    expect(planOf(ring.base, ring.head, { dataLoss: ["initech"] }).errors).toEqual([expect.stringContaining("its migration version changes in the same change (3 → 4)")]);
  });

  it("keeps a cell move needing --allow-cell-move when the tenant's place changes too", () => {
    const { base, head } = moving("globex", { cell: "eu-2", database: { isolation: "database", server: "main" } });
    const headRegs = registrations(head).map((r) => (r.urn.includes("::globex") || r.name.startsWith("globex") ? { ...r, urn: r.urn.replace("urn:pulumi:default::", "urn:pulumi:eu-2::") } : r));
    const refused = planOf(base, head, { headRegs });
    expect(refused.errors).toEqual([expect.stringMatching(/^globex: moving from cell default deletes .*Schema globex-schema.*acknowledge with --allow-cell-move globex once it is$/)]);
    expect(planOf(base, head, { headRegs, cellMove: ["globex"] }).errors).toEqual([]);
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
