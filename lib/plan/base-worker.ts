// Child process of lib/plan/base-code.ts: `node --import tsx base-worker.ts <root> <dir> <cells>`.
// Loads the catalog, the stack config and the program from the checkout at <root> (the base's own
// code) and evaluates each cell under this code's recording mocks; writes the registrations as JSON
// to fd 3. The base's modules share @pulumi/pulumi with this file through the linked node_modules
// (one runtime, which the mocks replace).
import { writeSync } from "node:fs";
import { join } from "node:path";
import { evaluate, type Registration } from "./evaluate";

async function main(): Promise<void> {
  const [root, dir, cellsJson] = process.argv.slice(2);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const at = (path: string) => require(join(root, path));
  const { loadCatalog, readCatalogDir, formatError } = at("lib/catalog") as typeof import("../catalog");
  const { registerProgramAsync } = at("lib/program") as typeof import("../program");
  const { planConfig, PROJECT } = at("lib/plan") as typeof import(".");
  const loaded = loadCatalog(readCatalogDir(dir, root), dir, { atRef: true });
  if (!loaded.ok) throw new Error(`the tenant catalog is invalid:\n${loaded.errors.map(formatError).join("\n")}`);
  const catalog = loaded.catalog;
  const out: Registration[] = [];
  for (const cell of JSON.parse(cellsJson) as string[]) {
    if (!catalog.tenants.some((t) => t.cell === cell)) continue;
    const config = planConfig(cell, [catalog], root);
    const evaluation = await evaluate(() => registerProgramAsync(catalog, config), { project: PROJECT, stack: cell });
    out.push(...evaluation.registrations);
  }
  const json = Buffer.from(JSON.stringify(out), "utf8");
  for (let at = 0; at < json.length; ) at += writeSync(3, json, at);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
