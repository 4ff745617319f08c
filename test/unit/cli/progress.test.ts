// Progress of long work: plain lines on stderr while a person watches a terminal; nothing in a pipe,
// a log or with --quiet, so what a script reads never changes.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { progressReporter, type ProgressStream } from "../../../lib/cli/progress";
import { computePlan } from "../../../lib/plan";

/** A stream that says it is a terminal (or not), keeping what is written. */
function fakeStream(isTTY: boolean): ProgressStream & { text: string } {
  return {
    isTTY,
    text: "",
    write(chunk: string) {
      this.text += chunk;
      return true;
    },
  };
}

describe("progressReporter", () => {
  it("writes one plain line per step to a terminal, with the seconds since the first", () => {
    const stream = fakeStream(true);
    const clock = [1000, 1000, 3450];
    const progress = progressReporter("plan", stream, { now: () => clock.shift()! });
    progress("reading the catalog");
    progress("evaluating cell eu-1 in the working tree: 500 tenant(s)");
    expect(stream.text).toBe("tenancy plan [0.0s] reading the catalog\ntenancy plan [2.5s] evaluating cell eu-1 in the working tree: 500 tenant(s)\n");
  });

  it("is silent when the stream is not a terminal, or with quiet", () => {
    for (const [stream, quiet] of [[fakeStream(false), false], [fakeStream(true), true]] as const) {
      progressReporter("plan", stream, { quiet })("reading the catalog");
      expect(stream.text).toBe("");
    }
  });
});

describe("tenancy plan", { timeout: 120_000 }, () => {
  const bin = join(__dirname, "../../../bin/tenancy.js");

  it("tells each phase to the progress reporter it is given, and the plan is the same without one", async () => {
    const steps: string[] = [];
    const plan = await computePlan({ dir: "tenants", progress: (message) => steps.push(message) });
    expect(steps).toEqual(["reading the catalog", "evaluating every tenant (no base: every tenant is new)", "evaluating cell default in the working tree: 5 tenant(s)", "comparing"]);
    expect(await computePlan({ dir: "tenants" })).toEqual(plan);
  });

  /** Runs the bin with stderr on a terminal (util-linux `script` gives it one) and stdout in a file. */
  function onTerminal(args: string[]): { terminal: string; stdout: string } {
    const dir = mkdtempSync(join(tmpdir(), "tenancy-progress-"));
    try {
      const command = ["node", bin, ...args].map((a) => `'${a}'`).join(" ");
      const run = spawnSync("script", ["-qec", `${command} > '${join(dir, "out")}'`, "/dev/null"], { encoding: "utf8", cwd: process.cwd() });
      expect(run.status).toBe(0);
      return { terminal: run.stdout.replace(/\r/g, ""), stdout: readFileSync(join(dir, "out"), "utf8") };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it("writes progress lines to stderr when it is a terminal, none with --quiet, and stdout holds the plan alone", () => {
    const shown = onTerminal(["plan", "--format", "json"]);
    expect(shown.terminal).toMatch(/^tenancy plan \[0\.0s\] reading the catalog\n/);
    expect(shown.terminal).toMatch(/^tenancy plan \[\d+\.\ds\] evaluating cell default in the working tree: 5 tenant\(s\)$/m);
    expect(JSON.parse(shown.stdout).tenants.length).toBe(5);
    const quiet = onTerminal(["plan", "--format", "json", "--quiet"]);
    expect(quiet.terminal).toBe("");
    expect(JSON.parse(quiet.stdout)).toEqual(JSON.parse(shown.stdout));
  });

  it("writes no progress where stderr is a pipe, as in CI", () => {
    const out = spawnSync("node", [bin, "plan", "--format", "json"], { encoding: "utf8" });
    expect(out.status).toBe(0);
    expect(out.stderr).toBe("");
    expect(JSON.parse(out.stdout).tenants.length).toBe(5);
  });
});
