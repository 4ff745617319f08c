// Resource classes for the tenant database providers, for the TenantDatabase component:
//   new TenantMigrations(name, { server, tenantId, isolation, maxVersion }, { parent: this, dependsOn })
//   new TenantSeed(name, { server, tenantId, isolation, name, friendlyName, settings }, { parent: this, dependsOn: [migrations] })
import * as pulumi from "@pulumi/pulumi";
import { placement } from "./layout";
import { migrationSets, type Migration, type MigrationSets } from "./migrations";
import { tenantMigrationsProvider, tenantSeedProvider } from "./providers";
import type { Isolation, SslMode } from "./runner";

/** Admin connection of the tenant's database server (from stack config). */
export interface DatabaseServerArgs {
  host: pulumi.Input<string>;
  port: pulumi.Input<number>;
  /** A superuser, or a role that owns the tenant databases and is a member of tenancy_owner. */
  user: pulumi.Input<string>;
  /** Made secret here whatever it arrives as. */
  password: pulumi.Input<string>;
  sslmode: pulumi.Input<SslMode>;
}

export interface TenantDatabaseTargetArgs {
  server: DatabaseServerArgs;
  tenantId: string;
  isolation: Isolation;
}

export interface TenantMigrationsArgs extends TenantDatabaseTargetArgs {
  /** Highest version the tenant's ring allows: `ResolvedTenant.max_migration`. */
  maxVersion: number;
  /** The migration set; the repository's `migrations/` when left out. */
  migrations?: Migration[];
  /** The program's `migrationSets()`, shared by its tenants; when given, `migrations` is not read. */
  sets?: MigrationSets;
}

export interface TenantSeedArgs extends TenantDatabaseTargetArgs {
  name: pulumi.Input<string>;
  friendlyName: pulumi.Input<string>;
  /** Effective settings: `ResolvedTenant.settings`. */
  settings: pulumi.Input<Record<string, unknown>>;
}

const SECRET_OUTPUTS = ["password"];

export function targetInputs(args: TenantDatabaseTargetArgs) {
  const { host, port, user, password, sslmode } = args.server;
  return { host, port, user, password: pulumi.secret(password), sslmode, ...placement(args.isolation, args.tenantId) };
}

export function withSecretPassword(opts: pulumi.CustomResourceOptions | undefined): pulumi.CustomResourceOptions {
  return { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), ...SECRET_OUTPUTS] };
}

/** Migrates one tenant's tables to the version its rollout ring allows. */
export class TenantMigrations extends pulumi.dynamic.Resource {
  /** Version the target is at (after update; as found on refresh). */
  declare public readonly version: pulumi.Output<number>;
  declare public readonly targetVersion: pulumi.Output<number>;
  declare public readonly fingerprint: pulumi.Output<string>;

  constructor(name: string, args: TenantMigrationsArgs, opts?: pulumi.CustomResourceOptions) {
    const set = (args.sets ?? migrationSets(args.migrations))(args.maxVersion);
    super(
      tenantMigrationsProvider,
      name,
      {
        ...targetInputs(args),
        targetVersion: set.version,
        fingerprint: set.fingerprint,
        migrations: set.migrations,
        version: undefined,
        applied: undefined,
        reverted: undefined,
      },
      withSecretPassword(opts),
      "tenancy",
      "TenantMigrations",
    );
  }
}

/** The tenant's profile row: name, friendly name, effective settings. */
export class TenantSeed extends pulumi.dynamic.Resource {
  declare public readonly friendlyName: pulumi.Output<string>;

  constructor(name: string, args: TenantSeedArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      tenantSeedProvider,
      name,
      { ...targetInputs(args), name: args.name, friendlyName: args.friendlyName, settings: args.settings },
      withSecretPassword(opts),
      "tenancy",
      "TenantSeed",
    );
  }
}
