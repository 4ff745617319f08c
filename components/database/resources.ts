// The dynamic resources of a tenant database, as TenantDatabase registers them (their providers
// are in providers/postgres/):
//   new TenantPassword(name, { length }, opts)
//   new TenantMigrations(name, { server, tenantId, isolation, maxVersion }, opts)
//   new TenantSeed(name, { server, tenantId, isolation, name, friendlyName, settings }, opts)
//   new TenantSuspension(name, tenantSuspensionArgs(tenant, server), opts)
import * as pulumi from "@pulumi/pulumi";
import type { ResolvedTenant } from "../../lib/catalog";
import { placement } from "../../lib/database/layout";
import { migrationSets, type Migration, type MigrationSets } from "../../lib/database/migrations";
import { naming } from "../../lib/naming";
import type { SslMode } from "../../providers/postgres/connection";
import type { TenantSuspensionInputs } from "../../providers/postgres/suspension";
import type { Isolation } from "../../providers/postgres/target";
import { TenancyResource, type Args } from "../dynamic";
import { mapInputs } from "../options";

/** The admin connection of a tenant's database server (from stack config). */
export interface DatabaseConnectionArgs {
  /** The server's name in tenancy:databaseServers: another name is another server (a tenant move), another host is not. */
  name: string;
  host: pulumi.Input<string>;
  port: pulumi.Input<number>;
  /** A superuser, or a role that owns the tenant databases and is a member of tenancy_owner. */
  user: pulumi.Input<string>;
  /** Made secret whatever it arrives as. */
  password: pulumi.Input<string>;
  sslmode: pulumi.Input<SslMode>;
  /** PEM of the CA that signs the server's certificate (tenancy:databaseServers.<name>.sslrootcert); verify-full needs it. */
  ca?: pulumi.Input<string>;
}

export interface TenantDatabaseTargetArgs {
  server: DatabaseConnectionArgs;
  tenantId: string;
  isolation: Isolation;
  /** The tenant's TenantMove may change this place: the tenant is not protected (providers/kit.ts MOVE_GUARD). */
  movable?: boolean;
}

export interface TenantMigrationsArgs extends TenantDatabaseTargetArgs {
  /** Highest version the tenant's ring allows: `ResolvedTenant.max_migration`. */
  maxVersion: number;
  /** The migration set; the repository's `migrations/` when left out. */
  migrations?: Migration[];
  /** The program's `migrationSets()`, shared by its tenants; when given, `migrations` is not read. */
  sets?: MigrationSets;
  /** An adopted schema's version (`adopt.migration_version`): recorded as applied, not run. */
  baselineVersion?: number;
}

export interface TenantSeedArgs extends TenantDatabaseTargetArgs {
  name: pulumi.Input<string>;
  friendlyName: pulumi.Input<string>;
  /** Effective settings: `ResolvedTenant.settings`. */
  settings: pulumi.Input<Record<string, unknown>>;
}

/** The admin password is secret in the inputs and in the outputs delete reads. */
const ADMIN_PASSWORD = ["password"];

/** The inputs naming a tenant's place on its server (providers/postgres/target.ts ServerTarget). */
export function targetInputs(args: TenantDatabaseTargetArgs) {
  const { name, host, port, user, password, sslmode, ca } = args.server;
  // moveGuard: the tenant's TenantMove carries a change of place over (providers/kit.ts MOVE_GUARD).
  return { server: name, host, port, user, password, sslmode, ...(ca === undefined ? {} : { ca }), ...placement(args.isolation, args.tenantId), moveGuard: args.movable === true };
}

/**
 * The generated password of a tenant's login role (40 letters and digits), a secret output. It took
 * the place of random.RandomPassword under the same logical name: the alias makes a stack that has
 * the old resource see this one as the same resource. The engine still replaces it once (its
 * provider changed), so such a stack gets a new password on that `up`: the Role's password is
 * updated in place and no data changes; deleting the old RandomPassword needs the random plugin
 * that stack already has. Raise `rotation` to rotate the password the same way.
 */
export class TenantPassword extends TenancyResource {
  declare public readonly password: pulumi.Output<string>;

  constructor(name: string, args: { length: number; rotation?: number }, opts: pulumi.CustomResourceOptions = {}) {
    const aliases = [...(opts.aliases ?? []), { type: "random:index/randomPassword:RandomPassword" }];
    super("TenantPassword", name, { ...args, password: undefined }, { ...opts, aliases }, ["password"]);
  }
}

/** Migrates one tenant's tables to the version its rollout ring allows. */
export class TenantMigrations extends TenancyResource {
  /** Version the target is at (after update; as found on refresh). */
  declare public readonly version: pulumi.Output<number>;
  declare public readonly targetVersion: pulumi.Output<number>;
  declare public readonly fingerprint: pulumi.Output<string>;

  constructor(name: string, args: TenantMigrationsArgs, opts?: pulumi.CustomResourceOptions) {
    // Only the version and the fingerprint: the provider reads the SQL from migrations/ itself.
    const set = (args.sets ?? migrationSets(args.migrations))(args.maxVersion);
    const baseline = args.baselineVersion ? { baselineVersion: args.baselineVersion } : {};
    const props = { ...targetInputs(args), targetVersion: set.version, fingerprint: set.fingerprint, ...baseline, version: undefined, applied: undefined, reverted: undefined };
    super("TenantMigrations", name, props, opts, ADMIN_PASSWORD);
  }
}

/** The tenant's profile row: name, friendly name, effective settings. */
export class TenantSeed extends TenancyResource {
  declare public readonly friendlyName: pulumi.Output<string>;

  constructor(name: string, args: TenantSeedArgs, opts?: pulumi.CustomResourceOptions) {
    const props = { ...targetInputs(args), name: args.name, friendlyName: args.friendlyName, settings: args.settings };
    super("TenantSeed", name, props, opts, ADMIN_PASSWORD);
  }
}

/** The admin connects to the maintenance database: pg_stat_activity and ALTER ROLE are cluster-wide. */

/** How the admin reaches its server, without the password and the database. */
type AdminReach = { host: string; port: number; user: string; sslmode: SslMode; ca?: string };

/** TenantSuspension's arguments for a catalog tenant and its server's admin connection. */
export function tenantSuspensionArgs(
  t: Pick<ResolvedTenant, "id" | "status">,
  connection: DatabaseConnectionArgs,
  options: { retained?: boolean } = {},
): Args<TenantSuspensionInputs> {
  const reach: { [K in keyof AdminReach]: pulumi.Input<AdminReach[K]> } = { host: connection.host, port: connection.port, user: connection.user, sslmode: connection.sslmode };
  if (connection.ca !== undefined) reach.ca = connection.ca;
  return {
    connection: mapInputs(reach, (c) => ({ ...c, database: naming.maintenanceDatabase })),
    password: connection.password,
    role: naming.role(t.id),
    suspended: t.status === "suspended",
    // The role is dropped right after this resource, unless the tenant's data (and so its role) is retained.
    dropOwnedOnDelete: !options.retained,
  };
}

/** Ends a suspended tenant's open sessions. Give it `dependsOn` the tenant's postgresql.Role. */
export class TenantSuspension extends TenancyResource {
  constructor(name: string, args: Args<TenantSuspensionInputs>, opts?: pulumi.CustomResourceOptions) {
    super("TenantSuspension", name, { ...args, terminated: undefined }, opts, ADMIN_PASSWORD);
  }
}
