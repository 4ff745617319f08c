// Where the operator's commands (`tenancy backup`, `restore`, `export`, `forget`) find a tenant: its
// cell and region from the catalog (or, for a tenant no longer in it, from --cell and --region), that
// cell's stack config read through the Pulumi CLI, and from both the same places the program gives its
// resources (lib/lifecycle/places.ts): the database target, the object place, the backups bucket, the
// organization's name. What only the deployed state holds (a suspension's members) comes from
// `pulumi stack export` (stack-state.ts).
import { placement } from "../database/layout";
import { adminConnection, backupBucketName } from "../config";
import { formatError, loadCatalog, readCatalogDir, type Catalog, type ResolvedTenant } from "../catalog";
import { backupStore, objectPlace } from "../lifecycle/places";
import { CATALOG_DIR, naming } from "../naming";
import type { ManagementConnection } from "../../providers/identity/client";
import type { Target } from "../../providers/postgres/target";
import type { ObjectPlace, S3Store } from "../../providers/s3/client";
import { readStackConfig, type OperatorConfig, type StackConfigOptions } from "./stack-config";
import { readOrganizationStates, type OrganizationState } from "./stack-state";

/** How the commands reach the Pulumi CLI: the CLI's defaults, or a test's engine and backend. */
export interface OperateOptions extends Omit<StackConfigOptions, "stack"> {
  /** The stack name of a cell, such as `acme/tenancy/<cell>` on Pulumi Cloud; the cell by default. */
  stackOf?: (cell: string) => string;
  /** Reads a cell's config; readStackConfig by default (tests may hand a config they hold). */
  readConfig?: (cell: string) => OperatorConfig;
  /** Reads a cell's Organization states; readOrganizationStates by default (tests may hand what they deployed). */
  readOrganizations?: (cell: string) => Map<string, OrganizationState>;
}

/** A cell's config, read once per command. */
export function cellConfig(cell: string, options: OperateOptions): OperatorConfig {
  if (options.readConfig) return options.readConfig(cell);
  return readStackConfig(cell, { cwd: options.cwd, pulumi: options.pulumi, env: options.env, stack: options.stackOf?.(cell) });
}

/** A cell's Organization states (tenant id -> name, suspended members), read once per command. */
export function cellOrganizations(cell: string, options: OperateOptions): Map<string, OrganizationState> {
  if (options.readOrganizations) return options.readOrganizations(cell);
  return readOrganizationStates(cell, { cwd: options.cwd, pulumi: options.pulumi, env: options.env, stack: options.stackOf?.(cell) });
}

/** The catalog of the project (tenants/), or an error listing every problem. */
export function currentCatalog(cwd = process.cwd()): Catalog {
  const loaded = loadCatalog(readCatalogDir(CATALOG_DIR, cwd), CATALOG_DIR);
  if (!loaded.ok) throw new Error(`the catalog is invalid; fix it first:\n${loaded.errors.map(formatError).join("\n")}`);
  return loaded.catalog;
}

/** The places of one cell's stack: everything but the tenant. */
export interface CellPlaces {
  config: OperatorConfig;
  /** The backups bucket of a region, as the program names it. */
  store(region: string): S3Store;
  /** The Management API, with the client secret. */
  identity: ManagementConnection;
}

export function cellPlaces(config: OperatorConfig): CellPlaces {
  return {
    config,
    store: (region) => backupStore(backupBucketName(config, region), region, config.s3Endpoint),
    identity: { url: config.controlPlane.url, clientId: config.controlPlane.clientId, clientSecret: config.controlPlaneClientSecret, controlPlaneTenantId: config.controlPlane.tenantId },
  };
}

/** Everything a command needs of a tenant in the catalog. */
export interface TenantPlaces extends CellPlaces {
  tenant: ResolvedTenant;
  /** Its place on its database server, with the admin connection. */
  target: Target;
  objects: ObjectPlace;
  backups: S3Store;
  /** Its organization's name on the control plane: `adopt.organization`, else its id. */
  organization: string;
}

export function tenantPlaces(tenant: ResolvedTenant, config: OperatorConfig): TenantPlaces {
  const server = config.databaseServers[tenant.database.server];
  if (!server) throw new Error(`tenant ${tenant.id}: database server "${tenant.database.server}" is not in tenancy:databaseServers of stack ${config.cell}`);
  const cell = cellPlaces(config);
  return {
    ...cell,
    tenant,
    target: { ...adminConnection(server), ...placement(tenant.database.isolation, tenant.id) },
    objects: objectPlace(tenant, config),
    backups: cell.store(tenant.region),
    organization: naming.organization(tenant.id, tenant.adopt?.organization),
  };
}

/** A tenant of the catalog, or undefined. */
export function findTenant(catalog: Catalog, id: string): ResolvedTenant | undefined {
  return catalog.tenants.find((t) => t.id === id);
}

/** A tenant of the catalog, with its cell's config; an error naming the id otherwise. */
export function locateTenant(catalog: Catalog, id: string, options: OperateOptions): TenantPlaces {
  const tenant = findTenant(catalog, id);
  if (!tenant) throw new Error(`tenant ${id} is not in the catalog (tenants/${id}.yaml)`);
  return tenantPlaces(tenant, cellConfig(tenant.cell, options));
}
