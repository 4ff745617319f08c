// .github/scripts/drift-issue.sh run for real under bash, with jq, against a recording `gh` on PATH
// (GitHub's API cannot be reached offline): which issue it opens, comments on or closes per cell,
// what the body says, and its exit code.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const SCRIPT = resolve(".github/scripts/drift-issue.sh");
const dir = mkdtempSync(join(tmpdir(), "tenancy-drift-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Records each call (one JSON array of arguments per line), copies --body-file, answers `issue list` with $GH_ISSUES.
const GH = `#!/usr/bin/env bash
args=("$@")
printf '%s\\n' "$(jq -cn '$ARGS.positional' --args -- "$@")" >> "$GH_LOG"
for ((i = 0; i < \${#args[@]}; i++)); do
  if [ "\${args[$i]}" = --body-file ]; then cp "\${args[$((i + 1))]}" "$GH_BODY"; fi
done
if [ "$1 $2" = "issue list" ]; then printf '%s' "$GH_ISSUES"; fi
`;
writeFileSync(join(dir, "gh"), GH);
chmodSync(join(dir, "gh"), 0o755);

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  calls: string[][];
  body: string;
}

function run(env: Record<string, string>, issues: unknown[] = []): Run {
  const log = join(dir, `${Math.random().toString(36).slice(2)}.log`);
  const body = `${log}.body`;
  writeFileSync(log, "");
  const result = spawnSync("bash", [SCRIPT], {
    encoding: "utf8",
    env: { PATH: `${dir}:${process.env.PATH}`, GH_LOG: log, GH_BODY: body, GH_ISSUES: JSON.stringify(issues), RUN_URL: "https://github.com/o/r/actions/runs/7", ...env },
  });
  const calls = readFileSync(log, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as string[]);
  let text = "";
  try {
    text = readFileSync(body, "utf8");
  } catch {
    // No body file: no comment or issue was written.
  }
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, calls, body: text };
}

const statusFile = (text: string) => {
  const path = join(dir, `${Math.random().toString(36).slice(2)}.md`);
  writeFileSync(path, text);
  return path;
};

describe("drift-issue.sh", () => {
  it("a cell with unhealthy tenants and no open issue: the label made sure of, one issue opened with the status report; exit 1", () => {
    const r = run({ CELL: "eu-1", PREVIEW_OUTCOME: "success", STATUS_EXIT: "1", STATUS_FILE: statusFile("| tenant | health |\n|---|---|\n| acme | UNHEALTHY |\n") });
    expect(r.status).toBe(1);
    expect(r.calls[0]!.slice(0, 6)).toEqual(["issue", "list", "--state", "open", "--label", "drift"]);
    expect(r.calls.slice(1).map((c) => c.slice(0, 2))).toEqual([["label", "create"], ["issue", "create"]]);
    expect(r.calls[2]).toEqual(expect.arrayContaining(["--title", "Drift in cell eu-1", "--label", "drift"]));
    expect(r.body).toContain("Drift check of cell `eu-1` ([run](https://github.com/o/r/actions/runs/7))");
    expect(r.body).toContain("- `pulumi preview --refresh --expect-no-changes`: no changes");
    expect(r.body).toContain("- `tenancy status`: **unhealthy tenant(s)**");
    expect(r.body).toContain("| acme | UNHEALTHY |");
    expect(r.stdout).toContain("cell eu-1: drift, issue opened");
  });

  it("a drifted cell whose issue is open: that issue (by exact title) gets a comment, no second issue", () => {
    const issues = [
      { number: 4, title: "Drift in cell eu-10" },
      { number: 9, title: "Drift in cell eu-1" },
    ];
    const preview = statusFile("Previewing update (eu-1)\n~ aws:s3/bucketV2:BucketV2 acme-bucket update [diff: ~tags]\n");
    const r = run({ CELL: "eu-1", PREVIEW_OUTCOME: "failure", STATUS_EXIT: "0", PREVIEW_FILE: preview }, issues);
    expect(r.status).toBe(1);
    expect(r.calls.slice(1)).toEqual([["issue", "comment", "9", "--body-file", expect.any(String)]]);
    expect(r.body).toContain("- `pulumi preview --refresh --expect-no-changes`: **failure**");
    expect(r.body).toContain("- `tenancy status`: every tenant healthy");
    expect(r.body).toContain("~ aws:s3/bucketV2:BucketV2 acme-bucket update [diff: ~tags]");
  });

  it("a cell back in order: its open issue is commented on and closed; none open: nothing is written; exit 0", () => {
    const closed = run({ CELL: "eu-1", PREVIEW_OUTCOME: "success", STATUS_EXIT: "0" }, [{ number: 9, title: "Drift in cell eu-1" }]);
    expect(closed.status).toBe(0);
    expect(closed.calls.slice(1).map((c) => c.slice(0, 3))).toEqual([["issue", "comment", "9"], ["issue", "close", "9"]]);
    const quiet = run({ CELL: "eu-2", PREVIEW_OUTCOME: "success", STATUS_EXIT: "0" }, [{ number: 9, title: "Drift in cell eu-1" }]);
    expect(quiet.status).toBe(0);
    expect(quiet.calls).toHaveLength(1);
    expect(quiet.stdout).toContain("cell eu-2: no drift");
  });

  it("a status that could not run counts as drift, and a long report is cut on a line boundary", () => {
    const long = Array.from({ length: 2000 }, (_, i) => `| tenant-${i} | healthy |`).join("\n");
    const r = run({ CELL: "eu-3", PREVIEW_OUTCOME: "success", STATUS_EXIT: "2", STATUS_FILE: statusFile(long) });
    expect(r.status).toBe(1);
    expect(r.body).toContain("- `tenancy status`: **could not run** (exit 2)");
    expect(r.body.length).toBeLessThan(31_000);
    expect(r.body.trimEnd().endsWith("(cut)")).toBe(true);
    expect(r.body.split("\n").filter((l) => l.startsWith("| tenant-")).every((l) => /^\| tenant-\d+ \| healthy \|$/.test(l))).toBe(true);
  });

  it("refuses to run without the cell or the outcomes", () => {
    const r = run({ PREVIEW_OUTCOME: "success", STATUS_EXIT: "0" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("CELL is required");
    expect(r.calls).toEqual([]);
  });
});
