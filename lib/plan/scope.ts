// What a plan must evaluate. Both sides run the same program code, so a tenant's registrations can
// only differ between base and head when something they are made from differs: the tenant itself
// (its resolved form: own file, inherited settings, ring), its ancestors (the parent's component
// is a dependency of each of its resources, the organization's name includes the parents'), the
// catalog-wide files, the migrations, the stack config, or the code. When only tenants differ, the
// plan evaluates those tenants with their ancestors and descendants, on both sides, and counts
// every other tenant unchanged without evaluating it; anything else is evaluated in full.
// test/unit/plan/scope.test.ts proves the two give the same plan.
import { posix } from "node:path";
import { isDeepStrictEqual } from "node:util";
import type { Catalog, ResolvedTenant } from "../catalog";
import { classifyChange } from "../cells/affected";
import { git } from "../git";
import type { Migration } from "../database/migrations";
import type { MigrationStep } from "../database/rollout";

export type Scope =
  | { full: true; reason: string }
  | {
      full: false;
      reason: string;
      /** The tenants to evaluate, on both sides: the changed ones and their ancestors and descendants. */
      tenants: ReadonlySet<string>;
    };

export interface ScopeInput {
  base: Catalog;
  head: Catalog;
  /**
   * Paths (relative to the project root) that differ between the base ref and the working tree, or
   * null without a base ref (every tenant is then new).
   */
  changedPaths: readonly string[] | null;
  /** The catalog directory, relative to the project root. */
  dir: string;
  migrations: { base: readonly Migration[]; head: readonly Migration[] };
  /** Tenants whose migrations move (migrationRollout). */
  rollout: readonly MigrationStep[];
}

/** The first path of `paths` that is not a tenant file and may reach a stack, with why; undefined when there is none. */
function fullEvaluationCause(paths: readonly string[], dir: string): string | undefined {
  for (const path of paths) {
    if (path.startsWith("../")) return `${path} changed (outside the project)`;
    const change = classifyChange(path, dir);
    if (change.kind === "every-cell") return change.why;
    if (change.kind === "stack-config") return `${path} changed (stack config)`;
  }
  return undefined;
}

export function planScope(input: ScopeInput): Scope {
  const { base, head } = input;
  if (input.changedPaths === null) return { full: true, reason: "no base: every tenant is new" };
  const cause =
    fullEvaluationCause(input.changedPaths, input.dir) ??
    // The files' paths already say so; these hold even where git reports a file unchanged that the
    // program reads elsewhere (the migrations the program reads are the code's own).
    (!isDeepStrictEqual(base.defaults, head.defaults) ? "the catalog defaults differ" : undefined) ??
    (!isDeepStrictEqual(base.controlPlane, head.controlPlane) ? "the control plane differs" : undefined) ??
    (!isDeepStrictEqual(input.migrations.base, input.migrations.head) ? "the migrations differ" : undefined);
  if (cause !== undefined) return { full: true, reason: cause };

  const before = new Map(base.tenants.map((t) => [t.id, t]));
  const after = new Map(head.tenants.map((t) => [t.id, t]));
  const changed = new Set<string>(input.rollout.map((step) => step.tenant));
  for (const id of new Set([...before.keys(), ...after.keys()])) {
    if (!isDeepStrictEqual(before.get(id), after.get(id))) changed.add(id);
  }
  const tenants = withRelatives(changed, [base.tenants, head.tenants]);
  const total = new Set([...before.keys(), ...after.keys()]).size;
  return {
    full: false,
    reason: `${changed.size} of ${total} tenant(s) changed; evaluating ${tenants.size} with their ancestors and descendants`,
    tenants,
  };
}

/** `ids` with every ancestor and every descendant they have in any of `catalogs`. */
export function withRelatives(ids: ReadonlySet<string>, catalogs: readonly (readonly ResolvedTenant[])[]): Set<string> {
  const parents = new Map<string, Set<string>>();
  const children = new Map<string, Set<string>>();
  const link = (map: Map<string, Set<string>>, from: string, to: string) => {
    if (!map.has(from)) map.set(from, new Set());
    map.get(from)!.add(to);
  };
  for (const tenants of catalogs) {
    for (const t of tenants) {
      if (!t.parent) continue;
      link(parents, t.id, t.parent);
      link(children, t.parent, t.id);
    }
  }
  const out = new Set(ids);
  for (const edges of [parents, children]) {
    const queue = [...ids];
    const seen = new Set(ids);
    while (queue.length > 0) {
      for (const next of edges.get(queue.pop()!) ?? []) {
        if (seen.has(next)) continue;
        seen.add(next);
        out.add(next);
        queue.push(next);
      }
    }
  }
  return out;
}

/**
 * Paths that differ between `ref` and the working tree (staged or not, and untracked files),
 * relative to `cwd`; a path outside `cwd` comes out as `../...`.
 */
export function changedPaths(ref: string, cwd: string): string[] {
  // By its hash: a ref that looks like an option cannot become one.
  const commit = git(cwd, "rev-parse", "--verify", "--quiet", "--end-of-options", `${ref}^{commit}`).trim();
  const prefix = git(cwd, "rev-parse", "--show-prefix").trim();
  const names = (text: string) => text.split("\0").filter((name) => name !== "");
  // Whole-repository paths (`:/`), so a change beside the project is seen too.
  const paths = [
    ...names(git(cwd, "diff", "--name-only", "--no-relative", "--no-renames", "-z", commit, "--", ":/")),
    ...names(git(cwd, "ls-files", "--others", "--exclude-standard", "--full-name", "-z", "--", ":/")),
  ];
  return [...new Set(paths.map((path) => posix.relative(prefix || ".", path)))].sort();
}
