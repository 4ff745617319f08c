// The CI workflows are checked offline: against GitHub's workflow schema with action-validator,
// and against the rules of this project (OIDC only, pinned actions, per-stack concurrency that
// never cancels an update).
import { execFileSync, spawnSync } from "node:child_process";
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

type Step = { uses?: string; run?: string; with?: Record<string, unknown>; if?: string; name?: string; id?: string; env?: Record<string, string>; "continue-on-error"?: boolean };
type Job = {
  "runs-on"?: string;
  "timeout-minutes"?: number;
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
    expect(files).toEqual(["backup.yml", "deploy.yml", "drift.yml", "pull-request.yml"]);
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
    const preview = up.steps.findIndex((s) => s.uses?.startsWith("pulumi/actions@"));
    expect(up.steps[preview].with).toMatchObject({ command: "preview", "stack-name": "${{ vars.PULUMI_STACK_PREFIX }}${{ matrix.stack }}" });
    const upStep = up.steps.findIndex((s) => s.run?.includes("pulumi up "));
    expect(upStep).toBeGreaterThan(preview);
    // One failing tenant does not stop the cell, and the summary names the failed tenants.
    expect(up.steps[upStep].run).toMatch(/pulumi up --yes --skip-preview --continue-on-error [^\n]*\\\n\s+--stack "\$STACK" [^\n]*--event-log events\.jsonl/);
    expect(up.steps[upStep].run).toContain('npx tenancy deploy-report --events events.jsonl --stack "$CELL" >> "$GITHUB_STEP_SUMMARY"');
    expect(up.steps[upStep].run).toMatch(/exit "\$status"$/m);
    expect(text("deploy.yml")).not.toMatch(/cancel-in-progress: true/);
    // Only the job that moves the deployed/main tag may write to the repository.
    const writers = Object.entries(wf.jobs).filter(([, job]) => job.permissions?.contents === "write").map(([name]) => name);
    expect(writers).toEqual(["mark-deployed"]);
    expect(wf.permissions).toEqual({ contents: "read" });
  });

  it("deploy: only from the default branch, with pg_dump for the backups and credentials that outlive the job", () => {
    const wf = load("deploy.yml");
    const { affected, up } = wf.jobs;
    // Every other job needs `affected`, so a dispatch from a feature branch deploys nothing and tags nothing.
    expect(affected.if).toBe("github.ref == format('refs/heads/{0}', github.event.repository.default_branch)");
    expect(wf.jobs["mark-deployed"].needs).toContain("affected");
    expect(up.needs).toBe("affected");
    const install = up.steps.findIndex((s) => s.run?.includes("apt-get install -y -qq postgresql-client"));
    const firstPulumi = up.steps.findIndex((s) => s.uses?.startsWith("pulumi/actions@"));
    expect(install).toBeGreaterThan(-1);
    expect(install).toBeLessThan(firstPulumi);
    const jobSeconds = Number(up["timeout-minutes"]) * 60;
    expect(Number(step(up, "aws-actions/configure-aws-credentials")?.with?.["role-duration-seconds"])).toBeGreaterThan(jobSeconds);
    expect(Number(step(up, "pulumi/auth-actions")?.with?.expiration)).toBeGreaterThan(jobSeconds);
  });

  it("runs on current action majors (Node 24 runtimes) and builds the project with Node 22", () => {
    // The first major of each action whose runtime is node24 (Node 20 actions are past end of life).
    const node24: Record<string, number> = {
      "actions/checkout": 5,
      "actions/setup-node": 5,
      "actions/setup-go": 6,
      "actions/cache": 5,
      "pulumi/actions": 7,
      "pulumi/auth-actions": 2,
      "aws-actions/configure-aws-credentials": 6,
      "marocchino/sticky-pull-request-comment": 3,
    };
    for (const file of files) {
      for (const [, action, major] of text(file).matchAll(/uses: ([\w-]+\/[\w-]+)@v(\d+)/g)) {
        expect(node24[action], `${file}: ${action}`).toBeDefined();
        expect(Number(major), `${file}: ${action}@v${major}`).toBeGreaterThanOrEqual(node24[action]);
      }
      for (const [, version] of text(file).matchAll(/node-version: (\S+)/g)) expect(version, file).toBe("22");
    }
  });

  it("drift: scheduled, per cell with tenants, a refresh-preview that fails on any change, then status, then the cell's issue", () => {
    const wf = load("drift.yml");
    expect(Object.keys(wf.on)).toEqual(["schedule", "workflow_dispatch"]);
    const { cells, check } = wf.jobs;
    expect(runs(cells)).toContain("npx tenancy cells --format matrix");
    expect(check.needs).toBe("cells");
    expect(check.strategy).toEqual({ "fail-fast": false, matrix: "${{ fromJSON(needs.cells.outputs.matrix) }}" });
    // Its own concurrency group: never queued behind, nor cancelling, a deployment.
    expect(check.concurrency).toEqual({ group: "drift-${{ matrix.stack }}", "cancel-in-progress": false });
    const preview = check.steps.findIndex((s) => s.uses?.startsWith("pulumi/actions@"));
    expect(check.steps[preview]).toMatchObject({ id: "preview", "continue-on-error": true });
    expect(check.steps[preview].with).toMatchObject({ command: "preview", refresh: true, "expect-no-changes": true, "stack-name": "${{ vars.PULUMI_STACK_PREFIX }}${{ matrix.stack }}" });
    const status = check.steps.findIndex((s) => s.run?.includes("npx tenancy status --cell \"$CELL\" --format markdown"));
    const issue = check.steps.findIndex((s) => s.run === "bash .github/scripts/drift-issue.sh");
    expect(preview).toBeLessThan(status);
    expect(status).toBeLessThan(issue);
    expect(check.steps[issue]).toMatchObject({ env: { PREVIEW_OUTCOME: "${{ steps.preview.outcome }}", STATUS_EXIT: "${{ steps.status.outputs.exit }}", GH_TOKEN: "${{ github.token }}" } });
    // Read-only for the stack (the preview role); writes issues only.
    expect(check.permissions).toEqual({ contents: "read", "id-token": "write", issues: "write" });
    expect(step(check, "aws-actions/configure-aws-credentials")?.with?.["role-to-assume"]).toBe("${{ vars.AWS_PREVIEW_ROLE_ARN }}");
    expect(text("drift.yml")).not.toMatch(/pulumi up|command: up|refresh --yes/);
  });

  it("pull request: the plan comment names its commit, stays valid markdown when cut, and is replaced when validation fails", () => {
    const { check } = load("pull-request.yml").jobs;
    const plan = check.steps.find((s) => s.name === "Offline plan")!;
    expect(plan.run).toContain('echo "Plan of \\`${HEAD_SHA:0:12}\\` against');
    const replace = check.steps.find((s) => s.name === "Replace the plan when the catalog does not validate")!;
    expect(replace.if).toContain("steps.validate.outcome == 'failure'");
    expect(replace.with).toMatchObject({ header: "tenancy-plan" });
    // The cut itself, run on a plan whose code block is still open at the limit.
    const awk = /awk '([^']+)' plan\.md/.exec(plan.run!)![1];
    const long = ["# plan", "```", ...Array.from({ length: 3000 }, (_, i) => `line ${i} ${"x".repeat(30)}`), "```", "after"].join("\n");
    const cut = execFileSync("awk", [awk], { input: long, encoding: "utf8" });
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(60_004);
    expect(cut.trimEnd().endsWith("```")).toBe(true);
    expect(cut.match(/^```/gm)!.length % 2).toBe(0);
    expect(cut.split("\n").every((line) => line === "" || /^(# plan|```|line \d+ x+)$/.test(line))).toBe(true);
     // A cut inside a <details> holding a table closes it, after the code block the details held.
    const details = ["# plan", "<details>", "<summary>acme</summary>", "", "| a |", "|---|", ...Array.from({ length: 3000 }, (_, i) => `| row ${i} ${"x".repeat(30)} |`), "", "</details>"].join("\n");
    const closed = execFileSync("awk", [awk], { input: details, encoding: "utf8" });
    expect(closed.trimEnd().endsWith("\n\n</details>")).toBe(true);
    expect(closed.match(/^<details>/gm)!.length).toBe(closed.match(/^<\/details>/gm)!.length);
    const nested = ["<details>", "```", ...Array.from({ length: 3000 }, (_, i) => `line ${i} ${"x".repeat(30)}`), "```", "</details>"].join("\n");
    expect(execFileSync("awk", [awk], { input: nested, encoding: "utf8" }).trimEnd().endsWith("```\n\n</details>")).toBe(true);
    // Acknowledgements reach the plan from the pull request's labels, as they reach validate.
    expect(plan.run).toContain('select(startswith("data-loss:"))');
    expect(plan.run).toContain('allow+=(--allow-data-loss "$id")');
    expect(plan.run).toContain('--format markdown "${allow[@]}"');
  });
});

describe("the tenancy commands the workflows run", () => {
  const cli = buildCli(() => undefined);
  const invocations = files.flatMap((file) =>
    [...text(file).matchAll(/npx tenancy ([\w-]+)([^\n]*)/g)].map((m) => ({ file, command: m[1], flags: [...m[2].matchAll(/--[a-z][a-z-]*/g)].map((f) => f[0]) })),
  );

  it("are found", () => {
    expect(invocations.map((i) => `${i.file} ${i.command}`)).toEqual([
      "backup.yml cells",
      "backup.yml backup",
      "deploy.yml affected",
      "deploy.yml deploy-report",
      "drift.yml cells",
      "drift.yml status",
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
