// Makes the Pulumi engine available to the engine tests: the `pulumi` CLI at exactly the version
// this project pins, found on PATH or built from Pulumi's Go modules into a cache outside the
// repository (reused on every later run). `npm run engine` runs this file; so does `npm test`.
//
// Why build: the npm package `pulumi` only downloads the CLI at run time, and these machines reach
// package registries only. The CLI is a Go module (test/engine/build/go.mod pins it), and the Go
// module proxy serves it. The Node.js language host is not served (its module has no version on the
// proxy), so the engine tests hand the program to the CLI through @pulumi/pulumi's own language
// server (see program-server.ts); a machine with `pulumi-language-nodejs` uses that instead.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";

const BUILD_DIR = resolve(__dirname, "build");
const CLI_PACKAGE = "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi";
const VERSION_SYMBOL = "github.com/pulumi/pulumi/sdk/v3/go/common/version.Version";

/** The engine version test/engine/build/go.mod pins, e.g. "v3.248.0": the one fact, read where it is written. */
export function pinnedEngineVersion(): string {
  const goMod = readFileSync(join(BUILD_DIR, "go.mod"), "utf8");
  const m = /github\.com\/pulumi\/pulumi\/pkg\/v3 (v\d+\.\d+\.\d+)/.exec(goMod);
  if (!m) throw new Error(`${join(BUILD_DIR, "go.mod")}: no requirement on github.com/pulumi/pulumi/pkg/v3`);
  return m[1];
}

/** Where built engines are kept: outside the repository, shared by every clone on the machine. */
export function engineCacheDir(): string {
  const root = process.env.TENANCY_ENGINE_CACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "tenancy", "engine");
  return join(root, pinnedEngineVersion());
}

export interface Engine {
  /** Absolute path of the `pulumi` binary. */
  pulumi: string;
  version: string;
  /** Where it came from. */
  source: "path" | "cache" | "built";
  /** `pulumi-language-nodejs` beside the CLI or on PATH, when there is one. */
  languageHost?: string;
}

function versionOf(binary: string): string | undefined {
  const r = spawnSync(binary, ["version"], { encoding: "utf8", env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" } });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

function languageHostBeside(pulumi: string): string | undefined {
  const beside = join(dirname(pulumi), "pulumi-language-nodejs");
  return existsSync(beside) ? beside : onPath("pulumi-language-nodejs");
}

/** The engine, without building: PATH first (at the pinned version), then the cache. */
export function findEngine(): Engine | undefined {
  const version = pinnedEngineVersion();
  const fromPath = onPath("pulumi");
  if (fromPath && versionOf(fromPath) === version) return { pulumi: fromPath, version, source: "path", languageHost: languageHostBeside(fromPath) };
  const cached = join(engineCacheDir(), "pulumi");
  if (existsSync(cached) && versionOf(cached) === version) return { pulumi: cached, version, source: "cache", languageHost: languageHostBeside(cached) };
  return undefined;
}

/** Builds the CLI into the cache with the Go toolchain; the binary appears only once it is complete. */
export function buildEngine(log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Engine {
  const version = pinnedEngineVersion();
  if (!onPath("go")) {
    throw new Error(
      `the Pulumi engine ${version} is needed by the engine tests and was not found: neither \`pulumi\` at ${version} on PATH ` +
        `nor a cached build in ${engineCacheDir()}, and there is no Go toolchain to build one. ` +
        `Install Go 1.25 or newer (https://go.dev/dl/) and run \`npm run engine\`, or put the Pulumi CLI ${version} on PATH.`,
    );
  }
  const dir = engineCacheDir();
  mkdirSync(dir, { recursive: true });
  const partial = join(dir, `pulumi.partial-${process.pid}`);
  log(`building the Pulumi engine ${version} from its Go modules into ${dir} (a few minutes the first time, cached afterwards)`);
  const started = Date.now();
  try {
    execFileSync("go", ["build", "-trimpath", "-ldflags", `-X ${VERSION_SYMBOL}=${version}`, "-o", partial, CLI_PACKAGE], {
      cwd: BUILD_DIR,
      stdio: ["ignore", "inherit", "inherit"],
      // The go.sum beside go.mod is complete: nothing may be resolved anew.
      env: { ...process.env, GOFLAGS: "-mod=readonly" },
    });
    renameSync(partial, join(dir, "pulumi"));
  } finally {
    rmSync(partial, { force: true });
  }
  const pulumi = join(dir, "pulumi");
  const built = versionOf(pulumi);
  if (built !== version) throw new Error(`the engine built into ${pulumi} reports ${built ?? "nothing"}, expected ${version}`);
  log(`built the Pulumi engine ${version} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return { pulumi, version, source: "built", languageHost: languageHostBeside(pulumi) };
}

export function ensureEngine(): Engine {
  return findEngine() ?? buildEngine();
}

if (require.main === module) {
  try {
    const engine = ensureEngine();
    const host = engine.languageHost ? `language host ${engine.languageHost}` : "no pulumi-language-nodejs: programs run through @pulumi/pulumi's language server";
    process.stdout.write(`pulumi ${engine.version} (${engine.source}) at ${engine.pulumi}; ${host}\n`);
  } catch (e) {
    process.stderr.write(`engine: ${(e as Error).message}\n`);
    process.exit(1);
  }
}
