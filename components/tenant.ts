import * as aws from "@pulumi/aws";
import * as cloudflare from "@pulumi/cloudflare";
import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import type { ControlPlane, Defaults, ResolvedTenant } from "../lib/catalog";
import type { MigrationSets } from "../lib/database/migrations";
import { naming } from "../lib/naming";
import type { ObjectPlace, S3Store } from "../providers/s3/client";
import { DatabaseServer, TenantDatabase, type DatabaseConnectionArgs } from "./database";
import { TenantDomain, type OwnershipRecord } from "./domain";
import { identityDisplayName, TenantIdentity, type TenantIdentityArgs } from "./identity";
import { DeletedHook, deletedHookArgs, LifecycleHook, lifecycleHookArgs, TenantBackup, tenantBackupArgs, TenantMove, tenantMoveArgs } from "./lifecycle";
import { assertNoProblems, dataProtection, dependencyList } from "./options";
import { TenantStorage, tenantTags } from "./storage";

export interface TenantArgs {
  tenant: ResolvedTenant;
  database: {
    /** Name of the server in `tenancy:databaseServers`; must be the one the tenant asks for. */
    serverName: string;
    provider: postgresql.Provider;
    /** The server's shared objects, for isolation schema and shared, when this stack manages them. */
    server?: DatabaseServer;
    /** Admin connection for the migrations and the seed. */
    connection: DatabaseConnectionArgs;
    /** The program's `migrationSets()`, shared by every tenant of the run. */
    migrationSets?: MigrationSets;
  };
  storage: {
    bucketPrefix: string;
    /** AWS provider of the tenant's region; also issues its certificate. */
    provider: aws.Provider;
    /** The cell's shared bucket in the tenant's region, for storage mode `prefix`. */
    sharedBucket?: { name: pulumi.Input<string>; arn: pulumi.Input<string> };
    /** `tenancy:s3Endpoint`, when the cell's S3 is an S3-compatible server. */
    s3Endpoint?: string;
  };
  domain: { zoneId: string; baseDomain: string; ingressTarget: string; maintenanceTarget: string; provider: cloudflare.Provider };
  identity: {
    controlPlane: ControlPlane;
    access: Defaults["access"];
    connection: TenantIdentityArgs["connection"];
    /** The parent tenant's organization display name (its own parent's included), which a child's includes. */
    parentName?: string;
  };
  lifecycle: {
    /** tenancy:webhookSecret, which signs the lifecycle webhooks (a secret). */
    webhookSecret: pulumi.Input<string>;
    /** The backups bucket of the tenant's region (lib/config.ts backupBucketName). */
    backupStore: S3Store;
    /** Where the tenant's objects are, for its backup (lib/lifecycle/places.ts objectPlace). */
    objects: ObjectPlace;
  };
  /** The parent's component, for a child tenant: the child is created after it and deleted before it. */
  parentTenant?: Tenant;
}

export function tenantArgProblems(args: Pick<TenantArgs, "tenant" | "parentTenant"> & { database: Pick<TenantArgs["database"], "serverName"> }): string[] {
  const problems: string[] = [];
  const t = args.tenant;
  if (t.database.server !== args.database.serverName) {
    problems.push(`database server ${JSON.stringify(args.database.serverName)} given, but the tenant asks for ${JSON.stringify(t.database.server)}`);
  }
  if (t.parent && args.parentTenant?.tenantId !== t.parent) {
    problems.push(`tenant ${t.id} has parent ${t.parent}, so parentTenant must be that tenant's component (got ${args.parentTenant ? args.parentTenant.tenantId : "none"})`);
  }
  if (!t.parent && args.parentTenant) problems.push(`tenant ${t.id} has no parent, but parentTenant ${args.parentTenant.tenantId} was given`);
  return problems;
}

/** Everything one tenant of the catalog owns. Its name is the tenant id. */
export class Tenant extends pulumi.ComponentResource {
  declare public readonly tenantId: string;
  declare public readonly hostname: pulumi.Output<string>;
  declare public readonly bucket: pulumi.Output<string>;
  /** "" when the tenant has its own bucket. */
  declare public readonly keyPrefix: pulumi.Output<string>;
  declare public readonly database: pulumi.Output<string>;
  declare public readonly schema: pulumi.Output<string | undefined>;
  declare public readonly role: pulumi.Output<string>;
  /** The role's password; a secret. */
  declare public readonly password: pulumi.Output<string>;
  declare public readonly ownershipRecords: pulumi.Output<OwnershipRecord[]>;

  constructor(args: TenantArgs, opts: pulumi.ComponentResourceOptions = {}) {
    const t = args.tenant;
    const after = args.parentTenant ? [args.parentTenant] : [];
    // deletion_protection protects every resource of the tenant (children inherit `protect`), not
    // only its data: the engine checks `protect` when a resource's own delete comes up, and the
    // deletion chain starts with the `deleting` webhook, the identity teardown and the backup.
    // Protecting the data alone, those would run before the protected database stopped the update
    // (the deploy job's `up --skip-preview` has no preview to stop at). With all protected, the
    // first delete the engine schedules fails and nothing of the tenant is touched. The price: a
    // change that replaces any resource of a protected tenant needs protection off, like a deletion.
    super("tenancy:index:Tenant", t.id, {}, { ...opts, protect: t.lifecycle.deletion_protection, dependsOn: [...dependencyList(opts.dependsOn), ...after] });
    this.tenantId = t.id;
    assertNoProblems("Tenant", t.id, tenantArgProblems(args));
    const suspended = t.status === "suspended";
    const protection = dataProtection(t.lifecycle);
    const tags = { tenant: t.id, plan: t.plan, cell: t.cell };
    // The seed's deletion flow as one chain of dependencies (lib/lifecycle/order.ts): each stage
    // depends on the next, so the engine deletes them in this order and creates them in reverse:
    // deleting-webhook, backup, organization, data, bucket, DNS and certificates, deleted-webhook.
    // `after` hands each stage's dependency to every child of a component (dependsOn on a
    // component reaches none of them); a child tenant's `after` also holds its parent.
    const deleted = new DeletedHook(naming.resource(t.id, "deleted-hook"), deletedHookArgs(t, args.lifecycle.webhookSecret), { parent: this, dependsOn: after });
    const domain = new TenantDomain(
      t.id,
      {
        tenantId: t.id,
        subdomain: t.domains.subdomain,
        customDomains: t.domains.custom,
        suspended,
        zoneId: args.domain.zoneId,
        baseDomain: args.domain.baseDomain,
        ingressTarget: args.domain.ingressTarget,
        maintenanceTarget: args.domain.maintenanceTarget,
        cloudflareProvider: args.domain.provider,
        awsProvider: args.storage.provider,
        tags: tenantTags(tags),
      },
      { parent: this, after: [...after, deleted] },
    );
    const storage = new TenantStorage(
      t.id,
      {
        tenantId: t.id,
        mode: t.storage.mode,
        versioning: t.storage.versioning,
        noncurrentDays: t.storage.noncurrent_days,
        expireDays: t.storage.expire_days ?? null,
        tags,
        bucketPrefix: args.storage.bucketPrefix,
        provider: args.storage.provider,
        sharedBucket: args.storage.sharedBucket,
        s3Endpoint: args.storage.s3Endpoint,
        suspended,
        ...(t.adopt?.bucket ? { adoptedBucket: t.adopt.bucket } : {}),
        protection,
      },
      { parent: this, after: [...after, domain] },
    );
    const database = new TenantDatabase(
      t.id,
      {
        tenantId: t.id,
        isolation: t.database.isolation,
        provider: args.database.provider,
        server: args.database.server,
        connection: args.database.connection,
        maxMigration: t.max_migration,
        migrationSets: args.database.migrationSets,
        profile: { name: t.name, friendlyName: t.friendly_name, settings: t.settings },
        suspended,
        // `adopt:` (lib/catalog/adopt.ts): what runs already is imported or recorded, not created.
        ...(t.adopt ? { adopt: { database: t.adopt.database !== undefined, schema: t.adopt.schema !== undefined, migrationVersion: t.adopt.migration_version } } : {}),
        protection,
      },
      { parent: this, after: [...after, storage] },
    );
    // Carries a change of the tenant's place over (providers/move/): after the new place is made and
    // migrated, before the identity (and so before the engine deletes the old place's resources).
    const move = new TenantMove(naming.resource(t.id, "move"), tenantMoveArgs(t, args.database.connection, args.lifecycle.backupStore, args.lifecycle.objects), {
      parent: this,
      dependsOn: [...after, storage, database],
    });
    const identity = new TenantIdentity(
      t.id,
      {
        tenant: t,
        controlPlane: args.identity.controlPlane,
        access: args.identity.access,
        displayName: identityDisplayName(t.name, args.identity.parentName),
        hostnames: [domain.hostname, ...t.domains.custom],
        connection: args.identity.connection,
      },
      { parent: this, after: [...after, database, move] },
    );
    // Only a suspended tenant's backup takes the Organization's suspendedMembers: an output the state
    // lacks is unknown in every preview, which would show an update of each active tenant's backup.
    const suspendedMembers = t.status === "suspended" ? identity.suspendedMembers : undefined;
    // Depending on the components reaches every custom resource under them: the whole backup runs
    // while the organization, the rows and the objects are all still there.
    const backup = new TenantBackup(
      naming.resource(t.id, "backup"),
      tenantBackupArgs(t, args.database.connection, args.lifecycle.backupStore, args.lifecycle.objects, args.identity.connection, suspendedMembers),
      { parent: this, dependsOn: [...after, identity, database] },
    );
    new LifecycleHook(naming.resource(t.id, "lifecycle-hook"), lifecycleHookArgs(t, args.lifecycle.webhookSecret), { parent: this, dependsOn: [...after, backup] });

    this.hostname = domain.hostname;
    this.bucket = storage.bucketName;
    this.keyPrefix = storage.keyPrefix;
    this.database = database.databaseName;
    this.schema = database.schemaName;
    this.role = database.roleName;
    this.password = database.password;
    this.ownershipRecords = domain.ownershipRecords;
    this.registerOutputs({
      hostname: this.hostname,
      bucket: this.bucket,
      keyPrefix: this.keyPrefix,
      database: this.database,
      schema: this.schema,
      role: this.role,
      password: this.password,
      ownershipRecords: this.ownershipRecords,
    });
  }
}
