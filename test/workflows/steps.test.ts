// The shell glue of the workflows, run for real: each step's script from the workflow file, under
// bash as GitHub runs it (-eo pipefail), in a temporary git repository, with `npx tenancy` being
// this checkout's CLI. Checks what the steps hand to the next job ($GITHUB_OUTPUT) and how the
// cell-move labels reach `tenancy validate`.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { CELLS, DEFAULTS, tenantText } from "../unit/cells/fixture";

const CLI = resolve("bin/tenancy.js");
type Step = { id?: string; name?: string; run?: string };
const steps = (file: string, job: string): Step[] => parse(readFileSync(join(".github/workflows", file), "utf8")).jobs[job].steps;
const script = (file: string, job: string, id: string) => steps(file, job).find((s) => s.id === id)!.run!;

let repo: string;
const git = (...args: string[]) => execFileSync("git", args, { cwd: repo, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
const write = (path: string, text: string) => {
  mkdirSync(dirname(join(repo, path)), { recursive: true });
  writeFileSync(join(repo, path), text);
};

function runStep(run: string, env: Record<string, string>): { status: number | null; stdout: string; stderr: string; outputs: Record<string, string> } {
  const outputFile = join(repo, "..", `${Math.random().toString(36).slice(2)}.out`);
  writeFileSync(outputFile, "");
  const npx = `npx() { if [ "$1" = tenancy ]; then shift; node ${JSON.stringify(CLI)} "$@"; else echo "unexpected npx $*" >&2; return 127; fi; }`;
  const result = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", `${npx}\n${run}`], {
    cwd: repo,
    encoding: "utf8",
    env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? tmpdir(), GITHUB_OUTPUT: outputFile, ...env },
  });
  const outputs = Object.fromEntries(
    readFileSync(outputFile, "utf8")
      .split("\n")
      .filter((line) => line.includes("="))
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  );
  rmSync(outputFile);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, outputs };
}

beforeAll(() => {
  repo = join(mkdtempSync(join(tmpdir(), "tenancy-steps-")), "repo");
  mkdirSync(repo);
  git("init", "--quiet", "--initial-branch=main");
  git("config", "user.email", "ci@example.com");
  git("config", "user.name", "CI");
  // A project as the workflows check it out: tenancy works from the directory of Pulumi.yaml.
  write("Pulumi.yaml", "name: tenancy\nruntime: nodejs\n");
  write("tenants/_defaults.yaml", DEFAULTS);
  write("tenants/_cells.yaml", CELLS);
  write("tenants/acme.yaml", tenantText("acme", "cell: eu-1"));
  write("tenants/globex.yaml", tenantText("globex", "cell: eu-2"));
  git("add", "--all");
  git("commit", "--quiet", "-m", "base");
  git("checkout", "--quiet", "-b", "change");
  write("tenants/globex.yaml", tenantText("globex", "cell: eu-2", "plan: pro"));
  git("commit", "--quiet", "-am", "globex on pro");
});
afterAll(() => rmSync(dirname(repo), { recursive: true, force: true }));

describe("pull-request.yml", () => {
  it("hands the matrix of touched stacks and its size to the preview job", () => {
    const step = runStep(script("pull-request.yml", "check", "affected"), { BASE_REF: "main" });
    expect(step.stderr).toBe("");
    expect(step.status).toBe(0);
    expect(step.outputs).toEqual({ matrix: '{"include":[{"cell":"eu-2","stack":"eu-2"}]}', count: "1" });
  });

  it("refuses a cell move unless a cell-move:<id> label acknowledges it", () => {
    git("checkout", "--quiet", "-b", "move", "main");
    try {
      write("tenants/acme.yaml", tenantText("acme", "cell: eu-3"));
      const validate = script("pull-request.yml", "check", "validate");
      const refused = runStep(validate, { BASE_REF: "main", LABELS: JSON.stringify(["bug"]) });
      expect(refused.status).toBe(1);
      expect(refused.stdout + refused.stderr).toMatch(/^::error file=tenants\/acme\.yaml,line=3,col=1,.*moving tenant acme from cell "eu-1" to cell "eu-3"/m);
      const allowed = runStep(validate, { BASE_REF: "main", LABELS: JSON.stringify(["bug", "cell-move:acme"]) });
      expect(allowed.stdout + allowed.stderr).toBe("");
      expect(allowed.status).toBe(0);
    } finally {
      git("checkout", "--quiet", "--force", "change");
      git("branch", "--quiet", "-D", "move");
    }
  });
});

describe("deploy.yml", () => {
  const affected = () => script("deploy.yml", "affected", "affected");

  it("compares with the last complete deployment when the tag exists", () => {
    git("tag", "deployed/main", "main");
    try {
      // The push event's `before` would say nothing changed; the tag remembers the undeployed change.
      const step = runStep(affected(), { BEFORE: git("rev-parse", "HEAD").trim() });
      expect(step.status).toBe(0);
      expect(step.stdout).toContain("comparing with deployed/main");
      expect(step.outputs).toEqual({ matrix: '{"include":[{"cell":"eu-2","stack":"eu-2"}]}', count: "1" });
    } finally {
      git("tag", "-d", "deployed/main");
    }
  });

  it("falls back to the push's previous tip, then to the parent commit", () => {
    const before = runStep(affected(), { BEFORE: git("rev-parse", "HEAD").trim() });
    expect(before.outputs).toEqual({ matrix: '{"include":[]}', count: "0" });
    const parent = runStep(affected(), { BEFORE: "0000000000000000000000000000000000000000" });
    expect(parent.stdout).toContain("comparing with HEAD~1");
    expect(parent.outputs).toEqual({ matrix: '{"include":[{"cell":"eu-2","stack":"eu-2"}]}', count: "1" });
  });
});

describe("drift.yml", () => {
  it("checks every declared cell that holds tenants, as a matrix with its size", () => {
    const step = runStep(script("drift.yml", "cells", "cells"), {});
    expect(step.stderr).toBe("");
    expect(step.status).toBe(0);
    expect(step.outputs).toEqual({ matrix: '{"include":[{"cell":"eu-1","stack":"eu-1"},{"cell":"eu-2","stack":"eu-2"}]}', count: "2" });
  });
});
