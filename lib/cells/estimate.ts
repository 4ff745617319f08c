// How many Pulumi resources a tenant adds to its stack. A stack slows down with its resource count,
// not its tenant count, so cells are sized by this estimate. The table mirrors what the components
// register; test/unit/cells/estimate-program.test.ts runs the real program under mocks and fails
// when the two drift apart.
import type { ResolvedTenant } from "../catalog";

/** Resources registered per tenant, by the part that registers them. */
export const TENANT_RESOURCES = {
  /** The Tenant component itself and its TenantDatabase, TenantStorage and TenantDomain components. */
  components: 4,
  database: {
    /** Password + Role + Database + the grant that revokes CONNECT from PUBLIC. */
    database: 4,
    /** Password + Role + Schema + the grant on the schema. */
    schema: 4,
    /** Password + Role + membership in the shared application role. */
    shared: 3,
  },
  storage: {
    /** Bucket, encryption, public access block, versioning, lifecycle, ownership controls. */
    bucket: 6,
    /** An IAM policy scoped to the tenant's prefix in the cell's shared bucket. */
    prefix: 1,
  },
  /** DNS record, certificate, its validation record, the certificate validation. */
  domain: 4,
  /** One Cloudflare custom hostname per custom domain. */
  perCustomDomain: 1,
} as const;

export interface TenantEstimate {
  id: string;
  cell: string;
  resources: number;
}

export function estimateTenantResources(
  tenant: Pick<ResolvedTenant, "database" | "storage" | "domains">,
): number {
  const r = TENANT_RESOURCES;
  return (
    r.components +
    r.database[tenant.database.isolation] +
    r.storage[tenant.storage.mode] +
    r.domain +
    r.perCustomDomain * tenant.domains.custom.length
  );
}
