// The Pulumi program as a function of an already-loaded catalog and an already-read config, so that
// `tenancy plan` can run it under mocks with a placeholder config, and tests can run it directly.
import * as aws from "@pulumi/aws";
import * as cloudflare from "@pulumi/cloudflare";
import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import { DatabaseServer } from "../components/database";
import { SharedBucket } from "../components/storage";
import { identityDisplayName } from "../components/identity";
import { Tenant } from "../components/tenant";
import type { OwnershipRecord } from "../components/domain";
import { CatalogInvalidError, loadCatalog, readCatalogDir, type Catalog, type ResolvedTenant } from "./catalog";
import { undeclared } from "./catalog/cells";
import { migrationSets } from "./database/migrations";
import { adminConnection, backupBucketName, type TenancyConfig } from "./config";
import { backupStore, objectPlace } from "./lifecycle/places";

export interface TenantOutputs {
  hostname: pulumi.Output<string>;
  bucket: pulumi.Output<string>;
  keyPrefix: pulumi.Output<string>;
  database: pulumi.Output<string>;
  schema: pulumi.Output<string | undefined>;
  role: pulumi.Output<string>;
  /** Always a secret. */
  password: pulumi.Output<string>;
  /** Records the tenant must publish for its custom domains. */
  ownershipRecords: pulumi.Output<OwnershipRecord[]>;
}

export interface ProgramOutputs {
  cell: string;
  /** Per tenant id of the cell. */
  tenants: Record<string, TenantOutputs>;
  /** Shared bucket per region that has prefix-mode tenants. */
  sharedBuckets: Record<string, pulumi.Output<string>>;
}

export class ProgramInvalidError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`the catalog cannot be deployed with this stack config (${problems.length} problem(s)):\n${problems.map((p) => `  ${p}`).join("\n")}`);
    this.name = "ProgramInvalidError";
  }
}

/**
 * The tenants this stack deploys: those of its cell, parents before children. A tenant file that
 * names no cell gets the one of `_defaults.yaml` (`cell: default` in the example catalog).
 */
export function tenantsOfCell(catalog: Catalog, cell: string): ResolvedTenant[] {
  return catalog.tenants.filter((t) => t.cell === cell).sort((a, b) => a.depth - b.depth || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** What stops the cell's tenants from being deployed with this config, all at once. */
export function programProblems(catalog: Catalog, config: Pick<TenancyConfig, "cell" | "databaseServers">): string[] {
  const problems: string[] = [];
  // A stack for a cell nobody declared (a typo'd stack name, a cell taken out of _cells.yaml) would
  // register no tenant, and an `up` would delete whatever its state holds.
  if (!catalog.declarations.cells.has(config.cell)) problems.push(`stack ${config.cell} deploys the declared cell it is named after: ${undeclared("cell", config.cell, catalog.declarations.cells.keys())}`);
  const byId = new Map(catalog.tenants.map((t) => [t.id, t]));
  const servers = Object.keys(config.databaseServers);
  for (const t of tenantsOfCell(catalog, config.cell)) {
    if (!servers.includes(t.database.server)) {
      problems.push(`${t.source}: database.server "${t.database.server}" is not in tenancy:databaseServers (${servers.join(", ") || "none configured"})`);
    }
    const parent = t.parent ? byId.get(t.parent) : undefined;
    if (parent && parent.cell !== t.cell) {
      problems.push(`${t.source}: parent ${parent.id} is in cell ${parent.cell}, but a child must be deployed by its parent's stack (cell ${t.cell} given)`);
    }
  }
  return problems;
}

/** The catalog in `dir`, or CatalogInvalidError carrying every error. */
export function catalogFromDir(dir: string): Catalog {
  const loaded = loadCatalog(readCatalogDir(dir), dir);
  if (!loaded.ok) throw new CatalogInvalidError(loaded.errors);
  return loaded.catalog;
}

export interface RegisterOptions {
  /**
   * Register the Tenant components of these tenants of the cell only, and the cell's shared
   * resources as always (they are computed from all of its tenants): what `tenancy plan` evaluates
   * when a change can touch no other tenant (lib/plan/scope.ts). A tenant's parent must be among
   * them. Each tenant registered is registered exactly as by the whole program.
   */
  tenants?: ReadonlySet<string>;
}

/** Registers providers, shared buckets and one Tenant per tenant of the stack's cell; returns the stack outputs. */
export function registerProgram(catalog: Catalog, config: TenancyConfig, options: RegisterOptions = {}): ProgramOutputs {
  const steps = programSteps(catalog, config, options);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * registerProgram, handing the event loop a turn after each tenant: how `tenancy plan` and the
 * benchmarks evaluate the program under the mocks. It registers the same resources with the same
 * inputs and options (test/unit/program/async.test.ts compares the two); only the time it takes
 * and the memory it holds differ. Registering a resource starts a few hundred promises (an Output
 * with four promises for each of its properties, the serialization of its inputs, its dependencies)
 * that stay pending until the resource monitor answers, and answers are only taken in while the
 * event loop turns. Registered in one synchronous go, every tenant's promises are pending at once:
 * about 2 MB per tenant, 1.9 GB for 500 tenants, and most of the CPU went to the garbage collector
 * copying them. The mocks answer at once, so a turn after each tenant settles its registrations
 * before the next tenant starts: what is pending is one tenant's worth. Under the engine an answer
 * comes once the resource exists, which no turn hastens; index.ts keeps registerProgram, whose
 * synchronous result its tests read.
 */
export async function registerProgramAsync(catalog: Catalog, config: TenancyConfig, options: RegisterOptions = {}): Promise<ProgramOutputs> {
  const steps = programSteps(catalog, config, options);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await new Promise((turn) => setImmediate(turn));
  }
}

/** The program, one step per tenant (registerProgram and registerProgramAsync run it). */
function* programSteps(catalog: Catalog, config: TenancyConfig, options: RegisterOptions): Generator<void, ProgramOutputs> {
  const problems = programProblems(catalog, config);
  if (problems.length > 0) throw new ProgramInvalidError(problems);
  const tenants = tenantsOfCell(catalog, config.cell);
  const only = options.tenants;

  const pgProviders: Record<string, postgresql.Provider> = {};
  for (const server of Object.values(config.databaseServers)) {
    pgProviders[server.name] = new postgresql.Provider(`postgresql-${server.name}`, {
      host: server.host,
      port: server.port,
      username: server.adminUser,
      password: server.password,
      sslmode: server.sslmode,
      // The provider reads the CA file itself; the path, as configured, is relative to the project.
      ...(server.sslrootcert === undefined ? {} : { sslrootcert: server.sslrootcert }),
    });
  }
  // The shared roles and databases, on each server that schema or shared tenants of the cell use,
  // unless another cell's stack manages them.
  const serverComponents: Record<string, DatabaseServer> = {};
  const sharedUsers = tenants.filter((t) => t.database.isolation !== "database" && config.databaseServers[t.database.server].manageShared);
  for (const name of [...new Set(sharedUsers.map((t) => t.database.server))].sort()) {
    serverComponents[name] = new DatabaseServer(`postgresql-${name}`, { adminUser: config.databaseServers[name].adminUser, provider: pgProviders[name] });
  }
  const regions = [...new Set(tenants.map((t) => t.region))].sort();
  const awsProviders: Record<string, aws.Provider> = {};
  // An S3-compatible server (tenancy:s3Endpoint) takes the S3 calls of every region's provider.
  const s3Endpoint = config.s3Endpoint ? { endpoints: [{ s3: config.s3Endpoint }], s3UsePathStyle: true } : {};
  for (const region of regions) awsProviders[region] = new aws.Provider(`aws-${region}`, { region: region as aws.Region, ...s3Endpoint });
  // Credentials come from the environment (CLOUDFLARE_API_TOKEN), as CI provides them, never from the repository.
  const cloudflareProvider = new cloudflare.Provider("cloudflare", {});

  const sharedBuckets: Record<string, SharedBucket> = {};
  for (const region of regions) {
    const prefixTenants = tenants.filter((t) => t.region === region && t.storage.mode === "prefix");
    if (prefixTenants.length === 0) continue;
    sharedBuckets[region] = new SharedBucket(`shared-${region}`, {
      bucketPrefix: config.bucketPrefix,
      cell: config.cell,
      region,
      tenants: prefixTenants.map((t) => ({ id: t.id, noncurrentDays: t.storage.noncurrent_days, expireDays: t.storage.expire_days ?? null })),
      tags: { cell: config.cell },
      provider: awsProviders[region],
    });
  }

  // Read and hashed once for all tenants of the run, not once per tenant.
  const sets = migrationSets();
  const components: Record<string, Tenant> = {};
  // Organization names along the hierarchy ("Acme Corporation / Acme Research / Lab"); parents come first.
  const displayNames = new Map<string, string>();
  for (const t of tenants) {
    if (only && !only.has(t.id)) continue;
    if (t.parent && !components[t.parent]) throw new Error(`tenant ${t.id} is to be registered without its parent ${t.parent}`);
    displayNames.set(t.id, identityDisplayName(t.name, t.parent ? displayNames.get(t.parent) : undefined));
    const server = config.databaseServers[t.database.server];
    const shared = sharedBuckets[t.region];
    components[t.id] = new Tenant({
      tenant: t,
      database: {
        serverName: server.name,
        provider: pgProviders[server.name],
        server: t.database.isolation === "database" ? undefined : serverComponents[server.name],
        connection: { name: server.name, ...adminConnection(server) },
        migrationSets: sets,
      },
      storage: {
        bucketPrefix: config.bucketPrefix,
        provider: awsProviders[t.region],
        sharedBucket: t.storage.mode === "prefix" ? { name: shared.bucketName, arn: shared.arn } : undefined,
        s3Endpoint: config.s3Endpoint,
      },
      domain: {
        zoneId: config.cloudflareZoneId,
        baseDomain: config.baseDomain,
        ingressTarget: config.ingressTarget,
        maintenanceTarget: config.maintenanceTarget,
        provider: cloudflareProvider,
      },
      identity: {
        controlPlane: catalog.controlPlane,
        access: catalog.defaults.access,
        connection: {
          url: config.controlPlane.url,
          clientId: config.controlPlane.clientId,
          clientSecret: config.controlPlaneClientSecret,
          controlPlaneTenantId: config.controlPlane.tenantId,
        },
        parentName: t.parent ? displayNames.get(t.parent) : undefined,
      },
      lifecycle: {
        webhookSecret: config.webhookSecret,
        backupStore: backupStore(backupBucketName(config, t.region), t.region, config.s3Endpoint),
        objects: objectPlace(t, config),
      },
      parentTenant: t.parent ? components[t.parent] : undefined,
    });
    yield;
  }

  return {
    cell: config.cell,
    tenants: Object.fromEntries(
      Object.entries(components).map(([id, c]) => [
        id,
        {
          hostname: c.hostname,
          bucket: c.bucket,
          keyPrefix: c.keyPrefix,
          database: c.database,
          schema: c.schema,
          role: c.role,
          password: pulumi.secret(c.password),
          ownershipRecords: c.ownershipRecords,
        },
      ]),
    ),
    sharedBuckets: Object.fromEntries(Object.entries(sharedBuckets).map(([region, b]) => [region, b.bucketName])),
  };
}
