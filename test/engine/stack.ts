// Drives the real Pulumi CLI over a throw-away copy of this project: a local file backend, a
// passphrase secrets provider, the stand-in plugins of test/engine/bin on PATH beside the real
// dynamic-provider host, and the program handed over by program-server.ts (or by
// `pulumi-language-nodejs` where the machine has it). Each test gets its own copy, so a test may
// edit the copy's code (a provider's delete path, say) without touching the repository.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { ensureEngine, type Engine } from "./ensure";

const REPO = resolve(__dirname, "..", "..");
/** What `pulumi up` needs of the repository; tests, benchmarks and docs stay behind. */
const PROJECT_ENTRIES = ["Pulumi.yaml", "package.json", "tsconfig.json", "index.ts", "components", "lib", "providers", "migrations", "certs"];
const STANDIN_BIN = join(__dirname, "bin");
/** Pulumi's own launcher of the dynamic-provider host, shipped in the SDK package. */
const DYNAMIC_HOST_BIN = dirname(require.resolve("@pulumi/pulumi/package.json"));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr together, for assertions on what a user would see. */
  output: string;
}

export class CliError extends Error {
  constructor(readonly args: string[], readonly result: CliResult) {
    super(`pulumi ${args.join(" ")} exited with ${result.code}:\n${result.output.slice(-6000)}`);
  }
}

export interface ProjectOptions {
  /** Tenant catalog: file name -> YAML text, written to the copy's tenants/. */
  catalog: Record<string, string>;
  /**
   * Instead of a copy of this project, a project of these files (path -> text; a Pulumi.yaml among
   * them): a benchmark's floor, say. node_modules is linked in either way.
   */
  files?: Record<string, string>;
  /** Extra environment for every command (credentials, endpoints, CA files). */
  env?: Record<string, string>;
}

export interface CommandOptions {
  /** The command runs the program (preview, up): the program server is started for it where needed. */
  program?: boolean;
  /** Throw on a non-zero exit (the default). */
  check?: boolean;
  /** Add the output to the project's transcript (the default; off for a test's own --show-secrets reads). */
  record?: boolean;
}

export interface StateResource {
  urn: string;
  type: string;
  id?: string;
  protect?: boolean;
  retainOnDelete?: boolean;
  inputs?: Record<string, any>;
  outputs?: Record<string, any>;
  dependencies?: string[];
  parent?: string;
}

/** A copy of the project with its own backend; delete it with dispose(). */
export class EngineProject {
  readonly engine: Engine;
  readonly dir: string;
  private readonly root: string;
  private readonly passphrase = randomBytes(12).toString("hex");
  env: Record<string, string>;
  /** Everything every command printed, for the hunt for a secret in plaintext. */
  transcript = "";

  constructor(options: ProjectOptions) {
    this.engine = ensureEngine();
    this.root = mkdtempSync(join(tmpdir(), "tenancy-engine-"));
    this.dir = join(this.root, "project");
    mkdirSync(this.dir);
    if (options.files) {
      for (const [path, text] of Object.entries(options.files)) {
        mkdirSync(dirname(join(this.dir, path)), { recursive: true });
        writeFileSync(join(this.dir, path), text);
      }
    } else {
      for (const entry of PROJECT_ENTRIES) {
        try {
          cpSync(join(REPO, entry), join(this.dir, entry), { recursive: true });
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
        }
      }
    }
    symlinkSync(join(REPO, "node_modules"), join(this.dir, "node_modules"), "dir");
    this.writeCatalog(options.catalog);
    mkdirSync(join(this.root, "state"));
    this.env = { ...options.env };
  }

  /** Replaces the copy's catalog with these files. */
  writeCatalog(catalog: Record<string, string>): void {
    const dir = join(this.dir, "tenants");
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    for (const [name, text] of Object.entries(catalog)) writeFileSync(join(dir, name), text);
  }

  /** Edits a file of the copy (path relative to the project). */
  edit(path: string, change: (text: string) => string): void {
    const file = join(this.dir, path);
    writeFileSync(file, change(readFileSync(file, "utf8")));
  }

  /** Writes a file of the copy (path relative to the project). */
  write(path: string, text: string): void {
    writeFileSync(join(this.dir, path), text);
  }

  /** The environment every command runs with: this project's backend, passphrase, plugins. */
  commandEnv(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      PULUMI_HOME: join(this.root, "home"),
      PULUMI_BACKEND_URL: `file://${join(this.root, "state")}`,
      PULUMI_CONFIG_PASSPHRASE: this.passphrase,
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      PULUMI_SKIP_CONFIRMATIONS: "true",
      NO_COLOR: "1",
      // As the Automation API sets it: enables `--event-log`, the engine's own record of every step.
      PULUMI_DEBUG_COMMANDS: "true",
      PATH: [STANDIN_BIN, DYNAMIC_HOST_BIN, process.env.PATH ?? ""].join(delimiter),
      ...this.env,
    };
  }

  /** Runs `pulumi <args>` in the project. */
  async pulumi(args: string[], options: CommandOptions = {}): Promise<CliResult> {
    const env = this.commandEnv();
    let server: ReturnType<typeof spawn> | undefined;
    const full = [...args, "--non-interactive", "--color", "never"];
    if (options.program && !this.engine.languageHost) {
      server = this.startProgramServer(env);
      const port = await new Promise<string>((done, fail) => {
        let out = "";
        let err = "";
        server!.stdout!.on("data", (d) => {
          out += d;
          if (out.includes("\n")) done(out.trim());
        });
        server!.stderr!.on("data", (d) => (err += d));
        server!.once("exit", (code) => fail(new Error(`program server exited with ${code}: ${err}`)));
      });
      full.push(`--client=127.0.0.1:${port}`, "--exec-kind", "auto.inline");
    }
    try {
      const result = await run(this.engine.pulumi, full, this.dir, env);
      if (options.record !== false) this.transcript += result.output;
      if (options.check !== false && result.code !== 0) throw new CliError(args, result);
      return result;
    } finally {
      server?.stdin?.end();
      server?.kill();
    }
  }

  private startProgramServer(env: NodeJS.ProcessEnv) {
    const project = parseYaml(readFileSync(join(this.dir, "Pulumi.yaml"), "utf8"));
    const nodeargs = String(project.runtime?.options?.nodeargs ?? "").split(/\s+/).filter(Boolean);
    return spawn(process.execPath, [...nodeargs, join(__dirname, "program-server.ts"), project.main ?? "index.ts"], {
      cwd: this.dir,
      env,
      stdio: ["pipe", "pipe", "pipe"],
    });
  }

  /** The JSON lines of an engine event log written under the project (`--event-log <dir>/<file>`). */
  events(file: string): any[] {
    return readFileSync(join(this.dir, file), "utf8")
      .split("\n")
      .filter((line) => line.trim())
      .map((line) => JSON.parse(line));
  }

  dispose(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

export interface StackConfig {
  /** `tenancy:<key>` values, written into the stack file. */
  plain: Record<string, unknown>;
  /** `tenancy:<key>` secrets, set with `--secret` so the passphrase provider encrypts them. */
  secrets: Record<string, string>;
}

/** One stack of a project. */
export class EngineStack {
  private constructor(
    readonly project: EngineProject,
    readonly name: string,
  ) {}

  static async create(project: EngineProject, name: string, config: StackConfig): Promise<EngineStack> {
    const stack = new EngineStack(project, name);
    await project.pulumi(["stack", "init", name, "--secrets-provider", "passphrase"]);
    // The stack file as an operator writes it (numbers stay numbers), beside the salt `stack init` put there.
    const file = join(project.dir, `Pulumi.${name}.yaml`);
    const settings = parseYaml(readFileSync(file, "utf8")) ?? {};
    settings.config = Object.fromEntries(Object.entries(config.plain).map(([k, v]) => [`tenancy:${k}`, v]));
    writeFileSync(file, stringifyYaml(settings));
    const secrets = Object.entries(config.secrets).flatMap(([k, v]) => ["--secret", `tenancy:${k}=${v}`]);
    if (secrets.length > 0) await stack.cmd(["config", "set-all", "--path", ...secrets]);
    return stack;
  }

  /** Changes the stack file's `tenancy:` config as an operator would edit it. */
  setConfig(change: (plain: Record<string, any>) => void): void {
    const file = join(this.project.dir, `Pulumi.${this.name}.yaml`);
    const settings = parseYaml(readFileSync(file, "utf8"));
    const plain = Object.fromEntries(Object.entries(settings.config ?? {}).map(([k, v]) => [k.replace(/^tenancy:/, ""), v]));
    change(plain);
    settings.config = Object.fromEntries(Object.entries(plain).map(([k, v]) => [`tenancy:${k}`, v]));
    writeFileSync(file, stringifyYaml(settings));
  }

  cmd(args: string[], options: CommandOptions = {}): Promise<CliResult> {
    return this.project.pulumi([...args, "--stack", this.name], options);
  }

  preview(flags: string[] = [], check = true) {
    return this.cmd(["preview", "--diff", ...flags], { program: true, check });
  }

  /** As the deploy job runs it unless told otherwise: `--skip-preview`. */
  up(flags: string[] = ["--skip-preview"], check = true) {
    return this.cmd(["up", "--yes", ...flags], { program: true, check });
  }

  refresh(flags: string[] = [], check = true) {
    return this.cmd(["refresh", "--yes", ...flags], { check });
  }

  destroy(flags: string[] = ["--skip-preview"], check = true) {
    return this.cmd(["destroy", "--yes", ...flags], { check });
  }

  /** `pulumi stack export`: the state as the backend stores it (secrets encrypted). */
  async exportText(): Promise<string> {
    return (await this.cmd(["stack", "export"])).stdout;
  }

  async resources(): Promise<StateResource[]> {
    return JSON.parse(await this.exportText()).deployment.resources ?? [];
  }

  async outputs(): Promise<Record<string, any>> {
    // The test's own privileged read: kept out of the transcript the secret hunt searches.
    return JSON.parse((await this.cmd(["stack", "output", "--json", "--show-secrets"], { record: false })).stdout);
  }
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let output = "";
    child.stdout.on("data", (d) => {
      stdout += d;
      output += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
      output += d;
    });
    child.once("error", fail);
    child.once("close", (code) => done({ code: code ?? -1, stdout, stderr, output }));
  });
}

/** The resources under the Tenant component of `id` (the component included), found by walking parents. */
export function tenantResources(resources: readonly StateResource[], id: string): StateResource[] {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const isTenant = (urn: string) => urn.endsWith(`tenancy:index:Tenant::${id}`);
  const under = (r: StateResource | undefined): boolean => !!r && (isTenant(r.urn) || under(r.parent ? byUrn.get(r.parent) : undefined));
  return resources.filter((r) => under(r));
}

