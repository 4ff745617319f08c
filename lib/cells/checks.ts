// Rules about cells that the catalog loader cannot see. A tenant's resources live in the state of
// its cell's stack: changing `cell:` makes the old stack delete every resource of the tenant (its
// database and bucket included) and the new stack create them empty, so a move is refused unless
// its state has been moved first (docs/runbooks.md). And Pulumi orders resources only within one
// stack, so a child tenant, created after its parent and deleted before it, shares its cell.
import { posix } from "node:path";
import { DEFAULTS_FILE, type Catalog, type CatalogError, type CatalogFile } from "../catalog";
import { CELLS_FILE, cellLocation } from "../catalog/cells";
import { has, locate, parseYamlFile } from "../catalog/parse";

export interface CellMoveOptions {
  /** The head catalog's files, to point errors at the `cell:` line that causes the move. */
  files?: readonly CatalogFile[];
  /** Ids whose move is acknowledged: their state was moved between the stacks already. */
  allow?: readonly string[];
}

const RUNBOOK = "docs/runbooks.md, \"Moving a tenant between cells\"";
/** Generous: these files passed the loader's own size limit already. */
const MAX_BYTES = 1 << 22;

/** One error per tenant that changes cell between `base` and `head`; none when no tenant moves. */
export function checkCellMoves(base: Catalog, head: Catalog, options: CellMoveOptions = {}): CatalogError[] {
  const allowed = new Set(options.allow ?? []);
  const before = new Map(base.tenants.map((t) => [t.id, t.cell]));
  const parsedFile = parserOf(options.files);
  const defaults = parsedFile(DEFAULTS_FILE);
  const errors: CatalogError[] = [];
  for (const tenant of head.tenants) {
    const from = before.get(tenant.id);
    if (from === undefined || from === tenant.cell || allowed.has(tenant.id)) continue;
    const consequence =
      `moving tenant ${tenant.id} from cell "${from}" to cell "${tenant.cell}" would make stack ${from} delete its database, ` +
      `bucket and every other resource, and stack ${tenant.cell} create them empty`;
    const own = parsedFile(posix.basename(tenant.source));
    if (own && has(own, ["cell"])) {
      errors.push({
        file: tenant.source,
        ...locate(own, [], "cell"),
        path: "cell",
        message: `${consequence}; keep cell: ${from}, or move its state between the stacks first (${RUNBOOK})`,
      });
    } else if (defaults && has(defaults, ["tenant", "cell"])) {
      errors.push({
        file: defaults.file,
        ...locate(defaults, ["tenant"], "cell"),
        path: "tenant.cell",
        message: `${consequence}, because the default cell changed and ${tenant.source} names none; set cell: ${from} in ${tenant.source}, or move its state first (${RUNBOOK})`,
      });
    } else {
      errors.push({ file: tenant.source, line: 1, col: 1, path: "cell", message: `${consequence}; keep it in cell ${from}, or move its state between the stacks first (${RUNBOOK})` });
    }
  }
  return errors;
}

/** One error per child tenant whose cell differs from its parent's. */
export function checkParentCells(catalog: Catalog, files?: readonly CatalogFile[]): CatalogError[] {
  const byId = new Map(catalog.tenants.map((t) => [t.id, t]));
  const parsedFile = parserOf(files);
  const errors: CatalogError[] = [];
  for (const child of catalog.tenants) {
    const parent = child.parent ? byId.get(child.parent) : undefined;
    if (!parent || parent.cell === child.cell) continue;
    const own = parsedFile(posix.basename(child.source));
    const pos = own ? locate(own, [], has(own, ["cell"]) ? "cell" : "parent") : { line: 1, col: 1 };
    errors.push({
      file: child.source,
      ...pos,
      path: "cell",
      message:
        `tenant ${child.id} is in cell "${child.cell}" but its parent ${parent.id} is in cell "${parent.cell}"; ` +
        `a child is created after its parent and deleted before it, which Pulumi can order only within one stack: set cell: ${parent.cell}`,
    });
  }
  return errors;
}

/**
 * One error per cell that `head` no longer declares while its stack still holds tenants at `base`:
 * the stack must run once more to delete them (or have its state moved), and a cell that is not
 * declared is never deployed (`affected` lists only declared cells). The cell leaves _cells.yaml in
 * a change of its own, after the one that empties it is deployed.
 */
export function checkCellRemovals(base: Catalog, head: Catalog, files: readonly CatalogFile[], dirLabel: string): CatalogError[] {
  return [...base.declarations.cells.keys()]
    .filter((cell) => !head.declarations.cells.has(cell))
    .flatMap((cell) => {
      const left = base.tenants.filter((t) => t.cell === cell).map((t) => t.id);
      if (left.length === 0) return [];
      return [
        {
          ...cellLocation(files, cell, dirLabel),
          path: "cells",
          message:
            `cell ${cell} is no longer declared, but its stack still holds tenant(s) ${left.join(", ")}; remove or move them in a change of their own ` +
            `and deploy it, then remove the cell from ${CELLS_FILE} (an undeclared cell is never deployed)`,
        },
      ];
    });
}

function parserOf(files: readonly CatalogFile[] | undefined) {
  return (name: string) => {
    const file = files?.find((f) => f.name === name);
    const result = file ? parseYamlFile(file.path, file.text, MAX_BYTES) : undefined;
    return result?.ok ? result.parsed : undefined;
  };
}
