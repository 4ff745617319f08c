// `npm run bench:plan`: the pull-request loop. A generated 500-tenant cell (bench/program.ts
// generatedFiles) is committed to a temporary git repository with the project's Pulumi.yaml and
// migrations; one tenant file is then edited in the working tree and `tenancy plan --base HEAD`
// (bin/tenancy.js, as CI runs it) plans the change. Measured: the command's wall time, from
// spawning it to its exit, and its peak RSS. The floor: one bare evaluation of the same catalog
// (the program under the same mocks for the working tree's 500 tenants, registered as the plan
// registers it, nothing else), in a process of its own measured the same way. Prints a table,
// whether the targets (5 s, 500 MB) are met, and as the last line ratio=<plan wall time / floor
// wall time>.
// Each is run BENCH_REPEAT times (default 2), keeping the fastest. BENCH_PLAN_FULL=1 also times the
// plan with both sides evaluated in full (what `tenancy plan --base` did before lib/plan/scope.ts)
// and checks that it prints the same plan.
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { generatedFiles } from "./program";

const TENANTS = Number(process.env.BENCH_TENANTS ?? 500);
const CELL = "bench";
const CHANGED = "tenant-0250";
const TARGET = { seconds: 5, megabytes: 500 };
const ROOT = resolve(__dirname, "..");

interface Run {
  what: string;
  wallMs: number;
  peakMb: number;
  /** The command's standard output, for the plan's summary lines. */
  stdout: string;
}

/**
 * Runs node with `args` in `cwd` and measures it: wall time around the process, peak RSS as the
 * process itself reports it at exit (a preload writes process.resourceUsage() to a file).
 */
function measure(what: string, args: string[], cwd: string, scratch: string, expectExit = 0): Run {
  const usageFile = join(scratch, "usage.json");
  rmSync(usageFile, { force: true });
  const preload = join(scratch, "report-usage.js");
  const start = process.hrtime.bigint();
  const run = spawnSync(process.execPath, ["--require", preload, ...args], {
    cwd,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, BENCH_USAGE_FILE: usageFile },
  });
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  if (run.status !== expectExit) throw new Error(`${what} failed (exit ${run.status}):\n${run.stderr.slice(-4000)}`);
  const usage = JSON.parse(readFileSync(usageFile, "utf8")) as { maxRSS: number };
  return { what, wallMs, peakMb: (usage.maxRSS * 1024) / 2 ** 20, stdout: run.stdout };
}

function fastest(runs: Run[]): Run {
  return runs.reduce((a, b) => (a.wallMs <= b.wallMs ? a : b));
}

/** The floor's process: the working tree's catalog evaluated once under the mocks. */
async function floorChild(repo: string) {
  const { catalogFromDir, registerProgramAsync } = await import("../lib/program");
  const { parseTenancyConfig, rawConfigFromStackFile } = await import("../lib/config");
  const { evaluate } = await import("../lib/plan/evaluate");
  const catalog = catalogFromDir(join(repo, "tenants"));
  const config = parseTenancyConfig(rawConfigFromStackFile(readFileSync(join(ROOT, "Pulumi.example.yaml"), "utf8")), CELL);
  const { registrations } = await evaluate(() => registerProgramAsync(catalog, config), { stack: CELL });
  process.stdout.write(`${registrations.length} resources\n`);
}

/** The plan with both sides in full, through the same code as the command. */
async function fullPlanChild(repo: string) {
  const { computePlan, formatPlan } = await import("../lib/plan");
  process.stdout.write(formatPlan(await computePlan({ base: "HEAD", cwd: repo, full: true }), "text"));
}

function table(rows: Run[]): string {
  const header = ["what", "wall s", "peak MB"];
  const cells = rows.map((r) => [r.what, (r.wallMs / 1000).toFixed(2), r.peakMb.toFixed(0)]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  return [header, ...cells].map((c) => c.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join("  ")).join("\n");
}

async function main() {
  const args = process.argv.slice(2);
  if (args[0] === "--floor") return floorChild(args[1]);
  if (args[0] === "--full-plan") return fullPlanChild(args[1]);

  const scratch = mkdtempSync(join(tmpdir(), "tenancy-bench-plan-"));
  try {
    writeFileSync(
      join(scratch, "report-usage.js"),
      'process.on("exit", () => require("node:fs").writeFileSync(process.env.BENCH_USAGE_FILE, JSON.stringify(process.resourceUsage())));\n',
    );
    const repo = join(scratch, "repo");
    mkdirSync(join(repo, "tenants"), { recursive: true });
    for (const f of generatedFiles(TENANTS, [CELL])) writeFileSync(join(repo, f.path), f.text);
    cpSync(join(ROOT, "migrations"), join(repo, "migrations"), { recursive: true });
    cpSync(join(ROOT, "Pulumi.yaml"), join(repo, "Pulumi.yaml"));
    const git = (...a: string[]) => spawnSync("git", ["-c", "user.name=bench", "-c", "user.email=bench@example.com", ...a], { cwd: repo, encoding: "utf8" });
    git("init", "-q");
    git("add", ".");
    git("commit", "-qm", "catalog");
    // The pull request: one tenant gets a custom domain and a new display name.
    const file = join(repo, "tenants", `${CHANGED}.yaml`);
    writeFileSync(file, readFileSync(file, "utf8").replace(/^name: .*$/m, "name: Renamed Tenant").replace(/custom: \[[^\]]*\]/, "custom: [portal.renamed.example.com]"));

    const repeat = Number(process.env.BENCH_REPEAT ?? 2);
    const times = <T>(n: number, f: () => T) => Array.from({ length: n }, f);
    const tenancy = join(ROOT, "bin", "tenancy.js");
    const plan = fastest(times(repeat, () => measure("tenancy plan --base HEAD (one tenant changed)", [tenancy, "plan", "--base", "HEAD"], repo, scratch)));
    const floor = fastest(times(repeat, () => measure(`floor: one evaluation of the ${TENANTS} tenants`, ["--import", "tsx", __filename, "--floor", repo], ROOT, scratch)));
    const rows = [plan, floor];
    const full = process.env.BENCH_PLAN_FULL === "1" ? measure("plan with both sides in full", ["--import", "tsx", __filename, "--full-plan", repo], ROOT, scratch) : undefined;
    if (full) rows.push(full);
    console.log(`${TENANTS} tenants in cell ${CELL}; ${CHANGED} renamed and given a custom domain`);
    console.log(table(rows));
    if (full) console.log(`the plan printed is the full evaluation's: ${plan.stdout.trimEnd() === full.stdout.trimEnd() ? "yes" : "NO"}`);
    const summary = plan.stdout.split("\n").filter((line) => /^\d+ to create|^[-+~=] /.test(line));
    console.log(`the plan says:\n${summary.map((line) => `  ${line}`).join("\n")}`);
    const met = plan.wallMs <= TARGET.seconds * 1000 && plan.peakMb <= TARGET.megabytes;
    console.log(`target ≤ ${TARGET.seconds} s and ≤ ${TARGET.megabytes} MB: ${met ? "met" : "NOT met"}; peak RSS plan/floor ${(plan.peakMb / floor.peakMb).toFixed(2)}`);
    console.log(`ratio=${(plan.wallMs / floor.wallMs).toFixed(2)}`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : String(error));
  process.exitCode = 1;
});
