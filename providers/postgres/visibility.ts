// What one tenant can see of the others in the catalogs, reduced where PostgreSQL allows it.
//
// pg_stat_activity shows every session's role, database and application name to everyone (only
// the query text is masked); pg_locks shows every lock; the statistics views and pg_stat_get_*
// functions show every table's row counts and activity. A superuser can revoke PUBLIC's access to
// them, database by database, and can close the `postgres` and `template1` databases (which PUBLIC
// may connect to, and where those views show the whole server) to PUBLIC. That is done here, in
// every database the runner migrates into, when the admin is a superuser; on servers where it is
// not (managed services), they stay visible. SECURITY.md lists what remains visible in any case
// (role, database, schema and table names; the shared tables' sequences).
import type { Client } from "pg";
import { idempotently } from "./idempotent";

const HIDDEN = `
  SELECT 'VIEW' AS kind, c.oid::regclass::text AS name FROM pg_class c
   WHERE c.relnamespace = 'pg_catalog'::regnamespace AND c.relkind = 'v'
     AND (c.relname LIKE 'pg\\_stat\\_%' OR c.relname LIKE 'pg\\_statio\\_%' OR c.relname = 'pg_locks')
     AND has_table_privilege('public', c.oid, 'SELECT')
  UNION ALL
  SELECT 'FUNCTION', p.oid::regprocedure::text FROM pg_proc p
   WHERE p.pronamespace = 'pg_catalog'::regnamespace
     AND (p.proname LIKE 'pg\\_stat\\_get\\_%' OR p.proname IN ('pg_lock_status', 'pg_blocking_pids', 'pg_safe_snapshot_blocking_pids'))
     AND has_function_privilege('public', p.oid, 'EXECUTE')`;

/** Databases PUBLIC may connect to by default, where the statistics of the whole server show. */
const OPEN_BY_DEFAULT = ["postgres", "template1"];

export async function hideOtherTenants(client: Client): Promise<void> {
  const { rows: me } = await client.query(`SELECT rolsuper FROM pg_roles WHERE rolname = current_user`);
  if (!me[0]?.rolsuper) return;
  const { rows } = await client.query(HIDDEN);
  for (const { kind, name } of rows) {
    await idempotently(client, `REVOKE ${kind === "VIEW" ? "SELECT" : "EXECUTE"} ON ${kind === "VIEW" ? "" : "FUNCTION "}${name} FROM PUBLIC`);
  }
  const { rows: open } = await client.query(
    `SELECT datname FROM pg_database WHERE datname = ANY($1) AND has_database_privilege('public', oid, 'CONNECT')`,
    [OPEN_BY_DEFAULT],
  );
  // Superusers connect anyway; another role that needs `postgres` must be granted CONNECT (SECURITY.md).
  for (const { datname } of open) await idempotently(client, `REVOKE CONNECT ON DATABASE ${datname} FROM PUBLIC`);
}
