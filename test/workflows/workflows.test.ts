// The CI workflows are checked offline: against GitHub's workflow schema with action-validator,
// and against the rules of this project (OIDC only, pinned actions, per-stack concurrency that
// never cancels an update).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { buildCli } from "../../lib/cli/main";

const WORKFLOWS = ".github/workflows";
const VALIDATOR = join("node_modules", ".bin", "action-validator");
const files = readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f)).sort();
const scratch = mkdtempSync(join(tmpdir(), "tenancy-workflows-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function validate(path: string): { status: number | null; output: string } {
  const run = spawnSync(VALIDATOR, [path], { encoding: "utf8" });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

type Step = { uses?: string; run?: string; with?: Record<string, unknown>; if?: string; name?: string };
type Job = {
  "runs-on"?: string;
  needs?: string | string[];
  if?: string;
  permissions?: Record<string, string>;
  concurrency?: { group: string; "cancel-in-progress": boolean };
  strategy?: { "fail-fast"?: boolean; matrix?: unknown };
  steps: Step[];
};
type Workflow = { on: Record<string, unknown>; permissions?: Record<string, string>; jobs: Record<string, Job> };
const load = (file: string) => parse(readFileSync(join(WORKFLOWS, file), "utf8")) as Workflow;
const text = (file: string) => readFileSync(join(WORKFLOWS, file), "utf8");
const runs = (job: Job) => job.steps.map((s) => s.run ?? "").join("\n");
const step = (job: Job, action: string) => job.steps.find((s) => s.uses?.startsWith(`${action}@`));

describe("action-validator", () => {
  it("finds the workflows", () => {
    expect(files).toEqual(["deploy.yml", "pull-request.yml"]);
  });

  it.each(files)("accepts %s", (file) => {
    const result = validate(join(WORKFLOWS, file));
    expect(result.output).toBe("");
    expect(result.status).toBe(0);
  });

  it("rejects a workflow with a job that names no runner and a misspelt trigger", () => {
    const broken = text("pull-request.yml").replace("  pull_request:\n", "  pull_requests:\n").replace(/^    runs-on: ubuntu-latest\n/m, "");
    const path = join(scratch, "broken.yml");
    writeFileSync(path, broken);
    const result = validate(path);
    expect(result.status).not.toBe(0);
    expect(result.output).toContain("Additional property 'pull_requests' is not allowed");
    expect(result.output).toContain("/jobs/check/runs-on");
  });
});

describe("project rules", () => {
  it.each(files)("%s stores no secret: no secrets context, credentials only through OIDC", (file) => {
    expect(text(file)).not.toMatch(/secrets\.|AWS_SECRET_ACCESS_KEY|PULUMI_ACCESS_TOKEN|aws-access-key-id/);
    for (const [name, job] of Object.entries(load(file).jobs)) {
      const aws = step(job, "aws-actions/configure-aws-credentials");
      if (!step(job, "pulumi/actions")) continue;
      expect(aws?.with?.["role-to-assume"], `${file} ${name}`).toMatch(/^\$\{\{ vars\.AWS_[A-Z_]+_ROLE_ARN \}\}$/);
      expect(job.permissions?.["id-token"], `${file} ${name}`).toBe("write");
      expect(step(job, "pulumi/auth-actions")?.with?.["requested-token-type"]).toBe("urn:pulumi:token-type:access_token:organization");
    }
  });

  it.each(files)("%s pins every action to a major version or a commit", (file) => {
    const uses = Object.values(load(file).jobs).flatMap((job) => job.steps.flatMap((s) => (s.uses ? [s.uses] : [])));
    expect(uses.length).toBeGreaterThan(0);
    for (const ref of uses) expect(ref).toMatch(/^[\w.-]+\/[\w.-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/);
  });

  it("pull request: install, validate for GitHub, test, plan as one sticky comment, then preview per affected stack", () => {
    const wf = load("pull-request.yml");
    expect(Object.keys(wf.on)).toEqual(["pull_request"]);
    const { check, preview } = wf.jobs;
    const commands = runs(check);
    const order = ["npm ci", "npx tenancy validate --format github", "npm test", "npx tenancy plan --base \"$BASE_REF\" --format markdown", "npx tenancy affected --base \"$BASE_REF\""];
    const positions = order.map((c) => commands.indexOf(c));
    expect(positions.every((p) => p >= 0), JSON.stringify(positions)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(text("pull-request.yml")).toContain("BASE_REF: origin/${{ github.base_ref }}");
    const comment = step(check, "marocchino/sticky-pull-request-comment");
    expect(comment?.with).toEqual({ header: "tenancy-plan", path: "plan.md" });
    expect(check.permissions?.["pull-requests"]).toBe("write");

    expect(preview.needs).toBe("check");
    expect(preview.if).toBe("needs.check.outputs.count != '0'");
    expect(preview.strategy).toEqual({ "fail-fast": false, matrix: "${{ fromJSON(needs.check.outputs.matrix) }}" });
    expect(step(preview, "pulumi/actions")?.with).toMatchObject({ command: "preview", diff: true, "stack-name": "${{ vars.PULUMI_STACK_PREFIX }}${{ matrix.stack }}" });
  });

  it("deploy: on push to main, pulumi up per affected stack, one concurrency group per stack, never cancelled", () => {
    const wf = load("deploy.yml");
    expect(wf.on.push).toEqual({ branches: ["main"] });
    const { affected, up } = wf.jobs;
    expect(runs(affected)).toContain('npx tenancy affected --base "$base"');
    expect(up.concurrency).toEqual({ group: "pulumi-up-${{ matrix.stack }}", "cancel-in-progress": false });
    expect(up.strategy).toEqual({ "fail-fast": false, matrix: "${{ fromJSON(needs.affected.outputs.matrix) }}" });
    // A preview gates every up: it fails on a protected delete before anything is touched.
    const pulumiSteps = up.steps.filter((s) => s.uses?.startsWith("pulumi/actions@"));
    expect(pulumiSteps.map((s) => s.with?.command)).toEqual(["preview", "up"]);
    for (const s of pulumiSteps) expect(s.with).toMatchObject({ "stack-name": "${{ vars.PULUMI_STACK_PREFIX }}${{ matrix.stack }}" });
    expect(text("deploy.yml")).not.toMatch(/cancel-in-progress: true/);
    // Only the job that moves the deployed/main tag may write to the repository.
    const writers = Object.entries(wf.jobs).filter(([, job]) => job.permissions?.contents === "write").map(([name]) => name);
    expect(writers).toEqual(["mark-deployed"]);
    expect(wf.permissions).toEqual({ contents: "read" });
  });
});

describe("the tenancy commands the workflows run", () => {
  const cli = buildCli(() => undefined);
  const invocations = files.flatMap((file) =>
    [...text(file).matchAll(/npx tenancy (\w+)([^\n]*)/g)].map((m) => ({ file, command: m[1], flags: [...m[2].matchAll(/--[a-z][a-z-]*/g)].map((f) => f[0]) })),
  );

  it("are found", () => {
    expect(invocations.map((i) => `${i.file} ${i.command}`)).toEqual([
      "deploy.yml affected",
      "pull-request.yml validate",
      "pull-request.yml plan",
      "pull-request.yml affected",
    ]);
  });

  it("exist in the CLI with every flag they pass", () => {
    for (const { file, command, flags } of invocations) {
      const sub = cli.commands.find((c) => c.name() === command);
      expect(sub, `${file}: tenancy ${command}`).toBeDefined();
      const known = sub!.options.map((o) => o.long);
      for (const flag of flags) expect(known, `${file}: tenancy ${command} ${flag}`).toContain(flag);
    }
    // The pull request passes acknowledged cell moves (labels cell-move:<id>) through an array.
    expect(text("pull-request.yml")).toContain('allow+=(--allow-cell-move "$id")');
    expect(cli.commands.find((c) => c.name() === "validate")!.options.map((o) => o.long)).toContain("--allow-cell-move");
  });
});
