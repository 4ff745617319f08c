// The base side evaluated with the base's own code: a real repository holding the program, whose
// base commit differs from the working tree in a component, planned through a git worktree.
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { computePlanWithScope } from "../../../lib/plan";
import { codeChange } from "../../../lib/plan/base-code";

const ROOT = join(__dirname, "../../..");
const COMPONENT = "components/domain/tenantDomain.ts";
let repo: string;
const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=plan-test", "-c", "user.email=plan-test@example.com", ...args], { cwd: repo, encoding: "utf8" });

beforeAll(() => {
  repo = mkdtempSync(join(tmpdir(), "tenancy-plan-code-"));
  for (const path of ["lib", "components", "providers", "migrations", "tenants", "certs", "index.ts", "package.json", "tsconfig.json", "Pulumi.yaml", "Pulumi.example.yaml"]) {
    cpSync(join(ROOT, path), join(repo, path), { recursive: true });
  }
  // The base's component gives the tenant's DNS record another TTL than this code does.
  const own = readFileSync(join(ROOT, COMPONENT), "utf8");
  expect(own).toContain("proxied: true, ttl: 1 }");
  writeFileSync(join(repo, COMPONENT), own.replace("proxied: true, ttl: 1 }", "proxied: true, ttl: 300 }"));
  git("init", "-q");
  git("add", ".");
  git("commit", "-qm", "base with ttl 300");
  writeFileSync(join(repo, COMPONENT), own);
});

afterAll(() => rmSync(repo, { recursive: true, force: true }));

describe("the base evaluated with its own code", () => {
  it("shows what a code change changes, and leaves no worktree behind", async () => {
    const started = Date.now();
    const { plan } = await computePlanWithScope({ dir: "tenants", base: "HEAD", cwd: repo });
    const millis = Date.now() - started;
    expect(plan.baseCode).toBe(`evaluated with its own code (${COMPONENT} changed)`);
    const changed = [...plan.shared, ...plan.tenants.flatMap((t) => t.resources)].filter((c) => c.action !== "same");
    expect(changed.map((c) => [c.name, c.action, c.changedKeys])).toEqual(
      ["acme", "acme-research", "globex", "initech", "umbrella"].map((id) => [`${id}-dns`, "update", ["ttl"]]),
    );
    expect(plan.errors).toEqual([]);
    expect(git("worktree", "list", "--porcelain").match(/^worktree /gm)).toHaveLength(1);
    // The cost of the worktree and the second process, against a full plan of the same catalog in
    // one process (the code committed, so base and head share it).
    git("add", ".");
    git("commit", "-qm", "ttl 1 again");
    const fastStarted = Date.now();
    const fast = await computePlanWithScope({ dir: "tenants", base: "HEAD", cwd: repo, full: true });
    console.log(`plan with the base's own code (worktree + child process): ${millis} ms; the same catalog in one process: ${Date.now() - fastStarted} ms`);
    expect(fast.plan.baseCode).toBeUndefined();
    expect(fast.plan.tenants).toEqual([]);
  }, 180_000);

  it("takes only program code and configuration as code", () => {
    expect(codeChange(["tenants/acme.yaml", "tenants/_defaults.yaml", "README.md", "test/unit/x.test.ts", "Pulumi.default.yaml"], "tenants")).toBeUndefined();
    expect(codeChange(["docs/runbooks.md", "providers/kit.ts"], "tenants")).toBe("providers/kit.ts");
    expect(codeChange(["migrations/0004_x.sql"], "tenants")).toBe("migrations/0004_x.sql");
    expect(codeChange(["package-lock.json"], "tenants")).toBe("package-lock.json");
  });
});
