// The shared-mode guard outside the shared schema. In shared mode every tenant's rows are in one
// set of tables, and only row-level security keeps them apart; whatever a migration puts elsewhere
// in the shared database is not guarded by it: a SECURITY DEFINER function or a view in `public`
// (functions are executable by PUBLIC by default) would read every tenant's rows for any tenant.
// So the whole catalog of the database is read before and after each migration, in its
// transaction, and anything it adds or changes outside the shared schema (objects, privileges on
// schemas or the database, default privileges, memberships of the shared roles) refuses the
// migration. What it does inside the shared schema is checked by grants.ts.
import type { Client } from "pg";
import type { Target } from "./target";

const USER_NAMESPACES = `SELECT oid FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND nspname NOT LIKE 'pg_temp_%' AND nspname NOT LIKE 'pg_toast_temp_%'`;

/** Each object as (what it is, what about it matters): a new `what` is a new object, a new `detail` a change. */
const SNAPSHOT = `
  WITH user_ns AS (${USER_NAMESPACES}), outside AS (SELECT oid FROM user_ns WHERE oid <> to_regnamespace($1))
  SELECT 'schema ' || quote_ident(n.nspname) AS what, coalesce(n.nspacl::text, '') || ' ' || n.nspowner::regrole::text AS detail
    FROM pg_namespace n WHERE n.oid IN (SELECT oid FROM user_ns)
  UNION ALL SELECT CASE c.relkind WHEN 'r' THEN 'table ' WHEN 'p' THEN 'table ' WHEN 'v' THEN 'view ' WHEN 'm' THEN 'materialized view '
                   WHEN 'S' THEN 'sequence ' WHEN 'f' THEN 'foreign table ' WHEN 'i' THEN 'index ' ELSE 'relation ' END || c.oid::regclass::text,
                   coalesce(c.relacl::text, '') || ' ' || c.relowner::regrole::text
    FROM pg_class c WHERE c.relnamespace IN (SELECT oid FROM outside) AND c.relkind <> 't'
  UNION ALL SELECT 'function ' || p.oid::regprocedure::text, p.prosecdef::text || coalesce(p.proacl::text, '') || md5(p.prosrc)
    FROM pg_proc p WHERE p.pronamespace IN (SELECT oid FROM outside)
  UNION ALL SELECT 'operator ' || o.oid::regoperator::text, '' FROM pg_operator o WHERE o.oprnamespace IN (SELECT oid FROM outside)
  UNION ALL SELECT 'type ' || t.oid::regtype::text, '' FROM pg_type t
    WHERE t.typnamespace IN (SELECT oid FROM outside) AND t.typrelid = 0 AND t.typelem = 0
  UNION ALL SELECT 'default privileges of ' || d.defaclrole::regrole::text || coalesce(' in ' || nullif(d.defaclnamespace, 0)::regnamespace::text, '')
                   || ' on ' || CASE d.defaclobjtype WHEN 'r' THEN 'tables' WHEN 'S' THEN 'sequences' WHEN 'f' THEN 'functions' WHEN 'T' THEN 'types' ELSE 'schemas' END,
                   d.defaclacl::text
    FROM pg_default_acl d
  UNION ALL SELECT 'database ' || quote_ident(datname), coalesce(datacl::text, '') FROM pg_database WHERE datname = current_database()
  UNION ALL SELECT 'cast ' || format_type(k.castsource, NULL) || ' as ' || format_type(k.casttarget, NULL), k.castfunc::text FROM pg_cast k WHERE k.oid >= 16384
  UNION ALL SELECT 'extension ' || extname, extversion FROM pg_extension
  UNION ALL SELECT 'event trigger ' || evtname, evtfoid::text FROM pg_event_trigger
  UNION ALL SELECT 'publication ' || pubname, '' FROM pg_publication
  UNION ALL SELECT 'membership of ' || m.member::regrole::text || ' in ' || m.roleid::regrole::text, m.admin_option::text
    FROM pg_auth_members m WHERE m.member IN (to_regrole($2), to_regrole($3))`;

export type CatalogSnapshot = Map<string, string>;

/** The database's catalog outside the shared schema, as the guard compares it. */
export async function catalogSnapshot(client: Client, target: Target): Promise<CatalogSnapshot> {
  const { rows } = await client.query(SNAPSHOT, [target.schema, target.ownerRole, target.appRole]);
  return new Map(rows.map((r) => [r.what as string, r.detail as string]));
}

/** What `after` adds to or changes in `before`, one entry per object, sorted. */
export function catalogChanges(before: CatalogSnapshot, after: CatalogSnapshot): string[] {
  const changes: string[] = [];
  for (const [what, detail] of after) {
    if (!before.has(what)) changes.push(what);
    else if (before.get(what) !== detail) changes.push(`${what} (changed)`);
  }
  return changes.sort();
}

/** Refuses the migration `file` when it changed anything outside the shared schema. */
export function refuseOutside(file: string, target: Target, before: CatalogSnapshot, after: CatalogSnapshot): void {
  const changes = catalogChanges(before, after);
  if (changes.length === 0) return;
  throw new Error(
    `migration ${file} adds objects or privileges outside the shared schema ${target.schema}, where row-level security does not guard them: ` +
      `${changes.join(", ")}; nothing of it was applied`,
  );
}
