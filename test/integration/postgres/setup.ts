// Shared by the database integration tests: one embedded PostgreSQL per test file, provisioned the
// way the Pulumi program provisions a server and its tenants.
import { randomBytes } from "node:crypto";
import { Client } from "pg";
import { afterAll, beforeAll } from "vitest";
import { serverProvisionSql, provisionSql, targetFor, type ServerConnection } from "../../../lib/database/layout";
import { loadMigrations, MIGRATIONS_DIR, type Migration } from "../../../lib/database/migrations";
import type { Isolation, Target } from "../../../providers/postgres/target";
import { naming } from "../../../lib/naming";
import { startPostgres, type TestPostgres } from "../../harness/postgres";

export const MODES: Isolation[] = ["database", "schema", "shared"];

export interface Server {
  pg: TestPostgres;
  admin: ServerConnection;
  /** Provisions a tenant (role, database or grants) and returns its target and its password. */
  tenant(isolation: Isolation, id: string): Promise<{ target: Target; password: string }>;
  /** A client logged in as the tenant's own role. */
  tenantClient(isolation: Isolation, id: string, password: string, database?: string): Promise<Client>;
  query(sql: string, params?: unknown[], database?: string): Promise<any[]>;
  stop(): Promise<void>;
}

export async function startServer(): Promise<Server> {
  const pg = await startPostgres();
  const admin: ServerConnection = { host: pg.host, port: pg.port, user: pg.user, password: pg.password, sslmode: "disable" };
  const query = async (sql: string, params: unknown[] = [], database = "postgres") => {
    const client = await pg.adminClient(database);
    try {
      return (await client.query(sql, params)).rows;
    } finally {
      await client.end();
    }
  };
  for (const sql of serverProvisionSql(pg.user)) await query(sql);
  return {
    pg,
    admin,
    async tenant(isolation, id) {
      const password = randomBytes(12).toString("hex");
      for (const sql of provisionSql(isolation, id, password)) await query(sql);
      return { target: targetFor(admin, isolation, id), password };
    },
    async tenantClient(isolation, id, password, database) {
      const client = new Client(pg.config(database ?? targetFor(admin, isolation, id).database, naming.role(id), password));
      await client.connect();
      return client;
    },
    query,
    stop: () => pg.stop(),
  };
}

/** One server for the calling test file, started before its tests and stopped after them. */
export function useServer(): () => Server {
  let server: Server | undefined;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
  });
  return () => {
    if (!server) throw new Error("the PostgreSQL server is not started: call server() inside a test or hook");
    return server;
  };
}

/** The repository's migrations plus test-only files (name -> SQL). */
export function migrationsWith(extra: Record<string, string> = {}): Migration[] {
  return loadMigrations(MIGRATIONS_DIR, Object.entries(extra).map(([name, text]) => ({ name, text })));
}
