// Suspend and resume a tenant's database access. Suspension refuses new logins (NOLOGIN) and then
// ends the sessions the role already has; the data is not touched. NOLOGIN comes first so no new
// session can slip in between the termination and the refusal.
//
// The admin needs CREATEROLE (ALTER ROLE) and superuser or pg_signal_backend membership
// (pg_terminate_backend); sessions of a superuser can never be ended, which a tenant never is.
import type { Client } from "pg";
import { IDENTIFIER } from "../../lib/database/sql";
import { isMissingDatabase, withSession, type Connection } from "./connection";

/** How long pg_terminate_backend waits for each session to be gone. */
const TERMINATE_WAIT_MS = 5_000;

function role(name: string): string {
  if (!IDENTIFIER.test(name)) {
    throw new Error(`role ${JSON.stringify(name)} is not a lowercase PostgreSQL identifier (letters, digits, _; at most 63)`);
  }
  return `"${name}"`;
}

export interface SuspendResult {
  /** Sessions of the role that were ended. */
  terminated: number;
}

async function requireRole(client: Client, name: string): Promise<void> {
  const { rows } = await client.query(`SELECT 1 FROM pg_roles WHERE rolname = $1`, [name]);
  if (rows.length === 0) throw new Error(`role ${name} does not exist on the database server; nothing was changed`);
}

/** Refuses the role's logins, then ends its sessions (waiting until they are gone). Idempotent. */
export async function suspendRole(connection: Connection, name: string): Promise<SuspendResult> {
  const quoted = role(name);
  return withSession(connection, async (client) => {
    await requireRole(client, name);
    await client.query(`ALTER ROLE ${quoted} NOLOGIN`);
    const { rows } = await client.query(
      `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, $2)) ::int AS terminated
         FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid()`,
      [name, TERMINATE_WAIT_MS],
    );
    return { terminated: rows[0].terminated };
  });
}

/** Allows the role's logins again. Idempotent. */
export async function resumeRole(connection: Connection, name: string): Promise<void> {
  const quoted = role(name);
  await withSession(connection, async (client) => {
    await requireRole(client, name);
    await client.query(`ALTER ROLE ${quoted} LOGIN`);
  });
}

export interface RoleAccess {
  exists: boolean;
  canLogin: boolean;
  sessions: number;
}

/** What refresh and the tests compare: whether the role may log in and how many sessions it has. */
export async function roleAccess(connection: Connection, name: string): Promise<RoleAccess> {
  role(name);
  return withSession(connection, async (client) => {
    const { rows } = await client.query(
      `SELECT r.rolcanlogin AS can_login, (SELECT count(*)::int FROM pg_stat_activity a WHERE a.usename = r.rolname) AS sessions
         FROM pg_roles r WHERE r.rolname = $1`,
      [name],
    );
    if (rows.length === 0) return { exists: false, canLogin: false, sessions: 0 };
    return { exists: true, canLogin: rows[0].can_login, sessions: rows[0].sessions };
  });
}

/**
 * Before the tenant's Role is dropped: ends its logins and sessions, then, in every database where
 * it owns anything or holds any privilege (pg_shdepend says where: large objects it created in the
 * shared databases, default privileges, grants another tenant gave it in that tenant's database),
 * drops what it owns and revokes what it holds, so DROP ROLE goes through. Its own database, which
 * its Database resource drops, is left alone. Objects are dropped, never reassigned: reassigned to
 * the admin, a tenant's function would run with the admin's rights. Idempotent; a gone role is done.
 */
export async function releaseRole(connection: Connection, name: string): Promise<{ databases: string[] }> {
  const quoted = role(name);
  const databases = await withSession(connection, async (client) => {
    const { rows } = await client.query(`SELECT oid FROM pg_roles WHERE rolname = $1`, [name]);
    if (rows.length === 0) return [];
    await client.query(`ALTER ROLE ${quoted} NOLOGIN`);
    await client.query(`SELECT pg_terminate_backend(pid, $2) FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid()`, [name, TERMINATE_WAIT_MS]);
    // A non-superuser admin may drop a role's objects only as a member of it (CREATEROLE lets it become one).
    const { rows: member } = await client.query(`SELECT pg_has_role(current_user, $1, 'USAGE') AS member`, [name]);
    if (!member[0].member) await client.query(`GRANT ${quoted} TO CURRENT_USER`);
    const { rows: found } = await client.query(
      `SELECT DISTINCT d.datname FROM pg_shdepend s JOIN pg_database d ON d.oid = s.dbid
        WHERE s.refclassid = 'pg_authid'::regclass AND s.refobjid = $1 AND d.datallowconn AND d.datname <> $2 ORDER BY 1`,
      [rows[0].oid, name],
    );
    return found.map((r) => r.datname as string);
  });
  for (const database of databases) {
    await withSession({ ...connection, database }, (client) => client.query(`DROP OWNED BY ${quoted}`)).catch((error: unknown) => {
      if (!isMissingDatabase(error)) throw error;
    });
  }
  return { databases };
}
