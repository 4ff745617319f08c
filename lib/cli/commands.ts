// The catalog commands of the `tenancy` CLI, as plain functions from options to output and exit
// code, so tests call them directly and main.ts only parses arguments.
import { existsSync, writeFileSync } from "node:fs";
import { join, posix } from "node:path";
import { stringify } from "yaml";
import { ID_RULE, isTenantId } from "../catalog/formats";
import { checkRetainedRemovals, formatError, loadCatalog, readCatalogAtRef, readCatalogDir, sortErrors, type Catalog, type CatalogError, type CatalogFile } from "../catalog";
import { cellReport, cellReportRows, checkCellMoves, checkParentCells } from "../cells";

export interface CommandResult {
  output: string;
  exitCode: number;
  /** Print to stdout even with a non-zero exit code: the output is the result (a plan with errors), not a failure message. */
  isResult?: boolean;
}

export type ErrorFormat = "text" | "json" | "github";

/** GitHub workflow commands need %, CR, LF escaped in the message, and also : and , in properties. */
function escapeData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}
function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

export function formatErrors(errors: readonly CatalogError[], format: ErrorFormat): string {
  switch (format) {
    case "json":
      return JSON.stringify({ valid: errors.length === 0, errors }, null, 2);
    case "github":
      return errors
        .map((e) => {
          const message = e.path ? `${e.path}: ${e.message}` : e.message;
          return `::error file=${escapeProperty(e.file)},line=${e.line},col=${e.col},title=${escapeProperty("tenant catalog")}::${escapeData(message)}`;
        })
        .join("\n");
    default:
      return errors.map(formatError).join("\n");
  }
}

export interface ValidateOptions {
  /** Git ref to compare with: moving a tenant between cells is then refused. */
  base?: string;
  /** Tenant ids whose cell move is acknowledged (state already moved between stacks). */
  allowCellMoves?: readonly string[];
  /** Repository root for `base` (default: the working directory). */
  cwd?: string;
}

export function validateCommand(dir: string, format: ErrorFormat, options: ValidateOptions = {}): CommandResult {
  const files = readCatalogDir(dir, options.cwd);
  const result = loadCatalog(files, dir);
  const errors = result.ok ? [...checkParentCells(result.catalog, files), ...baseErrors(result.catalog, files, dir, options)] : result.errors;
  if (errors.length === 0) {
    const count = result.ok ? result.catalog.tenants.length : 0;
    const output = format === "json" ? formatErrors([], "json") : format === "github" ? "" : `${dir}: ${count} tenant(s), catalog valid`;
    return { output, exitCode: 0 };
  }
  const sorted = sortErrors(errors);
  const summary = format === "text" ? `\n${sorted.length} error(s) in the catalog; nothing was changed` : "";
  // A machine format is the result, invalid or not: it goes to stdout, where the caller parses it.
  return { output: formatErrors(sorted, format) + summary, exitCode: 1, isResult: format !== "text" };
}

/**
 * Rules that compare the catalog with the one at `base`: a tenant may not silently change cell, and
 * a tenant removed while its data is retained must be listed in _retained.yaml.
 */
function baseErrors(head: Catalog, files: readonly CatalogFile[], dir: string, options: ValidateOptions): CatalogError[] {
  if (options.base === undefined) return [];
  const baseFiles = readCatalogAtRef(options.base, dir, options.cwd);
  if (baseFiles.length === 0) return [];
  const base = loadCatalog(baseFiles, dir);
  // An invalid base says nothing reliable about where tenants were; the head's own errors stand.
  if (!base.ok) return [];
  return [...checkCellMoves(base.catalog, head, { files, allow: options.allowCellMoves }), ...checkRetainedRemovals(base.catalog, head)];
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

export function cellsCommand(dir: string, budget?: number): CommandResult {
  const result = loadCatalog(readCatalogDir(dir), dir);
  if (!result.ok) return { output: formatErrors(result.errors, "text"), exitCode: 1 };
  const report = cellReport(result.catalog, budget);
  const lines = [table(cellReportRows(report)), "", `budget: ${report.budget} resources per stack`, ...report.warnings.map((w) => `warning: ${w}`)];
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
  /** Picks a cell when none is given; gets the catalog as it is before the new tenant. */
  placeCell?: (catalog: Catalog, region: string) => string;
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
