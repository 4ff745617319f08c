// What in a restored database runs code when someone uses it: the list an operator reviews before
// anything reads a restore (restore.ts). Read from the catalogs only, so listing runs none of it;
// every name comes out schema-qualified because the admin's search_path is pg_catalog alone.
import type { Client } from "pg";

/** Schemas PostgreSQL makes itself; nothing a dump brings lives there. */
const SYSTEM = `('pg_catalog', 'information_schema', 'pg_toast')`;
const USER_NAMESPACE = (column: string) => `${column} NOT IN (SELECT oid FROM pg_namespace WHERE nspname IN ${SYSTEM} OR nspname LIKE 'pg_temp_%' OR nspname LIKE 'pg_toast_temp_%')`;

/**
 * One line per object: functions and procedures (called by constraints, defaults, index
 * expressions, triggers, policies and views, or by whoever calls them), triggers, rules, policies,
 * views and materialized views (they run as their owner or as the reader), operators, casts and
 * extensions, and domains with a CHECK (evaluated on every write).
 */
const QUERY = `
  SELECT 'function ' || p.oid::regprocedure::text AS what FROM pg_proc p WHERE ${USER_NAMESPACE("p.pronamespace")}
  UNION ALL SELECT 'trigger ' || t.tgname || ' on ' || t.tgrelid::regclass::text FROM pg_trigger t WHERE NOT t.tgisinternal
  UNION ALL SELECT 'rule ' || r.rulename || ' on ' || r.ev_class::regclass::text FROM pg_rewrite r
              JOIN pg_class c ON c.oid = r.ev_class WHERE r.rulename <> '_RETURN' AND ${USER_NAMESPACE("c.relnamespace")}
  UNION ALL SELECT 'policy ' || pol.polname || ' on ' || pol.polrelid::regclass::text FROM pg_policy pol
  UNION ALL SELECT CASE c.relkind WHEN 'v' THEN 'view ' ELSE 'materialized view ' END || c.oid::regclass::text
              FROM pg_class c WHERE c.relkind IN ('v', 'm') AND ${USER_NAMESPACE("c.relnamespace")}
  UNION ALL SELECT 'operator ' || o.oid::regoperator::text FROM pg_operator o WHERE ${USER_NAMESPACE("o.oprnamespace")}
  UNION ALL SELECT 'cast ' || format_type(k.castsource, NULL) || ' as ' || format_type(k.casttarget, NULL) FROM pg_cast k WHERE k.oid >= 16384
  UNION ALL SELECT 'extension ' || e.extname FROM pg_extension e WHERE e.extname <> 'plpgsql'
  UNION ALL SELECT 'event trigger ' || evtname FROM pg_event_trigger
  UNION ALL SELECT 'domain ' || ty.oid::regtype::text FROM pg_type ty
              WHERE ty.typtype = 'd' AND ${USER_NAMESPACE("ty.typnamespace")} AND EXISTS (SELECT 1 FROM pg_constraint k WHERE k.contypid = ty.oid)
  ORDER BY 1`;

export async function executableObjects(client: Client): Promise<string[]> {
  return (await client.query(QUERY)).rows.map((r) => r.what as string);
}
