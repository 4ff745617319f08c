// What a tenant may do with the tables its migrations made, stated after every migration (and on a
// run that applies none, so hand-made changes and older grants converge). Only what differs is
// changed: ALTER TABLE, GRANT and REVOKE lock a table, and shared tables serve every shared tenant.
//
// - Tables: SELECT, INSERT, UPDATE, DELETE; never TRUNCATE, REFERENCES or TRIGGER.
// - Seeded tables (SEEDED_TABLES, written by the seed provider): SELECT only, so a tenant cannot
//   rewrite what the platform decides for it (its settings: features, limits).
// - Shared mode: UPDATE is granted column by column, never on tenant_id: LOCK TABLE accepts a
//   table-level UPDATE (or DELETE, or TRUNCATE) as leave to take any lock mode, and a column grant
//   is not one. (DELETE still is: see SECURITY.md.) Every table needs tenant_id, row-level
//   security forced and the two policies; views, foreign tables and SECURITY DEFINER functions are
//   refused; functions are executable by the tenants' group role, not by PUBLIC.
// - Every foreign key gets an index on its columns, so deleting a tenant's rows (offboarding in
//   shared mode) checks each reference through an index instead of scanning: linear, not quadratic.
import type { Client } from "pg";
import { quoteIdent as q } from "../../lib/database/sql";
import type { Target } from "./target";

/** Tables of the runner itself; tenants never get privileges on them. */
export const BOOKKEEPING = ["schema_migrations", "tenant_roles"];
/** Tables the seed provider writes (seed.ts): tenants may read them only. */
export const SEEDED_TABLES = ["tenant_profile"];

const TABLE_PRIVILEGES = ["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"];

const RELATIONS = `
  SELECT c.oid, c.relname, c.relkind, c.relrowsecurity AND c.relforcerowsecurity AS forced,
         EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped) AS has_tenant,
         ARRAY(SELECT p.polname::text FROM pg_policy p WHERE p.polrelid = c.oid) AS policies,
         CASE WHEN c.relkind = 'S' THEN '{}'::text[] ELSE ARRAY(SELECT x FROM unnest($3::text[]) x WHERE has_table_privilege($2, c.oid, x)) END AS held,
         CASE WHEN c.relkind = 'S' THEN has_sequence_privilege($2, c.oid, 'USAGE') AND has_sequence_privilege($2, c.oid, 'SELECT') END AS sequence_granted,
         ARRAY(SELECT a.attname::text FROM pg_attribute a
                WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attname <> 'tenant_id'
                  AND NOT EXISTS (SELECT 1 FROM aclexplode(a.attacl) x WHERE x.grantee = $2::regrole AND x.privilege_type = 'UPDATE')
                ORDER BY a.attnum) AS columns_without_update,
         ARRAY(SELECT a.attname::text FROM pg_attribute a
                WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attname <> 'tenant_id' ORDER BY a.attnum) AS update_columns
    FROM pg_class c WHERE c.relnamespace = $1::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')`;

/** The table privileges `grantee` should hold on `table`. */
function wanted(target: Target, table: string): string[] {
  if (SEEDED_TABLES.includes(table)) return ["SELECT"];
  return target.isolation === "shared" ? ["SELECT", "INSERT", "DELETE"] : ["SELECT", "INSERT", "UPDATE", "DELETE"];
}

/** Shared mode's rules for one relation: what only row-level security may guard. */
async function guardShared(client: Client, target: Target, file: string, rel: { relname: string; relkind: string; forced: boolean; has_tenant: boolean; policies: string[] }): Promise<void> {
  const s = q(target.schema);
  const name = `${s}.${q(rel.relname)}`;
  if (rel.relkind !== "r" && rel.relkind !== "p") {
    throw new Error(`migration ${file}: ${rel.relname} is a view or foreign table; shared mode allows only tables, whose rows row-level security can guard`);
  }
  if (!rel.has_tenant) throw new Error(`migration ${file}: table ${rel.relname} has no tenant_id column; in shared mode every table needs one`);
  if (!rel.forced) await client.query(`ALTER TABLE ${name} ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY`);
  if (!rel.policies.includes("tenant_isolation")) {
    // The sub-select makes the lookup run once per statement rather than once per row.
    await client.query(
      `CREATE POLICY tenant_isolation ON ${name} TO ${q(target.appRole)}
         USING (tenant_id = (SELECT ${s}.current_tenant_id())) WITH CHECK (tenant_id = (SELECT ${s}.current_tenant_id()))`,
    );
  }
  if (!rel.policies.includes("owner_all")) await client.query(`CREATE POLICY owner_all ON ${name} TO ${q(target.ownerRole)} USING (true) WITH CHECK (true)`);
}

/** Functions of the shared schema: no SECURITY DEFINER; executable by the tenants' group only. */
async function guardSharedFunctions(client: Client, target: Target, file: string): Promise<void> {
  const { rows } = await client.query(
    `SELECT p.oid::regprocedure::text AS signature, p.prosecdef, has_function_privilege('public', p.oid, 'EXECUTE') AS public_execute,
            has_function_privilege($2, p.oid, 'EXECUTE') AS app_execute
       FROM pg_proc p WHERE p.pronamespace = $1::regnamespace`,
    [target.schema, target.appRole],
  );
  const definers = rows.filter((r) => r.prosecdef).map((r) => r.signature.replace(/^.*\./, "").replace(/\(.*$/, ""));
  if (definers.length > 0) {
    throw new Error(`migration ${file}: SECURITY DEFINER function ${definers.join(", ")} would run as the owner of every tenant's rows; not allowed in shared mode`);
  }
  for (const f of rows) {
    if (f.public_execute) await client.query(`REVOKE EXECUTE ON FUNCTION ${f.signature} FROM PUBLIC`);
    if (!f.app_execute || f.public_execute) await client.query(`GRANT EXECUTE ON FUNCTION ${f.signature} TO ${q(target.appRole)}`);
  }
}

/** An index for each foreign key of the schema whose columns no index leads with. */
async function indexForeignKeys(client: Client, schema: string): Promise<void> {
  const { rows } = await client.query(
    `SELECT c.relname, ARRAY(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY u(n, i)
                              JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n ORDER BY u.i) AS columns
       FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
      WHERE k.contype = 'f' AND k.connamespace = $1::regnamespace
        AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = k.conrelid
              AND ARRAY(SELECT x FROM unnest(i.indkey::int2[]) WITH ORDINALITY t(x, o) WHERE o <= cardinality(k.conkey) ORDER BY x)
                  = ARRAY(SELECT x FROM unnest(k.conkey) x ORDER BY x))`,
    [schema],
  );
  for (const { relname, columns } of rows as { relname: string; columns: string[] }[]) {
    const name = `${relname}_${columns.join("_")}`.slice(0, 55);
    await client.query(`CREATE INDEX ${q(`${name}_fk_idx`)} ON ${q(schema)}.${q(relname)} (${columns.map(q).join(", ")})`);
  }
}

/**
 * After each migration, in its transaction: the privileges the mode gives on whatever the
 * migration created, the refusals of shared mode, and the foreign keys' indexes.
 */
export async function secure(client: Client, target: Target, file: string): Promise<void> {
  const s = q(target.schema);
  const grantee = target.isolation === "shared" ? target.appRole : target.role;
  const { rows } = await client.query(RELATIONS, [target.schema, grantee, TABLE_PRIVILEGES]);
  for (const rel of rows) {
    if (BOOKKEEPING.includes(rel.relname)) continue;
    const name = `${s}.${q(rel.relname)}`;
    if (target.isolation === "shared" && rel.relkind !== "S") await guardShared(client, target, file, rel);
    if (rel.relkind === "S") {
      if (!rel.sequence_granted) await client.query(`GRANT USAGE, SELECT ON SEQUENCE ${name} TO ${q(grantee)}`);
      continue;
    }
    const want = wanted(target, rel.relname);
    const revoke = (rel.held as string[]).filter((p) => !want.includes(p));
    const grant = want.filter((p) => !(rel.held as string[]).includes(p));
    // Revoked first: revoking a table-level UPDATE also revokes column-level ones.
    if (revoke.length > 0) await client.query(`REVOKE ${revoke.join(", ")} ON ${name} FROM ${q(grantee)}`);
    if (grant.length > 0) await client.query(`GRANT ${grant.join(", ")} ON ${name} TO ${q(grantee)}`);
    // Shared mode's UPDATE, column by column; again after a table-level revoke took the column grants with it.
    const byColumn = target.isolation === "shared" && !SEEDED_TABLES.includes(rel.relname);
    if (byColumn && (rel.columns_without_update.length > 0 || revoke.includes("UPDATE"))) {
      await client.query(`GRANT UPDATE (${(rel.update_columns as string[]).map(q).join(", ")}) ON ${name} TO ${q(grantee)}`);
    }
  }
  if (target.isolation === "shared") await guardSharedFunctions(client, target, file);
  await indexForeignKeys(client, target.schema);
}
