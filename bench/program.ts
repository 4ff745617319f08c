// `npm run bench:program`: the Pulumi program evaluated under mocks for 10, 100 and 500 generated
// tenants, against the floor: the same number of bare resources, no components, through the same
// mocks in the same run. Each (variant, size) runs in a fresh child process so that its peak memory
// is its own. Prints wall time and peak memory per tenant, the growth of time per tenant from the
// smallest to the largest size, and as the last line ratio=<ours/floor at the largest size>.
// Each child runs BENCH_REPEAT times (default 2), ours and floor interleaved, keeping the fastest:
// on a shared 2-core machine the slower runs measure the neighbours. The ratio is of CPU time per
// tenant (user + system of the child during evaluation), which load on other cores inflates least.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { loadCatalog, type Catalog, type CatalogFile } from "../lib/catalog";
import { parseTenancyConfig, rawConfigFromStackFile } from "../lib/config";
import { evaluate } from "../lib/plan/evaluate";
import { registerProgram } from "../lib/program";

const SIZES = [10, 100, 500];
const CELL = "bench";

type Variant = "ours" | "floor";

interface Measurement {
  variant: Variant;
  tenants: number;
  resources: number;
  wallMs: number;
  /** User + system CPU time of the child during the evaluation. */
  cpuMs: number;
  /** Peak RSS of the child minus its RSS once everything was loaded and the catalog built. */
  peakMb: number;
  /** Serialized dynamic-provider code among the inputs: each dynamic resource carries (and stores in state) its own copy. */
  providerCodeKb: number;
}

/**
 * `n` tenants of the example catalog's defaults, cycling through every isolation mode, both storage
 * modes, 0-2 custom domains, two regions and the given cells.
 */
export function generatedCatalog(n: number, cells: readonly string[] = [CELL]): Catalog {
  const isolations = ["database", "schema", "shared"];
  const files: CatalogFile[] = ["_defaults.yaml", "_control-plane.yaml"].map((name) => ({
    name,
    path: `tenants/${name}`,
    text: readFileSync(`tenants/${name}`, "utf8"),
  }));
  for (let i = 0; i < n; i++) {
    // Mixed radix, cell the lowest digit: every combination appears once per 36 x cells tenants.
    const j = Math.floor(i / cells.length);
    const digits = (radix: number, below: number) => Math.floor(j / below) % radix;
    const id = `tenant-${String(i).padStart(4, "0")}`;
    const custom = Array.from({ length: digits(3, 6) }, (_, d) => `login${d}.${id}.example.com`);
    const text = [
      `id: ${id}`,
      `name: Tenant ${i}`,
      `cell: ${cells[i % cells.length]}`,
      `region: ${digits(2, 18) ? "us-east-1" : "eu-west-1"}`,
      `database: { isolation: ${isolations[digits(3, 1)]}, server: main }`,
      `storage: { mode: ${digits(2, 3) ? "prefix" : "bucket"}, versioning: true, noncurrent_days: 30 }`,
      `domains: { custom: [${custom.join(", ")}] }`,
      "",
    ].join("\n");
    files.push({ name: `${id}.yaml`, path: `tenants/${id}.yaml`, text });
  }
  const loaded = loadCatalog(files);
  if (!loaded.ok) throw new Error(`generated catalog is invalid: ${JSON.stringify(loaded.errors.slice(0, 3))}`);
  return loaded.catalog;
}

/** A resource with a few plain inputs and nothing else: what registering costs at the least. */
class Bare extends pulumi.CustomResource {
  constructor(name: string, inputs: pulumi.Inputs) {
    super("bench:index:Bare", name, inputs);
  }
}

async function child(variant: Variant, tenants: number, resources: number): Promise<Measurement> {
  const catalog = generatedCatalog(tenants);
  const config = { ...parseTenancyConfig(rawConfigFromStackFile(readFileSync("Pulumi.example.yaml", "utf8"))), cell: CELL };
  const program =
    variant === "ours"
      ? () => registerProgram(catalog, config)
      : () => {
          for (let i = 0; i < resources; i++) new Bare(`bare-${i}`, { name: `bare-${i}`, tags: { index: String(i) } });
          return {};
        };
  global.gc?.();
  const baseline = process.memoryUsage().rss;
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  const { registrations } = await evaluate(program, { stack: CELL });
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  const cpu = process.cpuUsage(cpuStart);
  const peakMb = (process.resourceUsage().maxRSS * 1024 - baseline) / 2 ** 20;
  const providerCodeKb = registrations.reduce((sum, r) => sum + (r.providerCode?.length ?? 0), 0) / 1024;
  return { variant, tenants, resources: registrations.length, wallMs, cpuMs: (cpu.user + cpu.system) / 1000, peakMb, providerCodeKb };
}

function runChild(variant: Variant, tenants: number, resources: number): Measurement {
  const run = spawnSync(process.execPath, ["--expose-gc", "--import", "tsx", __filename, "--child", variant, String(tenants), String(resources)], {
    encoding: "utf8",
    maxBuffer: 16 * 1024 * 1024,
  });
  const line = run.stdout.trim().split("\n").pop() ?? "";
  if (run.status !== 0 || !line.startsWith("{")) {
    throw new Error(`${variant} with ${tenants} tenants failed (exit ${run.status}):\n${run.stderr.slice(-4000)}`);
  }
  return JSON.parse(line) as Measurement;
}

function table(rows: Measurement[]): string {
  const header = ["variant", "tenants", "resources", "wall ms", "wall ms/tenant", "cpu ms/tenant", "peak MB", "KB/tenant", "provider code KB/tenant"];
  const cells = rows.map((r) => [
    r.variant,
    String(r.tenants),
    String(r.resources),
    r.wallMs.toFixed(0),
    (r.wallMs / r.tenants).toFixed(2),
    (r.cpuMs / r.tenants).toFixed(2),
    r.peakMb.toFixed(1),
    ((r.peakMb * 1024) / r.tenants).toFixed(0),
    (r.providerCodeKb / r.tenants).toFixed(0),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  return [header, ...cells].map((c) => c.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join("  ")).join("\n");
}

async function main() {
  const args = process.argv.slice(2);
  if (args[0] === "--child") {
    const measurement = await child(args[1] as Variant, Number(args[2]), Number(args[3]));
    process.stdout.write(`${JSON.stringify(measurement)}\n`);
    return;
  }
  const repeat = Number(process.env.BENCH_REPEAT ?? 2);
  const fastest = (a: Measurement | undefined, b: Measurement) => (a && a.cpuMs <= b.cpuMs ? a : b);
  const rows: Measurement[] = [];
  for (const tenants of SIZES) {
    let ours: Measurement | undefined;
    let floor: Measurement | undefined;
    for (let i = 0; i < repeat; i++) {
      ours = fastest(ours, runChild("ours", tenants, 0));
      // The floor registers exactly as many resources as our program did at this size.
      floor = fastest(floor, runChild("floor", tenants, ours.resources));
    }
    rows.push(ours!, floor!);
  }
  console.log(table(rows));
  const perTenant = (variant: Variant, tenants: number, key: "wallMs" | "cpuMs") => {
    const row = rows.find((r) => r.variant === variant && r.tenants === tenants)!;
    return row[key] / row.tenants;
  };
  const [small, large] = [SIZES[0], SIZES[SIZES.length - 1]];
  const total = (variant: Variant, tenants: number) => rows.find((r) => r.variant === variant && r.tenants === tenants)!.cpuMs;
  for (const variant of ["ours", "floor"] as const) {
    const growth = (key: "wallMs" | "cpuMs") => (perTenant(variant, large, key) / perTenant(variant, small, key)).toFixed(2);
    // Fixed costs (loading, serializing dynamic providers once) weigh on small sizes; the marginal
    // cost between the two largest sizes shows whether a tenant gets dearer as the stack grows.
    const [before, last] = SIZES.slice(-2);
    const marginal = (total(variant, last) - total(variant, before)) / (last - before);
    console.log(
      `${variant}: time per tenant from ${small} to ${large} tenants: wall x${growth("wallMs")}, cpu x${growth("cpuMs")}; ` +
        `marginal cpu per tenant ${before}->${last}: ${marginal.toFixed(2)} ms (${(perTenant(variant, before, "cpuMs")).toFixed(2)} ms average at ${before})`,
    );
  }
  console.log(`ratio=${(perTenant("ours", large, "cpuMs") / perTenant("floor", large, "cpuMs")).toFixed(2)}`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.stack : String(error));
    process.exitCode = 1;
  });
}
