// The base side of a plan evaluated with the base's own code. A pull request that changes
// components, providers or the program would otherwise be evaluated with its own code on both sides
// and plan as empty. When code differs between the merge-base and the working tree, the merge-base
// is checked out into a temporary git worktree (node_modules linked in, so nothing is installed),
// and its program, catalog loader and stack config reader run there, in a child process, under the
// same recording mocks (lib/plan/base-worker.ts). The worktree is removed afterwards, whatever
// happens. When only the catalog or stack files differ, the head's code is the base's code, and the
// plan keeps its fast path: one process, read at the ref (lib/plan/scope.ts).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { classifyChange } from "../cells/affected";
import { git } from "../git";
import type { Registration } from "./evaluate";

/** This code's project root, whose node_modules the worktree borrows. */
const OWN_ROOT = resolve(__dirname, "..", "..");

/**
 * The first changed path that is program code or configuration (not a tenant or catalog file,
 * which the plan reads at the ref, not documentation or tests), or undefined when there is none.
 */
export function codeChange(paths: readonly string[], dir: string): string | undefined {
  const catalog = `${dir.replace(/\/$/, "")}/`;
  return paths.find((p) => {
    if (p.startsWith("../") || p.startsWith(catalog)) return false;
    const change = classifyChange(p, dir);
    return change.kind === "every-cell";
  });
}

/** Whether the project at `commit` has a program of its own to evaluate (a catalog-only repository has none). */
export function programAt(commit: string, cwd: string): boolean {
  try {
    const prefix = git(cwd, "rev-parse", "--show-prefix").trim();
    git(cwd, "cat-file", "-e", `${commit}:${prefix}lib/program.ts`);
    return true;
  } catch {
    return false;
  }
}

export interface BaseEvaluation {
  registrations: Registration[];
  /** Wall time of the worktree, the child process and its evaluation, in ms. */
  millis: number;
}

/**
 * Every registration of `cells` for the catalog at `commit`, evaluated with the code at `commit`.
 * `cwd`: inside the repository; `dir`: the catalog directory, relative to the project root.
 */
export function evaluateWithBaseCode(commit: string, cwd: string, dir: string, cells: readonly string[]): BaseEvaluation {
  const started = Date.now();
  const prefix = git(cwd, "rev-parse", "--show-prefix").trim();
  const parent = mkdtempSync(join(tmpdir(), "tenancy-plan-base-"));
  const tree = join(parent, "tree");
  try {
    git(cwd, "worktree", "add", "--detach", "--quiet", tree, commit);
    const root = join(tree, prefix);
    if (!existsSync(join(root, "node_modules"))) symlinkSync(join(OWN_ROOT, "node_modules"), join(root, "node_modules"), "dir");
    // Registrations come back on fd 3, so nothing the program prints can be mistaken for them.
    const child = spawnSync(process.execPath, ["--import", "tsx", join(__dirname, "base-worker.ts"), root, dir, JSON.stringify(cells)], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe", "pipe"],
      maxBuffer: 1024 * 1024 * 1024,
      encoding: "utf8",
    });
    if (child.status !== 0) {
      const reason = (child.stderr || child.error?.message || `exit ${child.status}`).trim().split("\n").slice(-20).join("\n");
      throw new Error(`evaluating the base (${commit.slice(0, 12)}) with its own code failed:\n${reason}`);
    }
    return { registrations: JSON.parse(String(child.output[3])) as Registration[], millis: Date.now() - started };
  } finally {
    try {
      git(cwd, "worktree", "remove", "--force", tree);
    } catch {
      // Removed below; `git worktree prune` forgets it.
    }
    rmSync(parent, { recursive: true, force: true });
    try {
      git(cwd, "worktree", "prune");
    } catch {
      // Nothing to prune.
    }
  }
}
