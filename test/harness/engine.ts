// Runs a dynamic provider the way the Pulumi engine does, without the engine: the provider object
// is serialized with `pulumi.runtime.serializeFunction` (as `pulumi.dynamic.Resource` does) and the
// text is loaded in a fresh `node` process with `requireFromString(text).handler()` (as
// @pulumi/pulumi/cmd/dynamic-provider does), from the project directory, so `require("pg")` resolves
// like it would under `pulumi up`. Nothing of the test process leaks into the provider's process.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";

const PROJECT_DIR = resolve(__dirname, "..", "..");
const PROVIDER_KEY = "__provider";

// The provider host's own loader, resolved from where @pulumi/pulumi would load it.
const REQUIRE_FROM_STRING = require.resolve("require-from-string", {
  paths: [dirname(require.resolve("@pulumi/pulumi/package.json"))],
});

// Child process: load the provider once (like the host's provider cache), run the calls in order,
// write one result per call. Errors carry the message the engine would show.
const HOST = `
const fs = require("fs");
const requireFromString = require(${JSON.stringify(REQUIRE_FROM_STRING)});
const [providerFile, requestFile, resultFile] = process.argv.slice(2);
(async () => {
  const provider = requireFromString(fs.readFileSync(providerFile, "utf8")).handler();
  const { calls } = JSON.parse(fs.readFileSync(requestFile, "utf8"));
  const results = [];
  for (const { method, args } of calls) {
    try {
      if (typeof provider[method] !== "function") throw new Error("provider has no method " + method);
      results.push({ ok: true, value: (await provider[method](...args)) ?? null });
    } catch (e) {
      results.push({ ok: false, message: String(e && e.message ? e.message : e) });
    }
  }
  fs.writeFileSync(resultFile, JSON.stringify(results));
})().catch((e) => { console.error(e); process.exit(1); });
`;

export type ProviderMethod = "check" | "diff" | "create" | "read" | "update" | "delete";

export interface EngineCall {
  method: ProviderMethod;
  args: unknown[];
}

export type EngineResult = { ok: true; value: any } | { ok: false; message: string };

export interface EngineRun {
  results: EngineResult[];
  /** Everything the provider process wrote to stdout and stderr. */
  logs: string;
}

export interface SerializedProvider {
  /** The text the engine stores in state as `__provider`. */
  text: string;
  containsSecrets: boolean;
  /** Runs the calls in order in one fresh provider process. */
  run(calls: EngineCall[]): Promise<EngineRun>;
  /** One call in its own process; throws with the provider's message when it fails. */
  call(method: ProviderMethod, ...args: unknown[]): Promise<any>;
  /** The inputs as the engine hands them to create/diff/update: plain values plus `__provider`. */
  inputs<T extends object>(inputs: T): T & { __provider: string };
}

export async function serializeProvider(provider: object): Promise<SerializedProvider> {
  // Same call and options as @pulumi/pulumi/dynamic's serializeFunctionMaybeSecret.
  const serialized = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
  const text = serialized.text;

  const run = async (calls: EngineCall[]): Promise<EngineRun> => {
    const dir = mkdtempSync(join(tmpdir(), "tenancy-engine-"));
    try {
      const files = ["provider.js", "request.json", "result.json", "host.js"].map((f) => join(dir, f));
      writeFileSync(files[0], text);
      writeFileSync(files[1], JSON.stringify({ calls }));
      writeFileSync(files[3], HOST);
      const logs = await new Promise<string>((done, fail) => {
        execFile(process.execPath, [files[3], files[0], files[1], files[2]], { cwd: PROJECT_DIR, timeout: 60_000 }, (error, stdout, stderr) => {
          if (error) fail(new Error(`provider process failed: ${error.message}\n${stderr}`));
          else done(stdout + stderr);
        });
      });
      return { results: JSON.parse(readFileSync(files[2], "utf8")), logs };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  return {
    text,
    containsSecrets: serialized.containsSecrets,
    run,
    async call(method, ...args) {
      const [result] = (await run([{ method, args }])).results;
      if (!result.ok) throw new Error(result.message);
      return result.value;
    },
    inputs: (inputs) => ({ ...inputs, [PROVIDER_KEY]: text }),
  };
}
