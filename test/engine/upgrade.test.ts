// An existing stack moves to the thin providers with one `pulumi up` that changes no data.
//
// The stack made here stands for one created by the code before the thin loader: its state is
// rewritten (`pulumi stack export` / `import`) the way that code left it: every dynamic resource
// carrying its fully serialized provider in its inputs and outputs, the migrations' SQL among
// TenantMigrations' inputs and outputs, and no server name in the database targets (a key added
// since). The serialized providers are the real ones of that code: fixtures/providers-2d23c7a.json.gz
// holds, per kind, what `serializeFunction` made of its provider object at commit 2d23c7a (the ten
// kinds of then; TenantPassword came later). Then the current program runs over it: updates only,
// the data untouched, the state's code gone.
import { readFileSync, writeFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadMigrations } from "../../lib/database/migrations";
import { deployCell, type CellTenant, type DeployedCell } from "./cell";
import { defaults, type Catalog } from "./catalog";
import { applicationTables } from "./tenant-data";

const CELL = "eu-3";
const TENANTS: CellTenant[] = [
  { id: "kappa", isolation: "schema" },
  { id: "lambda", isolation: "shared" },
];
const TABLES = ["tenant_profile", ...applicationTables(3)];

let cell: DeployedCell;

const catalog: Catalog = {
  defaults: defaults(CELL, { canary: 3, stable: 3 }),
  tenants: TENANTS.map(({ id, isolation }) => ({ id, name: `Tenant ${id}`, database: { isolation, server: "main" } })),
};

/** The state as the old code left it (see the header). */
function asOldCodeLeftIt(deployment: any, fat: Record<string, string>): void {
  const sql = loadMigrations().map((m) => ({ version: m.version, name: m.name, file: m.file, sql: m.sql, checksum: m.checksum, down: m.down ?? null }));
  for (const r of deployment.resources) {
    const kind = /^pulumi-nodejs:dynamic\/tenancy:(\w+)$/.exec(r.type)?.[1];
    if (!kind || !(kind in fat)) continue;
    for (const props of [r.inputs, r.outputs]) {
      props.__provider = fat[kind];
      if (kind === "TenantMigrations") props.migrations = sql.slice(0, props.targetVersion);
      if ("server" in props && "host" in props) delete props.server;
    }
  }
}

beforeAll(async () => {
  cell = await deployCell(CELL, () => catalog, TENANTS, { projects: 5, version: 3 });
}, 600_000);

afterAll(async () => {
  await cell?.dispose();
});

describe("upgrading a stack made with fully serialized providers", { timeout: 600_000 }, () => {
  it("one up: updates only, no data changed, the code gone from the state", async () => {
    const fat = JSON.parse(gunzipSync(readFileSync(join(__dirname, "fixtures", "providers-2d23c7a.json.gz"))).toString("utf8"));
    const { project, stack } = cell;
    const exported = JSON.parse(await stack.exportText());
    asOldCodeLeftIt(exported.deployment, fat);
    const file = join(project.dir, "..", "old-state.json");
    writeFileSync(file, JSON.stringify(exported));
    await stack.cmd(["stack", "import", "--file", file]);
    const oldBytes = Buffer.byteLength(await stack.exportText());
    const before = await cell.data(TABLES);

    const preview = await stack.preview();
    expect(preview.stdout).toMatch(/~ \d+ to update/);
    expect(preview.stdout).not.toMatch(/to replace|to delete|to create/);
    await stack.up();

    expect(await cell.data(TABLES)).toEqual(before);
    const state = await stack.exportText();
    const newBytes = Buffer.byteLength(state);
    // The fat code was most of the old state; what is left is a fraction of it.
    expect(newBytes).toBeLessThan(oldBytes / 5);
    for (const r of JSON.parse(state).deployment.resources) {
      if (!r.type.startsWith("pulumi-nodejs:dynamic")) continue;
      expect(String(r.outputs.__provider).length, r.urn).toBeLessThan(512);
      expect(r.outputs.migrations, r.urn).toBeUndefined();
    }
    await stack.preview(["--expect-no-changes"]);
  });
});
