// The cells and database servers the catalog declares (`_cells.yaml`). A cell is a Pulumi stack of
// its name: a tenant placed in a cell nobody declared would be deployed by no stack (or by a stack
// somebody then invents), and a misspelt `database.server` would only fail at deploy time. So both
// are declared here, next to the tenants, and the loader refuses any other.
//
// A catalog read at a git ref from before this file existed (`plan --base`, `validate --base`,
// `affected`) implies its declarations from its own tenants, so the change that introduces the file
// can still be compared with what came before it.
import type { CatalogError } from "./errors";
import { didYouMean } from "./errors";
import { issuesToErrors } from "./issues";
import { has, locate, parseYamlFile, type ParsedFile } from "./parse";
import { CellsSchema, type Cells, type Tenant } from "./schema";

export const CELLS_FILE = "_cells.yaml";
/** A few lines per cell and server: far below this. */
const CELLS_MAX_BYTES = 262144;

export type CellDeclaration = Cells["cells"][string];

export interface Declarations {
  /** Cell name (= stack name) -> its declaration. Maps: a cell named "constructor" must not find Object.prototype. */
  cells: ReadonlyMap<string, CellDeclaration>;
  servers: ReadonlySet<string>;
  /** True for a catalog from before `_cells.yaml`, whose declarations are implied by its tenants. */
  implied: boolean;
}

/** The declarations in `file`; undefined, with errors pushed, when it is missing or not valid. */
export function parseCells(file: { path: string; text: string } | undefined, missingPath: string, errors: CatalogError[]): Declarations | undefined {
  if (!file) {
    errors.push({
      file: missingPath,
      line: 1,
      col: 1,
      path: "",
      message: `missing: the catalog declares its cells (one Pulumi stack each) and database servers in ${CELLS_FILE}, and places tenants only there`,
    });
    return undefined;
  }
  const result = parseYamlFile(file.path, file.text, CELLS_MAX_BYTES);
  if (!result.ok) {
    errors.push(...result.errors);
    return undefined;
  }
  const check = CellsSchema.safeParse(result.parsed.value, { reportInput: true });
  if (!check.success) {
    errors.push(...issuesToErrors(CellsSchema, check.error.issues, [{ parsed: result.parsed, prefix: [] }]));
    return undefined;
  }
  return {
    cells: new Map(Object.entries(check.data.cells)),
    servers: new Set(Object.keys(check.data.database_servers)),
    implied: false,
  };
}

/** What a catalog without `_cells.yaml` (read at an older ref) declares: exactly what its tenants use. */
export function impliedDeclarations(tenants: readonly Pick<Tenant, "cell" | "region" | "database">[]): Declarations {
  const cells = new Map<string, CellDeclaration>();
  for (const t of tenants) {
    const regions = cells.get(t.cell)?.regions ?? [];
    cells.set(t.cell, { regions: regions.includes(t.region) ? regions : [...regions, t.region].sort() });
  }
  return { cells, servers: new Set(tenants.map((t) => t.database.server)), implied: true };
}

/** "; did you mean ..." or the declared names, for a name that is not declared. */
export function undeclared(kind: "cell" | "database server", name: string, declared: Iterable<string>): string {
  const names = [...declared].sort();
  const hint = didYouMean(name, names);
  const where = kind === "cell" ? `cells in ${CELLS_FILE}` : `database_servers in ${CELLS_FILE}`;
  return `no ${kind} ${JSON.stringify(name)} is declared (${where}: ${names.join(", ") || "none"})${hint}`;
}

/**
 * A tenant's region must be one its cell holds. The error points at the tenant's own `region` or
 * `cell` line when it writes one; a tenant that takes both from `_defaults.yaml` is reported once,
 * there, in words that do not name the tenant (so the repeats collapse).
 */
export function checkCellRegions(
  tenants: readonly { tenant: Tenant; parsed: ParsedFile }[],
  declarations: Declarations,
  defaults: ParsedFile,
  errors: CatalogError[],
): void {
  for (const { tenant, parsed } of tenants) {
    const cell = declarations.cells.get(tenant.cell);
    if (!cell || cell.regions.includes(tenant.region)) continue;
    const message = `region ${tenant.region} is not one of the regions of cell ${tenant.cell} (${cell.regions.join(", ")}); choose a cell of that region, or add the region to cells.${tenant.cell}.regions in ${CELLS_FILE}`;
    const own = (["region", "cell"] as const).find((key) => has(parsed, [key]));
    if (own) errors.push({ file: parsed.file, ...locate(parsed, [own]), path: own, message });
    else {
      const key = has(defaults, ["tenant", "region"]) ? "region" : "cell";
      errors.push({ file: defaults.file, ...locate(defaults, ["tenant", key]), path: `tenant.${key}`, message });
    }
  }
}

/**
 * Where `_cells.yaml` (among `files`) speaks of a cell: its budget, else its entry, else the file's
 * start; for messages about the cell (budget warnings, removals).
 */
export function cellLocation(files: readonly { name: string; path: string; text: string }[], cell: string, dirLabel: string): Pick<CatalogError, "file" | "line" | "col" | "path"> {
  const file = files.find((f) => f.name === CELLS_FILE);
  const result = file ? parseYamlFile(file.path, file.text, CELLS_MAX_BYTES) : undefined;
  const parsed = result?.ok ? result.parsed : undefined;
  if (!parsed || !has(parsed, ["cells", cell])) return { file: file?.path ?? `${dirLabel}/${CELLS_FILE}`, line: 1, col: 1, path: "cells" };
  const key = has(parsed, ["cells", cell, "resource_budget"]) ? ["cells", cell, "resource_budget"] : ["cells", cell];
  return { file: parsed.file, ...locate(parsed, key), path: key.join(".") };
}
