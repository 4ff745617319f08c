// The one runner for PostgreSQL's command-line tools (pg_dump for backups, pg_restore for restores):
// found on PATH, started with the admin password in its environment only (never an argument, which
// `ps` shows, never a log line or an error message), its stderr kept for the error.
import { execFileSync, spawn } from "node:child_process";
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, join } from "node:path";
import type { Readable } from "node:stream";
import type { Connection } from "./connection";

export type PgTool = "pg_dump" | "pg_restore";

/** stderr kept for an error message; a tool that writes more is cut here. */
const STDERR_LIMIT = 8_000;

/** Absolute path of an executable on PATH; a clear error naming the package when it is missing. */
export function findExecutable(name: string, pathEnv: string | undefined = process.env.PATH): string {
  for (const dir of (pathEnv ?? "").split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not in this directory
    }
  }
  throw new Error(
    `${name} was not found on PATH (${pathEnv ?? ""}); install the PostgreSQL client of the servers' major version ` +
      `(Debian: apt-get install postgresql-client-15) on the machine that runs pulumi`,
  );
}

export function pgToolVersion(tool: PgTool): string {
  return execFileSync(findExecutable(tool), ["--version"], { encoding: "utf8" }).trim();
}

/**
 * The child's environment: the parent's without any PG* variable (a stray PGSERVICE or PGPASSFILE
 * must not redirect the tool), plus the password and TLS mode.
 */
export function postgresEnv(connection: Pick<Connection, "password" | "sslmode">, base: NodeJS.ProcessEnv, application: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(base)) if (!key.startsWith("PG")) env[key] = value;
  env.PGPASSWORD = connection.password;
  env.PGSSLMODE = connection.sslmode;
  env.PGAPPNAME = application;
  env.PGCONNECT_TIMEOUT = "15";
  return env;
}

export interface ToolExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** What the tool wrote to stderr (at most STDERR_LIMIT characters), trimmed. */
  stderr: string;
}

export interface ToolRun {
  /** The tool's stdout when asked for (`output: "pipe"`): pg_dump's archive. */
  stdout: Readable | null;
  /** Resolves when the tool has ended, however it ended; never rejects. */
  exited: Promise<ToolExit>;
  stop(): void;
}

/** Starts `tool` against `connection`'s server; its arguments name host, port, user and database, never the password. */
export function runPgTool(tool: PgTool, args: readonly string[], connection: Pick<Connection, "password" | "sslmode">, options: { application: string; output: "pipe" | "ignore" }): ToolRun {
  const child = spawn(findExecutable(tool), args, {
    env: postgresEnv(connection, process.env, options.application),
    stdio: ["ignore", options.output, "pipe"],
  });
  let stderr = "";
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (text: string) => {
    if (stderr.length < STDERR_LIMIT) stderr += text;
  });
  const exited = new Promise<ToolExit>((resolve) => {
    child.on("error", (e) => {
      stderr += e.message;
      resolve({ code: -1, signal: null, stderr: stderr.trim() });
    });
    child.on("close", (code, signal) => resolve({ code, signal, stderr: stderr.trim() }));
  });
  return { stdout: child.stdout, exited, stop: () => child.kill("SIGTERM") };
}
