// The loader each dynamic resource stores in state (`__provider`, components/dynamic.ts): it is
// small, holds no path and no secret, is the same text for every resource of a kind, and in plain
// `node` run from a project directory it reaches the implementation that directory holds at call
// time, so a changed delete path reaches resources created before.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { loaderText } from "../../../components/dynamic";
import { evaluate, plaintextOccurrences } from "../../../lib/plan/evaluate";
import { registerProgram } from "../../../lib/program";
import { PROVIDER_KINDS } from "../../../providers";
import { catalogOf, exampleConfig, ROOT } from "../tenancy-fixtures";

const CANARIES = {
  databasePasswords: { main: "canary-db-admin-5b0e" },
  controlPlaneClientSecret: "canary-client-secret-77a1",
  webhookSecret: "canary-webhook-secret-0c4f2d9e",
};
/** The SDK's own loader of `__provider` texts, as the dynamic-provider host resolves it. */
const REQUIRE_FROM_STRING = require.resolve("require-from-string", { paths: [dirname(require.resolve("@pulumi/pulumi/package.json"))] });

describe("the stored loader", () => {
  test.each(PROVIDER_KINDS)("%s: under 512 bytes, no path, no SDK", (kind) => {
    const text = loaderText(kind);
    expect(text.length).toBeLessThan(512);
    expect(text).toContain(`.provider("${kind}")`);
    expect(text).not.toContain(ROOT);
    expect(text).not.toMatch(/["'`]\/[^"'`]*["'`]|node_modules/);
    expect(text.match(/require\("[^"]*"\)/g)).toEqual(['require("tsx/cjs/api")', 'require("path")']);
  });

  test("every dynamic resource of a program stores its kind's loader: the same text for each resource, no canary", async () => {
    const catalog = catalogOf({ alpha: { storage: { mode: "prefix", versioning: true, noncurrent_days: 7 } }, beta: { database: { isolation: "schema", server: "main" } } });
    const ev = await evaluate(() => registerProgram(catalog, exampleConfig(CANARIES)));
    const dynamic = ev.registrations.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/tenancy:"));
    const byKind = new Map<string, Set<string>>();
    for (const r of dynamic) byKind.set(r.type, (byKind.get(r.type) ?? new Set()).add(r.providerCode!));
    expect([...byKind.keys()].map((t) => t.split(":").pop()).sort()).toEqual([...PROVIDER_KINDS].sort());
    for (const [kind, texts] of byKind) {
      expect(texts.size, kind).toBe(1);
      const [text] = texts;
      expect(text).toBe(loaderText(kind.split(":").pop() as (typeof PROVIDER_KINDS)[number]));
    }
    for (const canary of [CANARIES.databasePasswords.main, CANARIES.controlPlaneClientSecret, CANARIES.webhookSecret]) {
      expect(plaintextOccurrences(ev, canary)).toEqual([]);
    }
  });
});

describe("the loader in plain node", () => {
  const scratch = mkdtempSync(join(tmpdir(), "tenancy-loader-"));
  beforeAll(async () => {
    for (const kind of PROVIDER_KINDS) writeFileSync(join(scratch, `${kind}.js`), loaderText(kind));
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  /** Runs `script` (with `load(kind)` giving the handler of a stored loader) in `node`, from `cwd`, as the host runs. */
  function host(cwd: string, script: string): unknown {
    const texts = Object.fromEntries(PROVIDER_KINDS.map((k) => [k, join(scratch, `${k}.js`)]));
    const program = `
      const fs = require("fs");
      const requireFromString = require(${JSON.stringify(REQUIRE_FROM_STRING)});
      const texts = ${JSON.stringify(texts)};
      const load = (kind) => requireFromString(fs.readFileSync(texts[kind], "utf8")).handler();
      (async () => { process.stdout.write(JSON.stringify(await (async () => { ${script} })())); })()
        .catch((e) => { process.stdout.write(JSON.stringify({ error: e.message })); });`;
    return JSON.parse(execFileSync(process.execPath, ["-e", program], { cwd, encoding: "utf8", timeout: 60_000 }));
  }

  test("registers tsx and reaches the project's current implementation of every kind", () => {
    const results = host(
      ROOT,
      `const out = {};
       for (const kind of Object.keys(texts)) {
         const provider = load(kind);
         const checked = await provider.check({}, {});
         const diff = await provider.diff("id", { __provider: "old text" }, { __provider: "new text" }).catch((e) => ({ error: e.message }));
         out[kind] = { failures: (checked.failures || []).length > 0, diff };
       }
       return out;`,
    ) as Record<string, { failures: boolean; diff: unknown }>;
    for (const kind of PROVIDER_KINDS) {
      // check's failures come from the implementation in providers/ (the loader has no check of its own).
      expect(results[kind]?.failures, kind).toBe(true);
      // A new loader text alone is an update of every resource, never a replacement.
      expect(results[kind]?.diff, kind).toEqual({ changes: true, replaces: [] });
    }
  });

  test("a changed delete path reaches a resource whose state was written before the change", () => {
    // A project whose providers/index.ts is edited between two runs of the same stored loader text.
    const project = join(scratch, "project");
    mkdirSync(join(project, "providers"), { recursive: true });
    symlinkSync(join(ROOT, "node_modules"), join(project, "node_modules"));
    const version = (n: number) =>
      `export function provider(kind: string) { return { delete: async (id: string) => ({ kind, id, deletedBy: ${n} }) }; }\n`;
    writeFileSync(join(project, "providers", "index.ts"), version(1));
    const script = `return load("TenantSeed").delete("old-resource", { __provider: "stored" });`;
    expect(host(project, script)).toEqual({ kind: "TenantSeed", id: "old-resource", deletedBy: 1 });
    writeFileSync(join(project, "providers", "index.ts"), version(2));
    expect(host(project, script)).toEqual({ kind: "TenantSeed", id: "old-resource", deletedBy: 2 });
  });
});
