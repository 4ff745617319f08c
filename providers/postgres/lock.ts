// The runner's lock on a target, and what a lock a tenant holds does to a run.
//
// Concurrent runs on one target (two stacks, a retried deployment) wait for each other on a session
// advisory lock. Its key is no secret (pg_locks shows it while a run holds it) and any role may
// take any advisory lock, so a tenant could take it first and hold it forever: every later
// migration and offboarding of that target (in shared mode: of every shared tenant of the server)
// would wait. So the lock is taken with pg_try_advisory_lock, and a holder that is neither the
// admin nor a superuser is no migration run: its session is ended (the admin may end tenant
// sessions: see suspend.ts) and the run goes on. Another admin run is waited for, up to
// LOCK_WAIT_MS, then the run fails saying who holds it.
import type { Client } from "pg";
import { SESSION_LIMITS } from "./connection";
import type { Target } from "./target";

const LOCK_PREFIX = "tenancy-migrations:";
/** How long a run waits for another admin run of the same target. */
export const LOCK_WAIT_MS = 10 * 60_000;
const POLL_MS = 250;

interface Holder {
  pid: number;
  role: string | null;
  application: string | null;
  since: Date | null;
  /** Neither the admin nor a superuser: a tenant's session (or anyone else's) squatting the lock. */
  foreign: boolean;
}

/** The int8 advisory key, split the way pg_locks shows it (classid: high 32 bits, objid: low 32 bits). */
const HOLDERS = `
  SELECT l.pid, a.usename AS role, a.application_name AS application, a.backend_start AS since,
         (a.usename IS DISTINCT FROM session_user AND NOT coalesce(r.rolsuper, false)) AS foreign
    FROM pg_locks l
    LEFT JOIN pg_stat_activity a ON a.pid = l.pid
    LEFT JOIN pg_roles r ON r.rolname = a.usename
   WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND l.pid <> pg_backend_pid()
     AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
     AND ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended($1, 0)`;

function describe(holders: readonly Holder[]): string {
  return holders.map((h) => `${h.role ?? "an unknown role"} (pid ${h.pid}${h.application ? `, application "${h.application}"` : ""}${h.since ? `, connected since ${h.since.toISOString()}` : ""})`).join(", ");
}

/** Holds the per-target advisory lock for the rest of the session (released when it ends or dies). */
export async function lockTarget(client: Client, target: Target, waitMs = LOCK_WAIT_MS): Promise<void> {
  const key = `${LOCK_PREFIX}${target.schema}`;
  const deadline = Date.now() + waitMs;
  for (;;) {
    const { rows } = await client.query(`SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked`, [key]);
    if (rows[0].locked) return;
    const holders: Holder[] = (await client.query(HOLDERS, [key])).rows;
    const squatters = holders.filter((h) => h.foreign);
    if (squatters.length > 0) {
      const { rows: ended } = await client.query(`SELECT pid, pg_terminate_backend(pid, 5000) AS ended FROM unnest($1::int[]) pid`, [squatters.map((h) => h.pid)]);
      if (ended.some((e) => !e.ended)) {
        throw new Error(`the migration lock of ${target.database}.${target.schema} is held by ${describe(squatters)}, which is no migration run, and its session could not be ended; nothing was migrated`);
      }
      continue;
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `another migration run of ${target.database}.${target.schema} has held its lock for more than ${Math.round(waitMs / 1000)} s: ${describe(holders)}; ` +
          `nothing was migrated; rerun once it has finished`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Whether a statement failed because it waited longer than lock_timeout. */
export function isLockTimeout(error: unknown): boolean {
  return (error as { code?: string }).code === "55P03";
}

/**
 * A lock timeout, said with who holds the locks on the target's tables (a tenant's open transaction,
 * usually) and what to do. Called after the failed transaction was rolled back.
 */
export async function lockTimeoutError(client: Client, target: Target, what: string): Promise<Error> {
  const { rows } = await client.query(
    `SELECT DISTINCT l.pid, a.usename AS role, l.mode, c.relname
       FROM pg_locks l JOIN pg_class c ON c.oid = l.relation LEFT JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.granted AND l.pid <> pg_backend_pid() AND c.relnamespace = to_regnamespace($1)
      ORDER BY l.pid`,
    [target.schema],
  );
  const holders = rows.length === 0 ? "a session that has since let go" : rows.map((r) => `${r.role ?? "an unknown role"} (pid ${r.pid}, ${r.mode} on ${r.relname})`).join(", ");
  return new Error(
    `${what}: waited ${SESSION_LIMITS.lockTimeoutMs / 1000} s for a lock held by ${holders}; nothing was changed. ` +
      `If that is a tenant's session, end it (SELECT pg_terminate_backend(<pid>)) or suspend the tenant, then rerun`,
  );
}
