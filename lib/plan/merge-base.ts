// What a pull request changes is what its branch did since it left the base branch: the plan
// compares with the merge-base of `--base` and HEAD (as GitHub's "Files changed" does), not with the
// base branch's tip. Against the tip, a branch cut before someone else onboarded a tenant would show
// that tenant deleted, with its data.
import { resolveCommit } from "../catalog/sources";
import { git } from "../git";

export interface PlanBase {
  /** The ref as the user gave it (`origin/main`). */
  ref: string;
  /** The merge-base commit of `ref` and HEAD: what the plan reads the base side at. */
  commit: string;
  /** For messages: `origin/main (merge-base 0123abcd4567)`, or the ref alone when it is the merge-base itself. */
  label: string;
}

/**
 * The commit to plan against. Throws, naming the ref, when it does not exist or shares no history
 * with HEAD. A repository without commits yet (no HEAD) compares with `ref` itself.
 */
export function resolvePlanBase(ref: string, cwd: string): PlanBase {
  const target = resolveCommit(ref, cwd);
  let head: string;
  try {
    head = git(cwd, "rev-parse", "--verify", "--quiet", "HEAD^{commit}").trim();
  } catch {
    return { ref, commit: target, label: ref };
  }
  let commit: string;
  try {
    commit = git(cwd, "merge-base", target, head).trim();
  } catch {
    throw new Error(
      `"${ref}" and HEAD share no history, so there is no merge-base to plan against; ` +
        `fetch the whole history (actions/checkout with fetch-depth: 0) or plan against a ref this branch was cut from`,
    );
  }
  return { ref, commit, label: commit === target ? ref : `${ref} (merge-base ${commit.slice(0, 12)})` };
}
