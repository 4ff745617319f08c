import { describe, expect, it } from "vitest";
import { CELL_RESOURCES, cellReport, cellReportRows, DEFAULT_RESOURCE_BUDGET, estimateCellOverhead, estimateTenantResources, leastLoadedCell, TENANT_RESOURCES } from "../../../lib/cells";
import { formatError, loadCatalog } from "../../../lib/catalog";
import { catalogOf, DEFAULTS, files, tenantText } from "./fixture";

const shared = estimateTenantResources({ database: { isolation: "shared", server: "main" }, storage: { mode: "prefix", versioning: false, noncurrent_days: 1 }, domains: { subdomain: "x", custom: [] } });

describe("estimateTenantResources", () => {
  it("adds the parts each mode registers and one resource per custom domain", () => {
    const r = TENANT_RESOURCES;
    const base = r.components + r.domain + r.identity + r.lifecycle;
    expect(shared).toBe(base + r.database.shared + r.storage.prefix);
    const full = estimateTenantResources({
      database: { isolation: "database", server: "main" },
      storage: { mode: "bucket", versioning: true, noncurrent_days: 1 },
      domains: { subdomain: "x", custom: ["a.example.com", "b.example.com", "c.example.com"] },
    });
    expect(full).toBe(base + r.database.database + r.storage.bucket + 3 * r.perCustomDomain);
    expect(full).toBeGreaterThan(shared);
  });
});

describe("estimateCellOverhead", () => {
  const t = (server: string, region: string, mode: "bucket" | "prefix") => ({
    database: { isolation: "shared" as const, server },
    storage: { mode, versioning: false, noncurrent_days: 1 },
    domains: { subdomain: "x", custom: [] },
    region,
  });

  it("counts providers per server and region, and a shared bucket per region with prefix tenants", () => {
    const c = CELL_RESOURCES;
    expect(estimateCellOverhead([])).toBe(0);
    expect(estimateCellOverhead([t("main", "eu-west-1", "bucket")])).toBe(c.fixed + c.perDatabaseServer + c.perRegion);
    expect(
      estimateCellOverhead([t("main", "eu-west-1", "prefix"), t("main", "eu-west-1", "prefix"), t("other", "us-east-1", "bucket"), t("main", "us-east-1", "bucket")]),
    ).toBe(c.fixed + 2 * c.perDatabaseServer + 2 * c.perRegion + c.perSharedBucket);
  });
});

describe("cellReport", () => {
  const c = CELL_RESOURCES;
  // Both cells use server main; default holds eu-west-1, eu-2 holds eu-west-1 and eu-central-1; all prefix mode.
  const defaultCell = c.fixed + c.perDatabaseServer + c.perRegion + c.perSharedBucket + shared;
  const eu2 = c.fixed + c.perDatabaseServer + 2 * (c.perRegion + c.perSharedBucket) + 3 * shared;
  const CELLS = `cells:
  default: { regions: [eu-west-1] }
  eu-2: { regions: [eu-west-1, eu-central-1] }
  spare: { regions: [us-east-1], resource_budget: 500 }
database_servers:
  main:
`;

  const catalog = catalogOf({
    "_defaults.yaml": DEFAULTS,
    "_cells.yaml": CELLS,
    "alpha.yaml": tenantText("alpha"),
    "bravo.yaml": tenantText("bravo", "cell: eu-2", "region: eu-central-1"),
    "charlie.yaml": tenantText("charlie", "cell: eu-2"),
    "delta.yaml": tenantText("delta", "cell: eu-2"),
  });

  it("lists every declared cell, with tenants or not, its declared regions, estimated resources and budget", () => {
    const report = cellReport(catalog);
    expect(report.budget).toBe(DEFAULT_RESOURCE_BUDGET);
    expect(report.cells).toEqual([
      { cell: "default", tenants: ["alpha"], regions: ["eu-west-1"], resources: defaultCell, budget: DEFAULT_RESOURCE_BUDGET, overBudget: false },
      { cell: "eu-2", tenants: ["bravo", "charlie", "delta"], regions: ["eu-central-1", "eu-west-1"], resources: eu2, budget: DEFAULT_RESOURCE_BUDGET, overBudget: false },
      { cell: "spare", tenants: [], regions: ["us-east-1"], resources: 0, budget: 500, overBudget: false },
    ]);
    expect(report.warnings).toEqual([]);
  });

  it("warns for each cell past the budget asked for, and not for one exactly at it", () => {
    const report = cellReport(catalog, eu2 - 1);
    expect(report.cells.map((cell) => cell.overBudget)).toEqual([false, true, false]);
    expect(report.warnings).toEqual([
      {
        cell: "eu-2",
        message: `cell eu-2 holds about ${eu2} resources (3 tenants), past its budget of ${eu2 - 1} per stack; place new tenants in another cell (tenancy new --cell) or declare a new cell in _cells.yaml`,
      },
    ]);
    expect(cellReport(catalog, eu2).warnings).toEqual([]);
  });

  it("takes a cell's budget from _cells.yaml, else from cells.resource_budget in _defaults.yaml", () => {
    const budgeted = catalogOf({
      "_defaults.yaml": `${DEFAULTS}cells: { resource_budget: ${defaultCell - 1} }\n`,
      "_cells.yaml": CELLS.replace("eu-2: { regions: [eu-west-1, eu-central-1] }", `eu-2: { regions: [eu-west-1], resource_budget: ${defaultCell} }`),
      "alpha.yaml": tenantText("alpha"),
      "bravo.yaml": tenantText("bravo", "cell: eu-2"),
    });
    const report = cellReport(budgeted);
    expect(report.budget).toBe(defaultCell - 1);
    expect(report.cells.map((cell) => [cell.cell, cell.budget, cell.overBudget])).toEqual([
      ["default", defaultCell - 1, true],
      ["eu-2", defaultCell, false],
      ["spare", 500, false],
    ]);
    expect(report.warnings.map((w) => w.cell)).toEqual(["default"]);
    expect(cellReport(budgeted, 5000).warnings).toEqual([]);
    const refused = loadCatalog(files({ "_defaults.yaml": `${DEFAULTS}cells: { resource_budget: 0, max: 3 }\n` }));
    expect(refused.ok ? [] : refused.errors.map(formatError)).toEqual([
      'tenants/_defaults.yaml:16:27 cells.resource_budget: expected a number >= 1, got number 0',
      'tenants/_defaults.yaml:16:30 cells.max: unknown key "max" (allowed: resource_budget)',
    ]);
  });

  it("refuses a budget that is not a positive whole number", () => {
    expect(() => cellReport(catalog, 0)).toThrow("resource budget must be a whole number of at least 1, got 0");
    expect(() => cellReport(catalog, 2.5)).toThrow("got 2.5");
  });

  it("gives the CLI one row per cell", () => {
    expect(cellReportRows(cellReport(catalog, 100))).toEqual([
      { cell: "default", tenants: "1", resources: String(defaultCell), budget: `${defaultCell}% of 100`, regions: "eu-west-1", ids: "alpha" },
      { cell: "eu-2", tenants: "3", resources: String(eu2), budget: `${eu2}% of 100`, regions: "eu-central-1,eu-west-1", ids: "bravo,charlie,delta" },
      { cell: "spare", tenants: "0", resources: "0", budget: "0% of 100", regions: "us-east-1", ids: "" },
    ]);
  });
});

describe("leastLoadedCell", () => {
  const bucketTenant = ["database: { isolation: database, server: main }", "storage: { mode: bucket, versioning: true, noncurrent_days: 30 }"];
  const CELLS = `cells:
  a: { regions: [eu-west-1] }
  b: { regions: [eu-west-1] }
  c: { regions: [eu-west-1] }
  y: { regions: [us-east-1] }
  z: { regions: [us-east-1] }
  aa: { regions: [ap-south-1] }
database_servers:
  main:
`;
  const catalog = catalogOf({
    "_defaults.yaml": DEFAULTS.replace("cell: default", "cell: a"),
    "_cells.yaml": CELLS,
    // eu-west-1 lives in cells a (two small tenants), b (a big and a small tenant), c (one small tenant).
    "a-one.yaml": tenantText("a-one", "cell: a"),
    "a-two.yaml": tenantText("a-two", "cell: a"),
    "b-one.yaml": tenantText("b-one", "cell: b", ...bucketTenant),
    "b-two.yaml": tenantText("b-two", "cell: b"),
    "c-one.yaml": tenantText("c-one", "cell: c"),
    // us-east-1 lives in z (small) and y (small): a tie broken by name.
    "z-one.yaml": tenantText("z-one", "cell: z", "region: us-east-1"),
    "y-one.yaml": tenantText("y-one", "cell: y", "region: us-east-1"),
    // Cell aa ties with c and wins on name, but holds no eu-west-1 tenant, so it is no candidate.
    "aa-one.yaml": tenantText("aa-one", "cell: aa", "region: ap-south-1"),
  });

  it("picks the cell with the fewest estimated resources among the region's cells", () => {
    expect(leastLoadedCell(catalog, "eu-west-1")).toBe("c");
  });

  it("counts resources, not tenants, against each cell's budget", () => {
    const domains = Array.from({ length: 30 }, (_, i) => `d${i}.example.com`);
    const texts = {
      "_defaults.yaml": DEFAULTS.replace("cell: default", "cell: a"),
      "_cells.yaml": "cells:\n  a: { regions: [eu-west-1] }\n  b: { regions: [eu-west-1] }\ndatabase_servers:\n  main:\n",
      "a-one.yaml": tenantText("a-one", "cell: a"),
      "a-two.yaml": tenantText("a-two", "cell: a"),
      "b-one.yaml": tenantText("b-one", "cell: b", ...bucketTenant, `domains: { custom: [${domains.join(", ")}] }`),
    };
    const big = catalogOf(texts);
    const [a, b] = cellReport(big).cells;
    expect(b.resources).toBeGreaterThan(a.resources);
    expect(b.tenants.length).toBeLessThan(a.tenants.length);
    expect(leastLoadedCell(big, "eu-west-1")).toBe("a");
    // A cell allowed ten times as much is less full with the bigger load.
    const roomy = catalogOf({ ...texts, "_cells.yaml": texts["_cells.yaml"].replace("b: { regions: [eu-west-1] }", "b: { regions: [eu-west-1], resource_budget: 20000 }") });
    expect(leastLoadedCell(roomy, "eu-west-1")).toBe("b");
  });

  it("breaks ties by cell name", () => {
    expect(leastLoadedCell(catalog, "us-east-1")).toBe("y");
  });

  it("prefers a declared cell without tenants, and places nowhere when no declared cell holds the region", () => {
    const withEmpty = catalogOf({
      "_defaults.yaml": DEFAULTS.replace("cell: default", "cell: a"),
      "_cells.yaml": "cells:\n  a: { regions: [eu-west-1] }\n  new: { regions: [eu-west-1] }\ndatabase_servers:\n  main:\n",
      "a-one.yaml": tenantText("a-one", "cell: a"),
    });
    expect(leastLoadedCell(withEmpty, "eu-west-1")).toBe("new");
    expect(leastLoadedCell(catalog, "eu-central-1")).toBeUndefined();
  });
});
