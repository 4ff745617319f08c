// Staged rollout from the real catalog: `rollout.rings` in _defaults.yaml caps each tenant's
// version, and raising or lowering a ring shows exactly the tenants that will migrate.
import { expect, test } from "vitest";
import { loadCatalog, readCatalogDir, type Catalog } from "../../../lib/catalog";
import { loadMigrations, type Migration } from "../../../lib/database/migrations";
import { migrationRollout, type RolloutSide } from "../../../lib/database/rollout";
import { migrationsWith } from "../../integration/postgres/setup";

const files = readCatalogDir("tenants");

/** The catalog with `rollout.rings` (and optionally tenant files) replaced. */
function catalog(rings: string, edit: (name: string, text: string) => string = (_, t) => t): Catalog {
  const changed = files.map((f) => ({
    ...f,
    text: edit(f.name, f.name === "_defaults.yaml" ? f.text.replace(/rings: \{[^}]*\}/, `rings: ${rings}`) : f.text),
  }));
  const result = loadCatalog(changed);
  if (!result.ok) throw new Error(result.errors.map((e) => e.message).join("\n"));
  return result.catalog;
}

const side = (c: Catalog, migrations: Migration[]): RolloutSide => ({ tenants: c.tenants, migrations });
const current = loadMigrations();
const withFour = migrationsWith({ "0004_labels.sql": "CREATE TABLE labels (tenant_id text NOT NULL DEFAULT current_tenant_id(), label text);" });
const shipped = catalog("{ canary: 3, early: 3, stable: 3 }");

test("the shipped rings allow every shipped migration", () => {
  expect(shipped.tenants.map((t) => t.max_migration)).toEqual(shipped.tenants.map(() => current.length));
});

test("a first deploy migrates every tenant from 0 to its ring's version", () => {
  const steps = migrationRollout(null, side(shipped, current));
  expect(steps.map((s) => [s.tenant, s.from, s.to])).toEqual(shipped.tenants.map((t) => [t.id, 0, 3]));
  expect(steps[0].files).toEqual(["0001_tenant_profile.sql", "0002_projects.sql", "0003_invoices.sql"]);
});

test("a new migration reaches nobody until a ring is raised; then only that ring's tenants", () => {
  expect(migrationRollout(side(shipped, current), side(shipped, withFour))).toEqual([]);

  const canary = catalog("{ canary: 4, early: 3, stable: 3 }");
  expect(migrationRollout(side(shipped, withFour), side(canary, withFour))).toEqual([
    { tenant: "acme", isolation: "database", ring: "canary", from: 3, to: 4, direction: "up", files: ["0004_labels.sql"], missingDown: [], edited: [], held: false },
  ]);

  const early = catalog("{ canary: 4, early: 4, stable: 3 }");
  const steps = migrationRollout(side(canary, withFour), side(early, withFour));
  expect(steps.map((s) => `${s.tenant}:${s.ring}:${s.from}->${s.to}`)).toEqual(["initech:early:3->4"]);
});

test("lowering a ring runs down files in reverse, flags a missing one, and holds shared tenants", () => {
  const lowered = catalog("{ canary: 1, early: 1, stable: 3 }");
  const noDown = withFour.map((m) => (m.version === 2 ? { ...m, down: undefined } : m));
  const steps = migrationRollout(side(shipped, noDown), side(lowered, noDown));
  const acme = steps.find((s) => s.tenant === "acme")!;
  expect(acme).toMatchObject({ direction: "down", from: 3, to: 1, files: ["0003_invoices.down.sql"], missingDown: ["0002_projects.down.sql"] });
  // initech is in shared mode: the shared schema serves other tenants too and stays.
  const initech = steps.find((s) => s.tenant === "initech")!;
  expect(initech).toMatchObject({ isolation: "shared", direction: "down", files: [], missingDown: [], held: true });
  expect(steps.map((s) => s.tenant)).toEqual(["acme", "initech"]);
});

test("an applied migration edited since base is flagged for every tenant that has it", () => {
  const edited = current.map((m) => (m.version === 2 ? { ...m, checksum: "f".repeat(64) } : m));
  const steps = migrationRollout(side(shipped, current), side(shipped, edited));
  expect(steps.length).toBe(shipped.tenants.length);
  expect(steps.every((s) => s.from === 3 && s.to === 3 && s.edited.join() === "0002_projects.sql")).toBe(true);
});

test("a tenant moving to another isolation mode starts a new target from 0", () => {
  const moved = catalog("{ canary: 3, early: 3, stable: 3 }", (name, text) =>
    name === "globex.yaml" ? text.replace("isolation: schema", "isolation: database") : text,
  );
  expect(migrationRollout(side(shipped, current), side(moved, current))).toMatchObject([
    { tenant: "globex", isolation: "database", from: 0, to: 3, direction: "up" },
  ]);
});
