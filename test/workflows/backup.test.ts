// The scheduled backup workflow (.github/workflows/backup.yml): checked against GitHub's workflow
// schema (workflows.test.ts runs action-validator on every workflow) and against what a backup run
// needs: per cell, the pg tools first, OIDC credentials that outlive the job, the Pulumi CLI for the
// stack config, and `tenancy backup --cell` whose failure fails the job after the summary is written.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { buildCli } from "../../lib/cli/main";

type Step = { uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string>; name?: string };
type Job = { needs?: string; if?: string; "timeout-minutes"?: number; permissions?: Record<string, string>; concurrency?: unknown; strategy?: unknown; steps: Step[] };
const text = readFileSync(".github/workflows/backup.yml", "utf8");
const wf = parse(text) as { on: Record<string, unknown>; permissions: Record<string, string>; jobs: Record<string, Job> };
const { cells, backup } = wf.jobs;
const at = (job: Job, match: (s: Step) => boolean) => job.steps.findIndex(match);

describe("backup workflow", () => {
  it("runs every day and on demand, per declared cell holding tenants, never cancelling a run", () => {
    expect(wf.on).toEqual({ schedule: [{ cron: "41 2 * * *" }], workflow_dispatch: null });
    expect(wf.permissions).toEqual({ contents: "read" });
    expect(cells.steps.map((s) => s.run ?? "").join("\n")).toContain("npx tenancy cells --format matrix");
    expect(backup.needs).toBe("cells");
    expect(backup.if).toBe("needs.cells.outputs.count != '0'");
    expect(backup.strategy).toEqual({ "fail-fast": false, matrix: "${{ fromJSON(needs.cells.outputs.matrix) }}" });
    expect(backup.concurrency).toEqual({ group: "backup-${{ matrix.stack }}", "cancel-in-progress": false });
    expect(text).not.toMatch(/cancel-in-progress: true|pulumi up|command: up|secrets\./);
  });

  it("installs pg_dump, gets OIDC credentials that outlive the job and the Pulumi CLI, before backing up", () => {
    const tools = at(backup, (s) => (s.run ?? "").includes("apt-get install -y -qq postgresql-client"));
    const aws = at(backup, (s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@") === true);
    const cli = at(backup, (s) => s.uses?.startsWith("pulumi/actions@") === true);
    const run = at(backup, (s) => (s.run ?? "").includes("npx tenancy backup"));
    expect([tools, aws, cli].every((i) => i >= 0 && i < run)).toBe(true);
    // Only the CLI: no command, so nothing is previewed or deployed.
    expect(backup.steps[cli].with).toBeUndefined();
    expect(backup.steps[aws].with?.["role-to-assume"]).toBe("${{ vars.AWS_BACKUP_ROLE_ARN }}");
    const jobSeconds = Number(backup["timeout-minutes"]) * 60;
    expect(Number(backup.steps[aws].with?.["role-duration-seconds"])).toBeGreaterThanOrEqual(jobSeconds);
    const token = backup.steps.find((s) => s.uses?.startsWith("pulumi/auth-actions@"))!;
    expect(Number(token.with?.expiration)).toBeGreaterThanOrEqual(jobSeconds);
    expect(backup.permissions).toEqual({ contents: "read", "id-token": "write" });
  });

  it("backs up the matrix cell with its stack prefix, writes the summary, and fails when a backup failed", () => {
    const step = backup.steps.find((s) => (s.run ?? "").includes("npx tenancy backup"))!;
    expect(step.env).toEqual({ CELL: "${{ matrix.stack }}", PULUMI_STACK_PREFIX: "${{ vars.PULUMI_STACK_PREFIX }}", PULUMI_BACKEND_URL: "${{ vars.PULUMI_BACKEND_URL }}" });
    expect(step.run).toContain('npx tenancy backup --cell "$CELL" --reason scheduled > backup.txt || status=$?');
    expect(step.run).toContain('>> "$GITHUB_STEP_SUMMARY"');
    expect(step.run!.trimEnd().endsWith('exit "$status"')).toBe(true);
    // The command and its flags exist, with `scheduled` among the reasons.
    const command = buildCli(() => undefined).commands.find((c) => c.name() === "backup")!;
    const reason = command.options.find((o) => o.long === "--reason")!;
    expect(command.options.map((o) => o.long)).toEqual(expect.arrayContaining(["--cell", "--reason", "--stack-prefix"]));
    expect(reason.argChoices).toContain("scheduled");
  });
});
