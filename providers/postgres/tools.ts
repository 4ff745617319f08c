// The one runner for PostgreSQL's command-line tools (pg_dump for backups, pg_restore for restores):
// found on PATH, started with the password in its environment only (never an argument, which
// `ps` shows, never a log line or an error message), its stderr kept for the error.
//
// A tool authenticates the way connection.ts does (TLS per sslmode with the configured CA, SCRAM
// only): PGSSLMODE and PGSSLROOTCERT, PGREQUIREAUTH (honoured by libpq 16 and later), and
// PGCHANNELBINDING=require when the server offers channel binding. libpq 15 cannot refuse a
// cleartext request, so the server is first probed by a session that can (probeAuthentication):
// a server that asks for anything but SCRAM never sees the tool.
import { execFileSync, spawn } from "node:child_process";
import { accessSync, constants, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import type { Readable } from "node:stream";
import { probeAuthentication, SESSION_LIMITS, type AuthSeen, type Connection } from "./connection";

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

/** How the tool must authenticate, beyond the connection itself. */
export interface ToolAuth {
  /** The CA certificate, written to a file for PGSSLROOTCERT (verify-full). */
  caFile?: string;
  /** What the server offered to the probe: channel binding is demanded when it was offered. */
  seen?: AuthSeen;
}

/**
 * The child's environment: the parent's without any PG* variable (a stray PGSERVICE or PGPASSFILE
 * must not redirect the tool), plus the password, TLS and authentication requirements.
 */
export function postgresEnv(connection: Pick<Connection, "password" | "sslmode">, base: NodeJS.ProcessEnv, application: string, auth: ToolAuth = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(base)) if (!key.startsWith("PG")) env[key] = value;
  env.PGPASSWORD = connection.password;
  env.PGSSLMODE = connection.sslmode;
  if (auth.caFile) env.PGSSLROOTCERT = auth.caFile;
  env.PGREQUIREAUTH = "scram-sha-256";
  const bound = connection.sslmode !== "disable" && (auth.seen?.offered ?? []).includes("SCRAM-SHA-256-PLUS");
  env.PGCHANNELBINDING = bound ? "require" : "prefer";
  env.PGAPPNAME = application;
  env.PGCONNECT_TIMEOUT = "15";
  // pg_dump and pg_restore set their own (none) for their long transaction; --lock-wait-timeout bounds pg_dump's lock waits.
  env.PGOPTIONS = `-c lock_timeout=${SESSION_LIMITS.lockTimeoutMs} -c idle_in_transaction_session_timeout=${SESSION_LIMITS.idleInTransactionMs}`;
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

/**
 * Starts `tool` against `connection`'s server once the server has shown that it authenticates with
 * SCRAM; its arguments name host, port, user and database, never the password.
 */
export async function runPgTool(tool: PgTool, args: readonly string[], connection: Connection, options: { application: string; output: "pipe" | "ignore" }): Promise<ToolRun> {
  const executable = findExecutable(tool);
  const seen = await probeAuthentication(connection);
  const dir = connection.ca ? mkdtempSync(join(tmpdir(), "tenancy-ca-")) : undefined;
  const caFile = dir ? join(dir, "root.crt") : undefined;
  if (caFile) writeFileSync(caFile, connection.ca!, { mode: 0o600 });
  const cleanUp = () => dir && rmSync(dir, { recursive: true, force: true });
  const child = spawn(executable, args, {
    env: postgresEnv(connection, process.env, options.application, { caFile, seen }),
    stdio: ["ignore", options.output, "pipe"],
  });
  let stderr = "";
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (text: string) => {
    if (stderr.length < STDERR_LIMIT) stderr += text;
  });
  const exited = new Promise<ToolExit>((resolve) => {
    child.on("error", (e) => {
      cleanUp();
      stderr += e.message;
      resolve({ code: -1, signal: null, stderr: stderr.trim() });
    });
    child.on("close", (code, signal) => {
      cleanUp();
      resolve({ code, signal, stderr: stderr.trim() });
    });
  });
  return { stdout: child.stdout, exited, stop: () => child.kill("SIGTERM") };
}
