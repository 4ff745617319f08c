// A stack's configuration as the operator's commands need it (`tenancy backup`, `restore`, `status`
// and the like run beside the stack, not inside `pulumi up`): read through the Pulumi CLI, which
// decrypts the secrets with the stack's own secrets provider, validated exactly as the program
// validates it, and handed over as plain values for the engine-side code to connect with.
import { spawnSync } from "node:child_process";
import { parseTenancyConfig, CONFIG_NAMESPACE, type RawConfig, type TenancyConfig } from "../config";

export interface OperatorServer {
  name: string;
  host: string;
  port: number;
  adminUser: string;
  sslmode: TenancyConfig["databaseServers"][string]["sslmode"];
  ca?: string;
  password: string;
}

/** The stack's config with its secrets in plain text: keep it in memory, never print it. */
export interface OperatorConfig extends Omit<TenancyConfig, "databaseServers" | "controlPlaneClientSecret" | "webhookSecret"> {
  databaseServers: Record<string, OperatorServer>;
  controlPlaneClientSecret: string;
  webhookSecret: string;
}

export interface StackConfigOptions {
  /** The project directory (where Pulumi.yaml is). */
  cwd?: string;
  /** The Pulumi CLI; `pulumi` on PATH by default. */
  pulumi?: string;
  /** Its environment (backend, passphrase, credentials); this process's by default. */
  env?: NodeJS.ProcessEnv;
  /** The stack as the backend names it, such as `acme/tenancy/eu-1` on Pulumi Cloud; the cell by default. */
  stack?: string;
}

/** `pulumi config --json --show-secrets` output as raw `tenancy:*` values. */
export function rawConfigFromCli(json: string): RawConfig {
  const entries = JSON.parse(json) as Record<string, { value?: string; objectValue?: unknown }>;
  const raw: RawConfig = {};
  for (const [key, entry] of Object.entries(entries)) {
    const [ns, name] = key.split(":");
    if (ns !== CONFIG_NAMESPACE || !name || name.includes(".")) continue;
    raw[name] = entry.objectValue !== undefined ? entry.objectValue : entry.value;
  }
  return raw;
}

/** The plain operator view of raw config, validated as the program validates it (every problem named by key). */
export function operatorConfig(raw: RawConfig, stack: string): OperatorConfig {
  const config = parseTenancyConfig(raw, stack);
  const passwords = raw.databasePasswords as Record<string, string>;
  const databaseServers = Object.fromEntries(
    Object.values(config.databaseServers).map((s) => [
      s.name,
      { name: s.name, host: s.host, port: s.port, adminUser: s.adminUser, sslmode: s.sslmode, ...(s.ca === undefined ? {} : { ca: s.ca }), password: passwords[s.name] },
    ]),
  );
  return { ...config, databaseServers, controlPlaneClientSecret: String(raw.controlPlaneClientSecret), webhookSecret: String(raw.webhookSecret) };
}

/**
 * Runs `pulumi <args> --stack <stack> --non-interactive` for stack `cell` and returns its stdout.
 * On failure the CLI's own message says what is wrong (no such stack, not logged in, wrong
 * passphrase), named as reading the stack's `what`; its stdout, which may hold secrets, is never shown.
 */
export function readFromStack(cell: string, what: "config" | "state", args: string[], options: StackConfigOptions, maxBuffer: number): string {
  const result = spawnSync(options.pulumi ?? "pulumi", [...args, "--stack", options.stack ?? cell, "--non-interactive"], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    encoding: "utf8",
    maxBuffer,
  });
  if (result.error) throw new Error(`cannot run the Pulumi CLI to read the ${what} of stack ${cell}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`cannot read the ${what} of stack ${cell}: ${result.stderr.trim() || `pulumi exited with ${result.status}`}`);
  return result.stdout;
}

/** Reads and validates the config of stack `cell` through the Pulumi CLI. */
export function readStackConfig(cell: string, options: StackConfigOptions = {}): OperatorConfig {
  return operatorConfig(rawConfigFromCli(readFromStack(cell, "config", ["config", "--json", "--show-secrets"], options, 16 << 20)), cell);
}
