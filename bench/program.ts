// `npm run bench:program`: the Pulumi program evaluated under mocks for 10, 100 and 500 generated
// tenants, against the floor: the same number of bare resources, no components, through the same
// mocks in the same run. Each (variant, size) runs in a fresh child process so that its peak memory
// is its own. Prints wall time and peak memory per tenant, the growth of time per tenant from the
// smallest to the largest size, the state per tenant, and as the last line ratio=<ours/floor at the
// largest size>.
// Each child runs BENCH_REPEAT times (default 2), ours and floor interleaved, keeping the fastest:
// on a shared 2-core machine the slower runs measure the neighbours. The ratio is of CPU time per
// tenant (user + system of the child during evaluation), which load on other cores inflates least.
//
// How the program is registered: `ours` is the program as `tenancy plan` evaluates it
// (registerProgramAsync: the event loop gets a turn after each tenant, so each tenant's
// registrations settle before the next starts; see lib/program.ts), and the floor registers its
// bare resources with a turn after each tenant's worth of them, the same cadence, so the ratio
// compares the resources and not the cadence. At the largest size two more rows show both
// registered in one synchronous go, as index.ts runs the program (`ours-sync`, `floor-sync`: the
// floor as it was measured before the cadence existed).
//
// State per tenant (`state_kb_per_tenant=`, at the largest size): what the engine would write to the
// checkpoint for our resources, measured in a child of its own (recording it costs memory and time
// the timed children must not pay). Counted, per resource, as compact JSON: urn, custom, id, type,
// inputs (with the dynamic providers' `__provider`), outputs (the mocks' outputs: the inputs echoed
// plus what lib/plan/mock-outputs.ts computes, as a dynamic provider returns its inputs and more),
// parent, provider, dependencies, propertyDependencies, and protect / retainOnDelete /
// additionalSecretOutputs where set; the total over every resource of the stack (the shared ones
// too) divided by the number of tenants. Not counted: the engine's timestamps and source positions,
// the stack resource and its outputs, pretty-printing, and the growth of a secret from plaintext to
// ciphertext (a secret is counted as the SDK's secret envelope around its plaintext). The outputs of
// the real aws/cloudflare/postgresql providers hold more keys than the mocks' echo.
//
// BENCH_FLOOR_PROPS=<k> gives every bare resource k more (undefined) properties, which the SDK turns
// into Outputs as it does the declared outputs of a provider's resource class: with k=7 the floor
// has about as many Outputs per resource as our program (~9), which shows how much of the ratio is
// the SDK's cost per property rather than anything the program does. The default floor is k=0.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { loadCatalog, type Catalog, type CatalogFile } from "../lib/catalog";
import { parseTenancyConfig, rawConfigFromStackFile } from "../lib/config";
import { evaluate, type Registration } from "../lib/plan/evaluate";
import { registerProgram, registerProgramAsync } from "../lib/program";

const SIZES = [10, 100, 500];
const CELL = "bench";

type Variant = "ours" | "floor" | "ours-sync" | "floor-sync";

/** Extra properties per bare resource (see the top of the file). */
const FLOOR_PROPS = Number(process.env.BENCH_FLOOR_PROPS ?? 0);

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
 * The files of `n` tenants of the example catalog's defaults (its `_defaults.yaml` and
 * `_control-plane.yaml` included), cycling through every isolation mode, both storage modes, 0-2
 * custom domains, two regions and the given cells.
 */
export function generatedFiles(n: number, cells: readonly string[] = [CELL]): CatalogFile[] {
  const isolations = ["database", "schema", "shared"];
  const files: CatalogFile[] = ["_defaults.yaml", "_control-plane.yaml"].map((name) => ({
    name,
    path: `tenants/${name}`,
    text: readFileSync(`tenants/${name}`, "utf8"),
  }));
  // The cells are the benchmark's own (and the defaults' cell): declared with both regions and the example's server.
  const declared = [...new Set(["default", ...cells])].map((cell) => `  ${cell}: { regions: [eu-west-1, us-east-1] }`).join("\n");
  files.push({ name: "_cells.yaml", path: "tenants/_cells.yaml", text: `cells:\n${declared}\ndatabase_servers:\n  main:\n` });
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
  return files;
}

/** The catalog of generatedFiles(n, cells). */
export function generatedCatalog(n: number, cells: readonly string[] = [CELL]): Catalog {
  const loaded = loadCatalog(generatedFiles(n, cells));
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
  const extra = Object.fromEntries(Array.from({ length: FLOOR_PROPS }, (_, i) => [`out${i}`, undefined]));
  // One turn of the event loop per tenant's worth of bare resources, as registerProgramAsync takes one per tenant.
  const cadence = variant === "floor" ? Math.max(1, Math.round(resources / tenants)) : Infinity;
  const programs: Record<Variant, () => unknown> = {
    ours: () => registerProgramAsync(catalog, config),
    "ours-sync": () => registerProgram(catalog, config),
    floor: async () => {
      for (let i = 0; i < resources; i++) {
        new Bare(`bare-${i}`, { name: `bare-${i}`, tags: { index: String(i) }, ...extra });
        if ((i + 1) % cadence === 0) await new Promise((turn) => setImmediate(turn));
      }
      return {};
    },
    "floor-sync": () => {
      for (let i = 0; i < resources; i++) new Bare(`bare-${i}`, { name: `bare-${i}`, tags: { index: String(i) }, ...extra });
      return {};
    },
  };
  const program = programs[variant];
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

/** One resource as the checkpoint would hold it (see the top of the file for what is and is not counted). */
export function checkpointEntry(r: Registration): Record<string, unknown> {
  const state = r.state;
  if (!state) throw new Error(`${r.urn}: evaluated without recordState`);
  return {
    urn: r.urn,
    custom: r.custom,
    ...(r.custom ? { id: state.id ?? "" } : {}),
    type: r.type,
    inputs: state.inputs,
    outputs: state.outputs,
    ...(r.parent ? { parent: r.parent } : {}),
    ...(r.protect ? { protect: true } : {}),
    ...(r.retainOnDelete ? { retainOnDelete: true } : {}),
    ...(r.provider ? { provider: r.provider } : {}),
    ...(r.dependencies.length > 0 ? { dependencies: r.dependencies } : {}),
    ...(Object.keys(state.propertyDependencies).length > 0 ? { propertyDependencies: state.propertyDependencies } : {}),
    ...(r.additionalSecretOutputs.length > 0 ? { additionalSecretOutputs: r.additionalSecretOutputs } : {}),
  };
}

interface StateMeasurement {
  tenants: number;
  resources: number;
  /** Bytes of the compact JSON of every resource's checkpoint entry. */
  bytes: number;
  /** Of which: inputs, outputs, dependencies and propertyDependencies, `__provider` (in inputs and outputs). */
  parts: Record<"inputs" | "outputs" | "dependencies" | "providerCode", number>;
}

async function stateChild(tenants: number): Promise<StateMeasurement> {
  const catalog = generatedCatalog(tenants);
  const config = { ...parseTenancyConfig(rawConfigFromStackFile(readFileSync("Pulumi.example.yaml", "utf8"))), cell: CELL };
  const { registrations } = await evaluate(() => registerProgram(catalog, config), { stack: CELL, recordState: true });
  const size = (value: unknown) => (value === undefined ? 0 : Buffer.byteLength(JSON.stringify(value)));
  const parts = { inputs: 0, outputs: 0, dependencies: 0, providerCode: 0 };
  let bytes = 0;
  for (const r of registrations) {
    const entry = checkpointEntry(r);
    bytes += size(entry);
    parts.inputs += size(entry.inputs);
    parts.outputs += size(entry.outputs);
    parts.dependencies += size(entry.dependencies) + size(entry.propertyDependencies);
    for (const bag of [r.state!.inputs, r.state!.outputs]) parts.providerCode += typeof bag.__provider === "string" ? size(bag.__provider) : 0;
  }
  return { tenants, resources: registrations.length, bytes, parts };
}

function spawnChild(args: string[]): string {
  const run = spawnSync(process.execPath, ["--expose-gc", "--import", "tsx", __filename, "--child", ...args], { encoding: "utf8", maxBuffer: 16 * 1024 * 1024 });
  const line = run.stdout.trim().split("\n").pop() ?? "";
  if (run.status !== 0 || !line.startsWith("{")) throw new Error(`child ${args.join(" ")} failed (exit ${run.status}):\n${run.stderr.slice(-4000)}`);
  return line;
}

function runChild(variant: Variant, tenants: number, resources: number): Measurement {
  return JSON.parse(spawnChild([variant, String(tenants), String(resources)])) as Measurement;
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
  if (args[0] === "--child" && args[1] === "state") {
    process.stdout.write(`${JSON.stringify(await stateChild(Number(args[2])))}\n`);
    return;
  }
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
  const largest = SIZES[SIZES.length - 1];
  const oursSync = runChild("ours-sync", largest, 0);
  const extraRows = [oursSync, runChild("floor-sync", largest, oursSync.resources)];
  console.log(table([...rows, ...extraRows]));
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
  const state = JSON.parse(spawnChild(["state", String(large)])) as StateMeasurement;
  const kb = (bytes: number) => (bytes / 1024 / state.tenants).toFixed(1);
  console.log(
    `state per tenant at ${large} tenants (${state.resources} resources): ${kb(state.bytes)} KB, of which inputs ${kb(state.parts.inputs)}, ` +
      `outputs ${kb(state.parts.outputs)}, dependencies ${kb(state.parts.dependencies)}; __provider ${kb(state.parts.providerCode)} (in inputs and outputs)` +
      (FLOOR_PROPS > 0 ? `; floor resources carry ${FLOOR_PROPS} extra properties (BENCH_FLOOR_PROPS)` : ""),
  );
  console.log(`state_kb_per_tenant=${kb(state.bytes)}`);
  console.log(`ratio=${(perTenant("ours", large, "cpuMs") / perTenant("floor", large, "cpuMs")).toFixed(2)}`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.stack : String(error));
    process.exitCode = 1;
  });
}
