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

/** The parts of a backup, under its key; the manifest is written last, once the others verify. */
export const BACKUP_PARTS = {
  database: "database.dump",
  objects: "objects.json",
  configuration: "configuration.json",
  identity: "identity.json",
  manifest: "manifest.json",
} as const;

export const naming = {
  /**
   * The database every PostgreSQL server has, where the admin connects for what is server-wide
   * (roles, sessions, creating and dropping databases).
   */
  maintenanceDatabase: "postgres",
  /** Type token prefix of the project's dynamic resources: `pulumi-nodejs:dynamic/tenancy:<kind>`, the tokens of every existing stack. */
  dynamicTypePrefix: "pulumi-nodejs:dynamic/tenancy:",
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

  /**
   * The tenant's own bucket (storage mode `bucket`). An adopted bucket (`adopt.bucket`) keeps its
   * name: S3 cannot rename a bucket, and the tenant's application already uses it.
   */
  bucket(prefix: string, id: string, adopted?: string): string {
    if (!BUCKET_PREFIX_PATTERN.test(prefix)) {
      throw new Error(`bucket prefix ${JSON.stringify(prefix)} must be 1-${BUCKET_PREFIX_MAX} lowercase letters, digits or inner hyphens`);
    }
    return adopted ?? `${prefix}-${checked(id)}`;
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
  /**
   * Organization on the control-plane tenant: its name is the tenant id (Auth0 naming rules), or an
   * adopted organization's own (`adopt.organization`), which its users' logins already carry.
   */
  organization: (id: string, adopted?: string) => adopted ?? checked(id),
  /** Tenant id on the identity control plane. */
  identityTenant: (id: string) => checked(id),

  /**
   * The backups bucket of a region (data residency: a tenant's backups stay in its region). One per
   * region and deployment, shared by the cells there, so a tenant's backups stay where they are when
   * it moves between cells and are found by its region alone after it is offboarded.
   * `tenancy:backupBuckets.<region>` names another bucket for a region.
   */
  backupBucket(prefix: string, region: string): string {
    const name = `${prefix}-backups-${region}`;
    if (!BUCKET_PREFIX_PATTERN.test(prefix) || name.length > 63) throw new Error(`backups bucket name ${name} is not a valid bucket name; set tenancy:backupBuckets.${region}`);
    return name;
  },
  /** Every backup of a tenant is under this key prefix of its region's backups bucket. */
  backupsOf: (id: string) => `backups/${checked(id)}/`,
  /**
   * One backup: a folder named by its start time (so keys sort by time), holding BACKUP_PARTS and
   * the tenant's objects. `stamp` is an ISO timestamp.
   */
  backupKey: (id: string, stamp: string) => `backups/${checked(id)}/${stamp.replace(/[:.]/g, "-")}/`,
  /** The tenant a backup key belongs to, or undefined when `key` is no backup key. */
  backupTenant(key: string): string | undefined {
    const match = /^backups\/([a-z0-9-]+)\/\d{4}-\d{2}-\d{2}T[0-9-]+Z\/$/.exec(key);
    return match && isTenantId(match[1]) ? match[1] : undefined;
  },
  /**
   * The record of one move of a tenant (providers/move/record.ts), in the backups bucket next to its
   * backups: `move` names the move (a hash of its old and new places).
   */
  moveRecord: (id: string, move: string) => `moves/${checked(id)}/${move}.json`,
  /** The n-th object copied into a backup (numbered, since an object key may be longer than a key prefix leaves room for). */
  backupObject: (key: string, n: number) => `${key}objects/${String(n).padStart(8, "0")}`,
  /** Quarantine database (and its throwaway owner role) of one restore; `token` is random hex. */
  restoreQuarantine: (token: string) => `tenancy_restore_${token}`,

  /** Pulumi logical name of a tenant's child resource: unique per tenant, stable across renames. */
  resource: (id: string, part: string) => `${checked(id)}-${part}`,
  /**
   * Logical name of a tenant's resource on a database server (its role, database, schema, grants):
   * the server's name is part of it, because the engine keeps a resource whose provider changed
   * when the new provider's config diff asks for no replacement (PostgreSQL's never does), so the
   * same name on another server would never be created there. Another server, another resource:
   * a tenant moved to it gets new ones, and the old server's are deleted after the move.
   */
  serverResource: (id: string, part: string, server: string) => `${checked(id)}-${part}@${server}`,
};
