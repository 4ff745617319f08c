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
  /** The regions the cell holds (declared in _cells.yaml), sorted. */
  regions: string[];
  /** Estimated Pulumi resources of its stack: its tenants' and the cell's own (providers, shared buckets). */
  resources: number;
  /** The most resources its stack should hold: its own budget, else the catalog's default. */
  budget: number;
  overBudget: boolean;
}

export interface CellReport {
  /** The budget of a cell that names none of its own (or the one asked for, which replaces every cell's). */
  budget: number;
  /** Every declared cell, with tenants or not, sorted by name. */
  cells: CellLoad[];
  /** One plain sentence per cell past its budget, with the cell it is about. */
  warnings: { cell: string; message: string }[];
}

/** The cell a tenant file lands in when it names none. */
export function defaultCell(catalog: Pick<Catalog, "defaults">): string {
  const cell = catalog.defaults.tenant.cell;
  return typeof cell === "string" && cell !== "" ? cell : FALLBACK_CELL;
}

/**
 * `budget`, when given, replaces every cell's (`tenancy cells --budget`); otherwise a cell's is its
 * `resource_budget` in _cells.yaml, else `cells.resource_budget` in _defaults.yaml, else DEFAULT_RESOURCE_BUDGET.
 */
export function cellReport(catalog: Catalog, budget?: number): CellReport {
  if (budget !== undefined && (!Number.isInteger(budget) || budget < 1)) {
    throw new Error(`resource budget must be a whole number of at least 1, got ${budget}`);
  }
  const fallback = budget ?? catalog.defaults.cells?.resource_budget ?? DEFAULT_RESOURCE_BUDGET;
  const byCell = new Map<string, ResolvedTenant[]>([...catalog.declarations.cells.keys()].map((cell) => [cell, []]));
  for (const tenant of catalog.tenants) byCell.set(tenant.cell, [...(byCell.get(tenant.cell) ?? []), tenant]);
  const cells = [...byCell.entries()]
    .sort(([a], [b]) => compare(a, b))
    .map(([cell, tenants]) => {
      const resources = estimateCellOverhead(tenants) + tenants.reduce((sum, t) => sum + estimateTenantResources(t), 0);
      const declared = catalog.declarations.cells.get(cell);
      const own = budget ?? declared?.resource_budget ?? fallback;
      return {
        cell,
        tenants: tenants.map((t) => t.id).sort(compare),
        regions: [...(declared?.regions ?? new Set(tenants.map((t) => t.region)))].sort(compare),
        resources,
        budget: own,
        overBudget: resources > own,
      };
    });
  const warnings = cells
    .filter((c) => c.overBudget)
    .map((c) => ({
      cell: c.cell,
      message:
        `cell ${c.cell} holds about ${c.resources} resources (${c.tenants.length} tenants), past its budget of ${c.budget} per stack; ` +
        `place new tenants in another cell (tenancy new --cell) or declare a new cell in _cells.yaml`,
    }));
  return { budget: fallback, cells, warnings };
}

/**
 * The cell a new tenant of `region` should join: the declared cell holding that region whose stack
 * is least full (estimated resources against its budget), ties broken by name; an empty declared
 * cell is the least full of all. Undefined when no declared cell holds the region: a tenant is
 * never placed in a cell nobody declared.
 */
export function leastLoadedCell(catalog: Catalog, region: string): string | undefined {
  const candidates = cellReport(catalog).cells.filter((c) => c.regions.includes(region));
  candidates.sort((a, b) => a.resources / a.budget - b.resources / b.budget || compare(a.cell, b.cell));
  return candidates[0]?.cell;
}

/**
 * One row per cell for `tenancy cells`, shaped for the CLI's `table()`; the CLI prints the warnings
 * after it.
 */
export function cellReportRows(report: CellReport): Record<string, string>[] {
  return report.cells.map((c) => ({
    cell: c.cell,
    tenants: String(c.tenants.length),
    resources: String(c.resources),
    budget: `${Math.round((100 * c.resources) / c.budget)}% of ${c.budget}`,
    regions: c.regions.join(","),
    ids: c.tenants.join(","),
  }));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
