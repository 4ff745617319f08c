// Which stacks (cells) a change touches, as a GitHub Actions matrix. A tenant file touches the
// cell it was in and the cell it goes to; what every tenant shares (catalog-wide files,
// migrations, the program's code) touches every cell; docs and tests touch none. A path nobody
// classified counts as code: a needless preview is cheap, a skipped one is not.
import { posix } from "node:path";
import { CELLS_FILE } from "../catalog/cells";
import { git } from "../git";
import {
  CONTROL_PLANE_FILE,
  CatalogInvalidError,
  DEFAULTS_FILE,
  loadCatalog,
  readCatalogAtRef,
  readCatalogDir,
  type Catalog,
} from "../catalog";

export interface MatrixEntry {
  cell: string;
  /** Stack name; one stack per cell, named after it. */
  stack: string;
}

export interface AffectedCell extends MatrixEntry {
  /** Why the cell is touched, one short sentence each, sorted. */
  reasons: string[];
}

export interface Affected {
  /** Ready for `strategy.matrix`: `{"include":[{"cell":"eu-1","stack":"eu-1"}]}`; empty include when nothing is touched. */
  matrix: { include: MatrixEntry[] };
  /** The same cells with the reasons, sorted by cell. */
  cells: AffectedCell[];
}

/** How one changed path reaches the stacks. */
export type Change =
  | { kind: "tenant"; id: string }
  | { kind: "stack-config"; stack: string }
  | { kind: "every-cell"; why: string }
  | { kind: "none"; why: string };

/** Paths that never reach a stack: documentation, tests, benchmarks, CI and editor files. */
const NO_STACK: { test: (path: string) => boolean; why: string }[] = [
  { test: (p) => /\.(md|markdown|txt)$/i.test(p) || /^(LICENSE|NOTICE|CHANGELOG)(\.|$)/i.test(p), why: "documentation" },
  { test: (p) => /^(docs|test|tests|bench)\//.test(p) || p === "vitest.config.ts", why: "documentation, tests or benchmarks" },
  { test: (p) => /^(\.github|\.ci|\.vscode|\.devcontainer)\//.test(p), why: "CI and editor files" },
  { test: (p) => /^\.(gitignore|gitattributes|editorconfig|npmrc|nvmrc|prettierrc[^/]*)$/.test(p), why: "repository settings" },
];

/** `path` is relative to the project root (where Pulumi.yaml is); `dir` is the tenants directory. */
export function classifyChange(path: string, dir = "tenants"): Change {
  const p = path.split("\\").join("/").replace(/^\.\//, "");
  const tenantsDir = posix.normalize(dir.split("\\").join("/")).replace(/\/$/, "");
  if (p.startsWith(`${tenantsDir}/`) && !p.slice(tenantsDir.length + 1).includes("/")) {
    const name = p.slice(tenantsDir.length + 1);
    if (name === DEFAULTS_FILE || name === CONTROL_PLANE_FILE) return { kind: "every-cell", why: `${p} changed (catalog-wide)` };
    // Declarations register nothing: a cell's stack is touched when its tenants change, and a new,
    // empty cell may have no stack to run yet.
    if (name === CELLS_FILE) return { kind: "none", why: "cell and server declarations" };
    if (/\.ya?ml$/.test(name) && !name.startsWith("_")) return { kind: "tenant", id: name.replace(/\.ya?ml$/, "") };
    if (name.endsWith(".schema.json")) return { kind: "none", why: "editor schema" };
  }
  if (p.startsWith("migrations/")) return { kind: "every-cell", why: `${p} changed (migrations reach every tenant)` };
  const stackFile = /^Pulumi\.([^/]+)\.ya?ml$/.exec(p);
  if (stackFile) return { kind: "stack-config", stack: stackFile[1] };
  const quiet = NO_STACK.find((rule) => rule.test(p));
  if (quiet) return { kind: "none", why: quiet.why };
  return { kind: "every-cell", why: `${p} changed (program code or configuration)` };
}

/**
 * The cells a change touches. `base` is the catalog at the merge base, or undefined when there was
 * none (every cell of `head` is then touched); `changedFiles` are paths relative to the project root.
 */
export function affected(base: Catalog | undefined, head: Catalog, changedFiles: readonly string[], dir = "tenants"): Affected {
  const reasons = new Map<string, Set<string>>();
  const touch = (cell: string, reason: string) => {
    if (!reasons.has(cell)) reasons.set(cell, new Set());
    reasons.get(cell)!.add(reason);
  };
  const baseById = new Map((base?.tenants ?? []).map((t) => [t.id, t]));
  const headById = new Map(head.tenants.map((t) => [t.id, t]));
  const everyCell = new Set([...baseById.values(), ...headById.values()].map((t) => t.cell));
  const touchEvery = (reason: string) => everyCell.forEach((cell) => touch(cell, reason));

  if (!base) touchEvery("no valid catalog at the base revision");
  for (const file of changedFiles) {
    const change = classifyChange(file, dir);
    switch (change.kind) {
      case "every-cell":
        touchEvery(change.why);
        break;
      case "stack-config":
        if (everyCell.has(change.stack)) touch(change.stack, `Pulumi.${change.stack}.yaml changed (stack config)`);
        break;
      case "tenant": {
        const before = baseById.get(change.id);
        const after = headById.get(change.id);
        if (before) touch(before.cell, after ? `tenant ${change.id} changed` : `tenant ${change.id} removed`);
        if (after) touch(after.cell, before ? `tenant ${change.id} changed` : `tenant ${change.id} added`);
        break;
      }
      case "none":
        break;
    }
  }
  const cells = [...reasons.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([cell, why]) => ({ cell, stack: cell, reasons: [...why].sort() }));
  return { matrix: { include: cells.map(({ cell, stack }) => ({ cell, stack })) }, cells };
}

export interface AffectedFromGitOptions {
  /** Git revision the change is compared with, such as `origin/main`. */
  base: string;
  /** Tenants directory, relative to `cwd`. */
  dir?: string;
  /** Project root (where Pulumi.yaml is); defaults to the process's working directory. */
  cwd?: string;
}

/**
 * `affected` for the working tree against `base`: what the branch changed since it forked from
 * `base` (`git diff base...HEAD`), plus uncommitted and untracked files.
 */
export function affectedFromGit({ base, dir = "tenants", cwd = process.cwd() }: AffectedFromGitOptions): Affected & { changedFiles: string[] } {
  try {
    git(cwd, "rev-parse", "--verify", "--quiet", `${base}^{commit}`);
  } catch {
    throw new Error(`git revision "${base}" not found; fetch it first (for example: git fetch origin main)`);
  }
  let forkPoint: string;
  try {
    forkPoint = git(cwd, "merge-base", base, "HEAD").trim();
  } catch {
    throw new Error(`"${base}" and HEAD share no history; fetch the full history (actions/checkout with fetch-depth: 0)`);
  }
  const lines = (text: string) => text.split("\n").filter((line) => line !== "");
  const changedFiles = [
    ...new Set([
      ...lines(git(cwd, "diff", "--name-only", "--no-renames", "--relative", forkPoint, "HEAD")),
      ...lines(git(cwd, "diff", "--name-only", "--no-renames", "--relative", "HEAD")),
      ...lines(git(cwd, "ls-files", "--others", "--exclude-standard")),
    ]),
  ].sort();

  const label = posix.normalize(dir.split("\\").join("/"));
  const headFiles = readCatalogDir(label, cwd);
  const head = loadCatalog(headFiles, label);
  if (!head.ok) throw new CatalogInvalidError(head.errors);
  const baseFiles = readCatalogAtRef(forkPoint, dir, cwd);
  const baseResult = baseFiles.length > 0 ? loadCatalog(baseFiles, label, { atRef: true }) : undefined;
  // A base catalog that does not load cannot say where tenants were: treat it as absent, which
  // touches every cell of the head.
  const baseCatalog = baseResult?.ok ? baseResult.catalog : undefined;
  return { ...affected(baseCatalog, head.catalog, changedFiles, dir), changedFiles };
}
