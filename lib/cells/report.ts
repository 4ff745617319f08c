// Cells: which stack deploys which tenants, how big each stack is estimated to be, and where a
// new tenant should go.
import type { Catalog, ResolvedTenant } from "../catalog";
import { estimateCellOverhead, estimateTenantResources } from "./estimate";

/** Past a few thousand resources one stack's preview and update slow down badly. */
export const DEFAULT_RESOURCE_BUDGET = 2000;
/** The cell of tenants when `_defaults.yaml` names none. */
export const FALLBACK_CELL = "default";

export interface CellLoad {
  cell: string;
  /** Ids, sorted. */
  tenants: string[];
  /** Regions of its tenants, sorted. */
  regions: string[];
  /** Estimated Pulumi resources of its stack: its tenants' and the cell's own (providers, shared buckets). */
  resources: number;
  overBudget: boolean;
}

export interface CellReport {
  budget: number;
  /** Sorted by cell name. */
  cells: CellLoad[];
  /** One plain sentence per cell past the budget. */
  warnings: string[];
}

/** The cell a tenant file lands in when it names none. */
export function defaultCell(catalog: Pick<Catalog, "defaults">): string {
  const cell = catalog.defaults.tenant.cell;
  return typeof cell === "string" && cell !== "" ? cell : FALLBACK_CELL;
}

/** `budget` defaults to `cells.resource_budget` in `_defaults.yaml`, else DEFAULT_RESOURCE_BUDGET. */
export function cellReport(catalog: Catalog, budget: number = catalog.defaults.cells?.resource_budget ?? DEFAULT_RESOURCE_BUDGET): CellReport {
  if (!Number.isInteger(budget) || budget < 1) {
    throw new Error(`resource budget must be a whole number of at least 1, got ${budget}`);
  }
  const byCell = new Map<string, ResolvedTenant[]>();
  for (const tenant of catalog.tenants) byCell.set(tenant.cell, [...(byCell.get(tenant.cell) ?? []), tenant]);
  const cells = [...byCell.entries()]
    .sort(([a], [b]) => compare(a, b))
    .map(([cell, tenants]) => {
      const resources = estimateCellOverhead(tenants) + tenants.reduce((sum, t) => sum + estimateTenantResources(t), 0);
      return {
        cell,
        tenants: tenants.map((t) => t.id).sort(compare),
        regions: [...new Set(tenants.map((t) => t.region))].sort(compare),
        resources,
        overBudget: resources > budget,
      };
    });
  const warnings = cells
    .filter((c) => c.overBudget)
    .map(
      (c) =>
        `cell ${c.cell} holds about ${c.resources} resources (${c.tenants.length} tenants), past the budget of ${budget} per stack; ` +
        `place new tenants in another cell (tenancy new --cell) or open a new cell`,
    );
  return { budget, cells, warnings };
}

/**
 * The cell a new tenant of `region` should join: the one with the fewest estimated resources among
 * the cells that already hold tenants of that region, ties broken by name. A region no cell holds
 * yet goes to the default cell.
 */
export function leastLoadedCell(catalog: Catalog, region: string): string {
  const candidates = cellReport(catalog).cells.filter((c) => c.regions.includes(region));
  if (candidates.length === 0) return defaultCell(catalog);
  candidates.sort((a, b) => a.resources - b.resources || compare(a.cell, b.cell));
  return candidates[0].cell;
}

/**
 * One row per cell for `tenancy cells`, shaped for the CLI's `table()`; the CLI prints the budget
 * and the warnings after it.
 */
export function cellReportRows(report: CellReport): Record<string, string>[] {
  return report.cells.map((c) => ({
    cell: c.cell,
    tenants: String(c.tenants.length),
    resources: String(c.resources),
    budget: `${Math.round((100 * c.resources) / report.budget)}%`,
    regions: c.regions.join(","),
    ids: c.tenants.join(","),
  }));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
