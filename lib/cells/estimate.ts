// How many Pulumi resources a tenant adds to its stack. A stack slows down with its resource count,
// not its tenant count, so cells are sized by this estimate. The table mirrors what the components
// register (components are resources too); test/unit/cells/estimate-program.test.ts runs the real
// program under mocks and fails when the two drift apart.
import type { ResolvedTenant } from "../catalog";

/** Bucket, encryption, public access block, ownership controls, versioning, lifecycle (hardenedBucket). */
const HARDENED_BUCKET = 6;

/** Resources registered per tenant, by the part that registers them. */
export const TENANT_RESOURCES = {
  /** The Tenant component and its TenantDatabase, TenantStorage, TenantDomain and TenantIdentity components. */
  components: 5,
  database: {
    /**
     * Password, role, its suspension, the admin's membership of the role, database, the grant revoking
     * CONNECT from PUBLIC, migrations, seed.
     */
    database: 8,
    /** Password, role, its suspension, schema, the grants of CONNECT on the schemas' database and USAGE on the schema, migrations, seed. */
    schema: 8,
    /** Password, role (a member of the shared application role), its suspension, the admin's membership of the role, migrations, seed. */
    shared: 6,
  },
  storage: {
    bucket: HARDENED_BUCKET,
    /** An IAM policy scoped to the tenant's prefix in the cell's shared bucket, and the TenantPrefix that empties it on deletion. */
    prefix: 2,
  },
  /** DNS record, certificate, its validation record, the certificate validation. */
  domain: 4,
  /** A Cloudflare custom hostname per custom domain. */
  perCustomDomain: 1,
  /** Organization, entity sync, identity seed. */
  identity: 3,
  /** The lifecycle webhooks (LifecycleHook, DeletedHook), the backup taken on deletion (TenantBackup) and the TenantMove. */
  lifecycle: 4,
} as const;

/** Resources a cell registers once, whatever its tenants. */
export const CELL_RESOURCES = {
  /** The Cloudflare provider. */
  fixed: 1,
  /**
   * Per database server: its provider, and its DatabaseServer component with the databases of schema
   * and shared tenants, their owner and application roles, and the grants between them.
   */
  perDatabaseServer: 10,
  /** An AWS provider per region. */
  perRegion: 1,
  /** A SharedBucket component and its hardened bucket, per region with prefix-mode tenants. */
  perSharedBucket: 1 + HARDENED_BUCKET,
} as const;

export type EstimatedTenant = Pick<ResolvedTenant, "database" | "storage" | "domains">;

export function estimateTenantResources(tenant: EstimatedTenant): number {
  const r = TENANT_RESOURCES;
  return (
    r.components +
    r.database[tenant.database.isolation] +
    r.storage[tenant.storage.mode] +
    r.domain +
    r.identity +
    r.lifecycle +
    r.perCustomDomain * tenant.domains.custom.length
  );
}

/** What a cell holding `tenants` registers besides them: providers and shared buckets. */
export function estimateCellOverhead(tenants: readonly (EstimatedTenant & Pick<ResolvedTenant, "region">)[]): number {
  if (tenants.length === 0) return 0;
  const c = CELL_RESOURCES;
  const servers = new Set(tenants.map((t) => t.database.server));
  const regions = new Set(tenants.map((t) => t.region));
  const sharedBuckets = new Set(tenants.filter((t) => t.storage.mode === "prefix").map((t) => t.region));
  return c.fixed + c.perDatabaseServer * servers.size + c.perRegion * regions.size + c.perSharedBucket * sharedBuckets.size;
}
