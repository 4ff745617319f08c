// What a cell costs under the real Pulumi engine: `pulumi preview` and `pulumi up` wall time per
// tenant for 10 and 50 tenants, and the state each tenant adds (`pulumi stack export`), against the
// floor measured in the same run: a program registering as many bare resources (echo resources of
// the AWS stand-in plugin, no components, no dynamic providers) on the same engine.
//
//   npm run bench:engine        prints a table, then state_kb_per_tenant=<x>, then ratio=<up ours/floor> last
import { catalogFiles, defaults, type Catalog, type TenantFile } from "../test/engine/catalog";
import { startServices, type EngineServices } from "../test/engine/services";
import { EngineProject, EngineStack } from "../test/engine/stack";

const SIZES = [10, 50];
const MODES = ["database", "schema", "shared"] as const;

function catalogOf(n: number): Catalog {
  const tenants: TenantFile[] = Array.from({ length: n }, (_, i) => {
    const isolation = MODES[i % MODES.length];
    return {
      id: `t${String(i).padStart(3, "0")}`,
      name: `Tenant ${i}`,
      database: { isolation, server: "main" },
      storage: isolation === "database" ? { mode: "bucket", versioning: true, noncurrent_days: 30 } : { mode: "prefix", versioning: false, noncurrent_days: 30 },
    };
  });
  return { defaults: defaults("bench", { canary: 3, stable: 3 }), tenants };
}

/** The floor: `count` bare resources on the AWS stand-in, in a project of two files. */
function floorFiles(count: number): Record<string, string> {
  return {
    "Pulumi.yaml": "name: floor\nruntime:\n  name: nodejs\n  options:\n    typescript: false\n    nodeargs: --import tsx\nmain: index.ts\n",
    "index.ts": [
      `import * as aws from "@pulumi/aws";`,
      `const provider = new aws.Provider("aws", { region: "us-east-1" });`,
      `for (let i = 0; i < ${count}; i++) new aws.s3.BucketPublicAccessBlock(\`r\${i}\`, { bucket: \`floor-\${i}\`, blockPublicAcls: true }, { provider });`,
      `export const count = ${count};`,
      "",
    ].join("\n"),
  };
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

interface Row {
  tenants: number;
  resources: number;
  previewS: number;
  upS: number;
  floorPreviewS: number;
  floorUpS: number;
  stateKbPerTenant: number;
}

/** One size, on services of its own: a server's shared roles and databases belong to one stack. */
async function measure(n: number): Promise<Row> {
  const services = await startServices();
  try {
    return await measureOn(services, n);
  } finally {
    await services.stop();
  }
}

async function measureOn(services: EngineServices, n: number): Promise<Row> {
  const catalog = catalogOf(n);
  await services.prepare(catalog.tenants.map((t) => t.id), "bench", ["us-east-1"]);
  const ours = new EngineProject({ catalog: catalogFiles(catalog), env: services.env });
  try {
    const stack = await EngineStack.create(ours, "bench", services.config());
    const previewS = await timed(() => stack.preview());
    const upS = await timed(() => stack.up());
    const state = await stack.exportText();
    const resources = (JSON.parse(state).deployment.resources as Array<{ custom?: boolean }>).filter((r) => r.custom).length;
    const floor = new EngineProject({ catalog: {}, files: floorFiles(resources), env: services.env });
    try {
      const floorStack = await EngineStack.create(floor, "floor", { plain: {}, secrets: {} });
      const floorPreviewS = await timed(() => floorStack.preview());
      const floorUpS = await timed(() => floorStack.up());
      return { tenants: n, resources, previewS, upS, floorPreviewS, floorUpS, stateKbPerTenant: Buffer.byteLength(state) / 1024 / n };
    } finally {
      floor.dispose();
    }
  } finally {
    ours.dispose();
  }
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const n of SIZES) rows.push(await measure(n));
  console.log("tenants  resources  preview s/tenant (floor)  up s/tenant (floor)  state KB/tenant");
  for (const r of rows) {
    console.log(
      `${String(r.tenants).padStart(7)}  ${String(r.resources).padStart(9)}  ${(r.previewS / r.tenants).toFixed(3).padStart(7)} (${(r.floorPreviewS / r.tenants).toFixed(3)})` +
        `        ${(r.upS / r.tenants).toFixed(3).padStart(7)} (${(r.floorUpS / r.tenants).toFixed(3)})   ${r.stateKbPerTenant.toFixed(1).padStart(8)}`,
    );
  }
  const last = rows[rows.length - 1];
  console.log(`state_kb_per_tenant=${last.stateKbPerTenant.toFixed(1)}`);
  console.log(`ratio=${(last.upS / last.floorUpS).toFixed(2)}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
