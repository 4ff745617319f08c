// registerProgramAsync (a turn of the event loop after each tenant, how the plan evaluates the
// program) and the `tenants` option (only some Tenant components, how a scoped plan evaluates it)
// register exactly what registerProgram registers.
import { describe, expect, test } from "vitest";
import { generatedCatalog } from "../../../bench/program";
import type { Catalog } from "../../../lib/catalog";
import { evaluate, type Evaluation } from "../../../lib/plan/evaluate";
import { registerProgram, registerProgramAsync } from "../../../lib/program";
import { exampleCatalog, exampleConfig } from "../tenancy-fixtures";

const byUrn = (ev: Evaluation) => [...ev.registrations].sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0));

/** The example catalog (a parent and its child, every mode) and 36 generated tenants of every combination. */
const catalogs: [string, () => Catalog][] = [
  ["the example catalog", exampleCatalog],
  ["36 generated tenants", () => generatedCatalog(36, ["default"])],
];

describe.each(catalogs)("%s", async (_, catalogFn) => {
  const catalog = catalogFn();
  const config = exampleConfig();
  const sync = await evaluate(() => registerProgram(catalog, config), { stack: "default" });

  test("registerProgramAsync registers the same resources, with the same inputs, options and dependencies, and returns the same outputs", async () => {
    const turned = await evaluate(() => registerProgramAsync(catalog, config), { stack: "default" });
    expect(byUrn(turned)).toEqual(byUrn(sync));
    expect([turned.exports, turned.secretExports]).toEqual([sync.exports, sync.secretExports]);
  });

  test("the tenants option registers those tenants as the whole program does, and every shared resource", async () => {
    const withParent = catalog.tenants.find((t) => t.parent)?.id;
    const chosen = new Set([catalog.tenants[0].id, ...(withParent ? [withParent, catalog.tenants.find((t) => t.id === withParent)!.parent!] : [])]);
    const some = await evaluate(() => registerProgramAsync(catalog, config, { tenants: chosen }), { stack: "default" });
    const tenantUrns = new Map(sync.registrations.filter((r) => r.type === "tenancy:index:Tenant").map((r) => [r.urn, r.name]));
    const ownerOf = (urns: readonly string[]) => urns.map((u) => tenantUrns.get(u)).find((id) => id !== undefined);
    const expected = sync.registrations.filter((r) => {
      const owner = ownerOf([r.urn, ...r.ancestors]);
      return owner === undefined || chosen.has(owner);
    });
    expect(byUrn(some)).toEqual(expected.sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0)));
    expect(Object.keys((some.exports as { tenants: object }).tenants).sort()).toEqual([...chosen].sort());
  });
});

test("the tenants option refuses a tenant without its parent", async () => {
  const catalog = exampleCatalog();
  const child = catalog.tenants.find((t) => t.parent)!;
  await expect(evaluate(() => registerProgram(catalog, exampleConfig(), { tenants: new Set([child.id]) }))).rejects.toThrow(
    `tenant ${child.id} is to be registered without its parent ${child.parent}`,
  );
});
