// The estimate that sizes cells must be the count the program really registers: run the program
// under Pulumi's mocks and count, per tenant and per cell.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { Catalog } from "../../../lib/catalog";
import { cellReport, estimateCellOverhead, estimateTenantResources } from "../../../lib/cells";
import { parseTenancyConfig, rawConfigFromStackFile } from "../../../lib/config";
import { evaluate } from "../../../lib/plan/evaluate";
import { catalogFromDir, registerProgram, tenantsOfCell } from "../../../lib/program";
import { generatedCatalog } from "../../../bench/program";

const config = parseTenancyConfig(rawConfigFromStackFile(readFileSync("Pulumi.example.yaml", "utf8")));
const HINT = "the components changed what they register: update TENANT_RESOURCES / CELL_RESOURCES in lib/cells/estimate.ts";

/** Per cell: resources registered under each tenant's Tenant component (itself included), and the rest. */
async function realCounts(catalog: Catalog): Promise<Map<string, { perTenant: Record<string, number>; overhead: number; total: number }>> {
  const counts = new Map<string, { perTenant: Record<string, number>; overhead: number; total: number }>();
  for (const cell of [...new Set(catalog.tenants.map((t) => t.cell))].sort()) {
    const { registrations } = await evaluate(() => registerProgram(catalog, { ...config, cell }), { stack: cell });
    const tenantOf = new Map(registrations.filter((r) => r.type === "tenancy:index:Tenant").map((r) => [r.urn, r.name]));
    const perTenant: Record<string, number> = {};
    let overhead = 0;
    for (const r of registrations) {
      const owner = [r.urn, ...r.ancestors].map((urn) => tenantOf.get(urn)).find((id) => id !== undefined);
      if (owner === undefined) overhead++;
      else perTenant[owner] = (perTenant[owner] ?? 0) + 1;
    }
    counts.set(cell, { perTenant, overhead, total: registrations.length });
  }
  return counts;
}

async function expectEstimateExact(catalog: Catalog) {
  const counts = await realCounts(catalog);
  const report = cellReport(catalog);
  for (const [cell, real] of counts) {
    const tenants = tenantsOfCell(catalog, cell);
    const estimated = Object.fromEntries(tenants.map((t) => [t.id, estimateTenantResources(t)]));
    expect(estimated, HINT).toEqual(real.perTenant);
    expect(estimateCellOverhead(tenants), HINT).toBe(real.overhead);
    expect(report.cells.find((c) => c.cell === cell)?.resources).toBe(real.total);
  }
  return counts;
}

describe("the resource estimate against the program under mocks", () => {
  it("is exact for every tenant of the example catalog", async () => {
    const counts = await expectEstimateExact(catalogFromDir("tenants"));
    const tenants = [...counts.values()].flatMap((c) => Object.keys(c.perTenant));
    expect(tenants.length).toBeGreaterThanOrEqual(4);
  });

  it("is exact for every isolation and storage mode with 0-2 custom domains, in two cells", async () => {
    const catalog = generatedCatalog(36, ["eu-1", "eu-2"]);
    const combinations = new Set(catalog.tenants.map((t) => `${t.cell} ${t.database.isolation} ${t.storage.mode} ${t.domains.custom.length}`));
    expect(combinations.size).toBe(36);
    const counts = await expectEstimateExact(catalog);
    expect([...counts.keys()]).toEqual(["eu-1", "eu-2"]);
  });
});
