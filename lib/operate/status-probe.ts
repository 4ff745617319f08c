// What `tenancy status` reads of one tenant on the live services: its database (as the stack's admin,
// through the runner's connection rules), its objects (the one S3 client), its organization and
// entity copies (the Management API client). Every read is read-only; a service that does not
// answer is reported as unreachable, with its reason, and the other services are still read.
import { HeadBucketCommand, type S3Client } from "@aws-sdk/client-s3";
import type { ControlPlane } from "../catalog/schema";
import { quoteIdent as q } from "../database/sql";
import { naming } from "../naming";
import { createManagementClient, type ClientOptions, type ManagementConnection } from "../../providers/identity/client";
import { normalizedEntities, readManagedEntities } from "../../providers/identity/entities";
import { findOrganization } from "../../providers/identity/organization";
import { withSession } from "../../providers/postgres/connection";
import { BOOKKEEPING } from "../../providers/postgres/grants";
import { withTarget } from "../../providers/postgres/runner";
import type { Target } from "../../providers/postgres/target";
import { s3Reason, s3Status, type ObjectPlace } from "../../providers/s3/client";
import { listVersions } from "../../providers/s3/list";
import type { DatabaseSeen, IdentitySeen, StorageSeen, Unreachable } from "./status-rules";

const reason = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The tenant's database as it is: applied version, tables, size, whether its role may log in. */
export async function probeDatabase(target: Target): Promise<DatabaseSeen | Unreachable> {
  try {
    // The role is the server's, seen from its maintenance database: the tenant's own may be gone.
    const canLogin = await withSession({ ...target, database: naming.maintenanceDatabase }, async (client) => {
      const { rows } = await client.query(`SELECT rolcanlogin FROM pg_roles WHERE rolname = $1`, [target.role]);
      return rows.length === 0 ? null : (rows[0].rolcanlogin as boolean);
    }, "tenancy-status");
    // As a migration runs (the owner role in shared mode), so row-level security shows this tenant's rows.
    const seen = await withTarget(target, async (client) => {
      const s = q(target.schema);
      const { rows: bookkeeping } = await client.query(`SELECT to_regclass($1) IS NOT NULL AS present`, [`${s}.schema_migrations`]);
      const version = bookkeeping[0].present ? ((await client.query(`SELECT max(version) AS v FROM ${s}.schema_migrations`)).rows[0].v ?? 0) : null;
      const { rows: tables } = await client.query(
        `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relname = ANY($2) ORDER BY c.relname`,
        [target.schema, BOOKKEEPING],
      );
      return { version: version === null ? null : Number(version), tables: tables.map((r) => r.relname as string) };
    });
    const bytes = await databaseBytes(target, seen.tables);
    return { reachable: true, ...seen, bytes, canLogin };
  } catch (error) {
    return { reachable: false, error: reason(error) };
  }
}

/** Database mode: the whole database; schema mode: the schema's relations with their indexes; shared: the tenant's rows. */
async function databaseBytes(target: Target, tables: readonly string[]): Promise<number> {
  if (target.isolation === "database") {
    return withSession(target, async (client) => Number((await client.query(`SELECT pg_database_size(current_database()) AS b`)).rows[0].b), "tenancy-status");
  }
  if (target.isolation === "schema") {
    return withSession(target, async (client) => {
      const { rows } = await client.query(
        `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) AS b FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'm')`,
        [target.schema],
      );
      return Number(rows[0].b);
    }, "tenancy-status");
  }
  // Shared tables hold every shared tenant: only this tenant's rows count (their stored size, indexes left out).
  return withTarget(target, async (client) => {
    let total = 0;
    for (const table of tables) {
      const { rows: col } = await client.query(
        `SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = 'tenant_id' AND NOT attisdropped`,
        [`${q(target.schema)}.${q(table)}`],
      );
      if (col.length === 0) continue;
      const { rows } = await client.query(`SELECT coalesce(sum(pg_column_size(t.*)), 0) AS b FROM ${q(target.schema)}.${q(table)} t WHERE tenant_id = $1`, [target.tenantId]);
      total += Number(rows[0].b);
    }
    return total;
  });
}

/**
 * The tenant's objects: current objects counted, and the bytes of every stored version (what the
 * bucket is billed for). A missing bucket is an observation, not a failure to observe.
 */
export async function probeStorage(client: S3Client, place: ObjectPlace): Promise<StorageSeen | Unreachable> {
  try {
    try {
      await client.send(new HeadBucketCommand({ Bucket: place.bucket }));
    } catch (error) {
      if (s3Status(error) === 404) return { reachable: true, bucketExists: false, objects: 0, bytes: 0 };
      throw error;
    }
    const { versions } = await listVersions(client, place.bucket, place.prefix);
    const objects = versions.filter((v) => v.latest && !v.deleteMarker).length;
    return { reachable: true, bucketExists: true, objects, bytes: versions.reduce((sum, v) => sum + v.size, 0) };
  } catch (error) {
    return { reachable: false, error: s3Reason(error) };
  }
}

/** The tenant's organization (by its name), its member count, and whether its entity copies match the catalog's. */
export async function probeIdentity(
  connection: ManagementConnection,
  tenantId: string,
  organizationName: string,
  entities: ControlPlane,
  options: ClientOptions = {},
): Promise<IdentitySeen | Unreachable> {
  try {
    const client = createManagementClient(connection, options);
    const identityTenant = naming.identityTenant(tenantId);
    const [exists, org] = await Promise.all([client.tenantExists(identityTenant), findOrganization(client, organizationName)]);
    const members = org ? (await client.listAll<unknown>(client.controlPlaneTenantId, `list members of ${organizationName}`, `/organizations/${encodeURIComponent(org.id)}/members`)).length : 0;
    let sync: IdentitySeen["entities"] = "unknown";
    if (exists) {
      const copies = await readManagedEntities(client, identityTenant);
      sync = normalizedEntities(copies.entities) === normalizedEntities(entities) ? "in-sync" : "drifted";
    }
    const status = (org as { metadata?: Record<string, unknown> } | undefined)?.metadata?.status;
    return {
      reachable: true,
      identityTenant: exists,
      organization: org ? { id: org.id, name: organizationName, ...(typeof status === "string" ? { status } : {}) } : null,
      members,
      entities: sync,
    };
  } catch (error) {
    return { reachable: false, error: reason(error) };
  }
}
