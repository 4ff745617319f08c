// The catalog commands of the `tenancy` CLI, as plain functions from options to output and exit
// code, so tests call them directly and main.ts only parses arguments.
import { existsSync, writeFileSync } from "node:fs";
import { join, posix } from "node:path";
import { stringify } from "yaml";
import { ID_RULE, isTenantId } from "../catalog/formats";
import { checkRetainedRemovals, formatError, loadCatalog, readCatalogAtRef, readCatalogDir, sortErrors, type Catalog, type CatalogError, type CatalogFile } from "../catalog";
import { checkAdoptionChanges } from "../catalog/adopt";
import { CELLS_FILE, cellLocation } from "../catalog/cells";
import { cellReport, cellReportRows, checkCellMoves, checkCellRemovals, checkParentCells } from "../cells";
import { unmarkedDestructive } from "../database/migration-lint";

export interface CommandResult {
  output: string;
  exitCode: number;
  /** Print to stdout even with a non-zero exit code: the output is the result (a plan with errors), not a failure message. */
  isResult?: boolean;
  /** Said to the user beside the result (warnings, progress): always to stderr. */
  messages?: string;
}

export type ErrorFormat = "text" | "json" | "github";

/** GitHub workflow commands need %, CR, LF escaped in the message, and also : and , in properties. */
function escapeData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}
function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

export function formatErrors(errors: readonly CatalogError[], format: ErrorFormat, warnings: readonly CatalogError[] = []): string {
  const annotation = (level: "error" | "warning") => (e: CatalogError) => {
    const message = e.path ? `${e.path}: ${e.message}` : e.message;
    return `::${level} file=${escapeProperty(e.file)},line=${e.line},col=${e.col},title=${escapeProperty("tenant catalog")}::${escapeData(message)}`;
  };
  switch (format) {
    case "json":
      return JSON.stringify({ valid: errors.length === 0, errors, ...(warnings.length > 0 ? { warnings } : {}) }, null, 2);
    case "github":
      return [...errors.map(annotation("error")), ...warnings.map(annotation("warning"))].join("\n");
    default:
      return [...errors.map(formatError), ...warnings.map((w) => `warning: ${formatError(w)}`)].join("\n");
  }
}

export interface ValidateOptions {
  /** Git ref to compare with: moving a tenant between cells is then refused. */
  base?: string;
  /** Tenant ids whose cell move is acknowledged (state already moved between stacks). */
  allowCellMoves?: readonly string[];
  /** Repository root for `base` (default: the working directory). */
  cwd?: string;
  /** Warnings (a cell past its resource budget) fail the validation too. */
  strict?: boolean;
}

export function validateCommand(dir: string, format: ErrorFormat, options: ValidateOptions = {}): CommandResult {
  const files = readCatalogDir(dir, options.cwd);
  const result = loadCatalog(files, dir);
  const found = [
    ...(result.ok ? [...checkParentCells(result.catalog, files), ...baseErrors(result.catalog, files, dir, options)] : result.errors),
    // A migration that destroys data says so on purpose (lib/database/migration-lint.ts).
    ...unmarkedDestructive(options.cwd ?? process.cwd()),
  ];
  const budgets = result.ok ? budgetWarnings(result.catalog, files, dir) : [];
  const errors = sortErrors(options.strict ? [...found, ...budgets] : found);
  const warnings = options.strict ? [] : budgets;
  if (errors.length === 0) {
    const count = result.ok ? result.catalog.tenants.length : 0;
    if (format !== "text") return { output: formatErrors([], format, warnings), exitCode: 0 };
    return { output: `${dir}: ${count} tenant(s), catalog valid`, exitCode: 0, ...(warnings.length > 0 ? { messages: formatErrors([], "text", warnings) } : {}) };
  }
  const summary = format === "text" ? `\n${errors.length} error(s) in the catalog; nothing was changed` : "";
  // A machine format is the result, invalid or not: it goes to stdout, where the caller parses it.
  return { output: formatErrors(errors, format, warnings) + summary, exitCode: 1, isResult: format !== "text" };
}

/** Cells past their resource budget, each located at its entry in _cells.yaml. */
function budgetWarnings(catalog: Catalog, files: readonly CatalogFile[], dir: string): CatalogError[] {
  return cellReport(catalog).warnings.map((w) => ({ ...cellLocation(files, w.cell, dir), message: w.message }));
}

/**
 * Rules that compare the catalog with the one at `base`: a tenant may not silently change cell, and
 * a tenant removed while its data is retained must be listed in _retained.yaml.
 */
function baseErrors(head: Catalog, files: readonly CatalogFile[], dir: string, options: ValidateOptions): CatalogError[] {
  if (options.base === undefined) return [];
  const baseFiles = readCatalogAtRef(options.base, dir, options.cwd);
  if (baseFiles.length === 0) return [];
  const base = loadCatalog(baseFiles, dir, { atRef: true });
  // An invalid base says nothing reliable about where tenants were; the head's own errors stand.
  if (!base.ok) return [];
  return [
    ...checkCellMoves(base.catalog, head, { files, allow: options.allowCellMoves }),
    ...checkCellRemovals(base.catalog, head, files, dir),
    ...checkRetainedRemovals(base.catalog, head),
    ...checkAdoptionChanges(base.catalog, head, files),
  ];
}

export function listCommand(dir: string, format: "text" | "json"): CommandResult {
  const result = loadCatalog(readCatalogDir(dir), dir);
  if (!result.ok) return { output: formatErrors(result.errors, "text"), exitCode: 1 };
  const rows = result.catalog.tenants.map((t) => ({
    id: t.id,
    status: t.status,
    plan: t.plan,
    cell: t.cell,
    isolation: t.database.isolation,
    subdomain: t.domains.subdomain,
  }));
  if (format === "json") return { output: JSON.stringify(rows, null, 2), exitCode: 0 };
  return { output: table(rows), exitCode: 0 };
}

export type CellsFormat = "text" | "json" | "matrix";

/**
 * Every declared cell with its load. `matrix`: the cells that hold tenants, as a GitHub Actions
 * matrix (the drift check runs on each; a declared cell without tenants may have no stack yet).
 */
export function cellsCommand(dir: string, budget?: number, format: CellsFormat = "text"): CommandResult {
  const result = loadCatalog(readCatalogDir(dir), dir);
  if (!result.ok) return { output: formatErrors(result.errors, "text"), exitCode: 1 };
  const report = cellReport(result.catalog, budget);
  if (format === "json") return { output: JSON.stringify(report, null, 2), exitCode: 0 };
  if (format === "matrix") {
    const include = report.cells.filter((c) => c.tenants.length > 0).map((c) => ({ cell: c.cell, stack: c.cell }));
    return { output: JSON.stringify({ include }), exitCode: 0 };
  }
  const lines = [table(cellReportRows(report)), "", `cells are declared in ${CELLS_FILE}; budget of a cell that names none: ${report.budget} resources`, ...report.warnings.map((w) => `warning: ${w.message}`)];
  return { output: lines.join("\n"), exitCode: 0 };
}

/** A left-aligned text table with a header row. */
export function table(rows: readonly Record<string, string>[]): string {
  if (rows.length === 0) return "(no tenants)";
  const keys = Object.keys(rows[0]);
  const widths = keys.map((k) => Math.max(k.length, ...rows.map((r) => r[k].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  return [line(keys.map((k) => k.toUpperCase())), ...rows.map((r) => line(keys.map((k) => r[k])))].join("\n");
}

export interface NewOptions {
  dir: string;
  id: string;
  name?: string;
  plan?: string;
  region?: string;
  cell?: string;
  /** Picks a declared cell when none is given (undefined: none holds the region); gets the catalog as it is before the new tenant. */
  placeCell?: (catalog: Catalog, region: string) => string | undefined;
}

/**
 * Scaffolds `tenants/<id>.yaml`. The catalog with the new file is validated in memory first, so a
 * file that would not validate is never written.
 */
export function newCommand(options: NewOptions): CommandResult {
  const { dir, id } = options;
  if (!isTenantId(id)) return { output: `"${id}" is not a valid tenant id: expected ${ID_RULE}`, exitCode: 1 };
  const fileName = `${id}.yaml`;
  const path = join(dir, fileName);
  if (existsSync(path)) return { output: `${path} already exists; edit it instead`, exitCode: 1 };

  const files = readCatalogDir(dir);
  const before = loadCatalog(files, dir);
  if (!before.ok) return { output: `the catalog is invalid already; fix it first:\n${formatErrors(before.errors, "text")}`, exitCode: 1 };

  const fields: Record<string, unknown> = { id, name: options.name ?? titleCase(id) };
  if (options.plan) fields.plan = options.plan;
  const region = options.region ?? (before.catalog.defaults.tenant.region as string | undefined);
  if (options.region) fields.region = options.region;
  const cell = options.cell ?? (options.placeCell && region ? options.placeCell(before.catalog, region) : undefined);
  if (!options.cell && options.placeCell && region && cell === undefined) {
    return { output: `no cell declared in ${posix.join(dir, CELLS_FILE)} holds region ${region}; declare one there (cells.<name>.regions) or name one with --cell`, exitCode: 1 };
  }
  if (cell && cell !== before.catalog.defaults.tenant.cell) fields.cell = cell;
  const text = `# yaml-language-server: $schema=./tenant.schema.json\n${stringify(fields)}`;

  const after = loadCatalog([...files, { name: fileName, path: posix.join(dir, fileName), text }], dir);
  if (!after.ok) return { output: `not written; the new file would not validate:\n${formatErrors(after.errors, "text")}`, exitCode: 1 };
  writeFileSync(path, text, { flag: "wx" });
  return { output: `created ${path}${cell ? ` (cell ${cell})` : ""}`, exitCode: 0 };
}

function titleCase(id: string): string {
  return id
    .split("-")
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(" ");
}
