// Every name of a real object (database, role, schema, bucket, host, organization, backup key)
// derives from the tenant id here, and only here. Display names never reach a name, so renaming
// a tenant changes no object, and an id is never reused for something else.
import { isTenantId } from "./catalog/formats";

/** Longest bucket prefix that still leaves room for "-" and the longest id within S3's 63 characters. */
export const BUCKET_PREFIX_MAX = 22;
export const BUCKET_PREFIX_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,20}[a-z0-9])?$/;

function checked(id: string): string {
  if (!isTenantId(id)) throw new Error(`not a tenant id: ${JSON.stringify(id)}`);
  return id;
}

/** PostgreSQL identifiers: hyphens become underscores, so no quoting is ever needed. */
function pg(id: string): string {
  return `tenant_${checked(id).replace(/-/g, "_")}`;
}

/**
 * The catalog's directory, beside Pulumi.yaml. Fixed: a stack setting that pointed the program at
 * another directory would make it register other tenants than the plan showed (or none, and the
 * next `up` would delete the whole cell).
 */
export const CATALOG_DIR = "tenants";

export const naming = {
  /** Database of a tenant with isolation `database`. */
  database: (id: string) => pg(id),
  /** Schema of a tenant with isolation `schema`; equal to the role name, so `search_path = "$user"` finds it. */
  schema: (id: string) => pg(id),
  /** Login role of a tenant, in every isolation mode. */
  role: (id: string) => pg(id),
  /** Group role through which shared-mode tenants reach the shared tables (row-level security applies). */
  sharedAppRole: "tenancy_app",
  /** Owner of the shared tables; no tenant is ever a member, so no tenant owns a table it could bypass RLS on. */
  sharedOwnerRole: "tenancy_owner",
  /** Database, on each server, holding the schemas of the tenants with isolation `schema`. */
  schemaDatabase: "tenancy_schemas",
  /** Database, on each server, holding the shared tables of the tenants with isolation `shared`. */
  sharedDatabase: "tenancy_shared",
  /** Schema of the shared tables inside `sharedDatabase`. */
  sharedSchema: "tenancy_shared",

  /** The tenant's own bucket (storage mode `bucket`). */
  bucket(prefix: string, id: string): string {
    if (!BUCKET_PREFIX_PATTERN.test(prefix)) {
      throw new Error(`bucket prefix ${JSON.stringify(prefix)} must be 1-${BUCKET_PREFIX_MAX} lowercase letters, digits or inner hyphens`);
    }
    return `${prefix}-${checked(id)}`;
  },
  /** The shared bucket of a cell in one region (storage mode `prefix`). */
  sharedBucket(prefix: string, cell: string, region: string): string {
    const name = `${prefix}-shared-${cell}-${region}`;
    if (name.length > 63) throw new Error(`shared bucket name ${name} is longer than 63 characters; shorten tenancy:bucketPrefix or the cell name`);
    return name;
  },
  /** Key prefix of a tenant inside a shared bucket. */
  storagePrefix: (id: string) => `tenants/${checked(id)}/`,
  /** IAM policy that grants a tenant its key prefix in a shared bucket; the bucket prefix keeps deployments apart. */
  storagePolicy: (prefix: string, id: string) => `${prefix}-${checked(id)}-storage`,

  hostname: (subdomain: string, baseDomain: string) => `${subdomain}.${baseDomain}`,
  /** Organization on the control-plane tenant: its name is the tenant id (Auth0 naming rules). */
  organization: (id: string) => checked(id),
  /** Tenant id on the identity control plane. */
  identityTenant: (id: string) => checked(id),

  /** Object key of a backup; sortable by time. `stamp` is an ISO timestamp. */
  backupKey: (id: string, stamp: string) => `backups/${checked(id)}/${stamp.replace(/[:.]/g, "-")}.dump`,

  /** Pulumi logical name of a tenant's child resource: unique per tenant, stable across renames. */
  resource: (id: string, part: string) => `${checked(id)}-${part}`,
};
