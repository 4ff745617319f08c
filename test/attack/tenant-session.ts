// A tenant's own session for the attack suites, and what became of each statement it tried.
import { Client } from "pg";
import { naming } from "../../lib/naming";
import type { Server } from "../integration/postgres/setup";

export interface Outcome {
  /** SQLSTATE of the first statement that failed; undefined when all succeeded. */
  code?: string;
  message?: string;
  /** Rows of the last statement, when all succeeded. */
  rows: any[];
}

/** Runs the statements in order in one session as the tenant; stops at the first failure. */
export async function asTenant(server: Server, id: string, password: string, database: string, statements: string[]): Promise<Outcome> {
  const client = new Client(server.pg.config(database, naming.role(id), password));
  client.on("error", () => undefined);
  try {
    await client.connect();
  } catch (error) {
    const e = error as { code?: string; message: string };
    return { code: e.code, message: e.message, rows: [] };
  }
  try {
    let rows: any[] = [];
    for (const sql of statements) {
      try {
        rows = (await client.query(sql)).rows;
      } catch (error) {
        const e = error as { code?: string; message: string };
        return { code: e.code, message: e.message, rows: [] };
      }
    }
    return { rows };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A tenant session kept open by the test (to hold a lock, say); the caller ends it. */
export async function openTenantSession(server: Server, id: string, password: string, database: string): Promise<Client> {
  const client = new Client(server.pg.config(database, naming.role(id), password));
  client.on("error", () => undefined);
  await client.connect();
  return client;
}

/** SQLSTATE 42501: insufficient privilege. */
export const DENIED = "42501";
