// The TenantBackup resource and its arguments (providers/backup/backup.ts has what its delete does:
// the whole-tenant backup before offboarding).
import * as pulumi from "@pulumi/pulumi";
import type { ResolvedTenant } from "../../lib/catalog/load";
import { placement } from "../../lib/database/layout";
import type { TenantBackupInputs } from "../../providers/backup/backup";
import type { ObjectPlace, S3Store } from "../../providers/s3/client";
import { backupConfiguration, retentionDays } from "../../lib/lifecycle/places";
import type { IdentityConnectionArgs } from "../identity/resources";
import type { DatabaseConnectionArgs } from "../database/resources";
import { TenancyResource, type Args } from "../dynamic";
import { mapInputs } from "../options";

/**
 * Where a catalog tenant's rows are and how the admin reaches them, without the admin password: the
 * `target` of TenantBackup and TenantMove (whose `password` input carries the secret apart).
 */
export function placeTarget(t: ResolvedTenant, connection: DatabaseConnectionArgs): Args<TenantBackupInputs>["target"] {
  const where = { server: connection.name, ...placement(t.database.isolation, t.id) };
  return mapInputs({ host: connection.host, port: connection.port, user: connection.user, sslmode: connection.sslmode, ...(connection.ca === undefined ? {} : { ca: connection.ca }) }, (c) => ({ ...c, ...where }));
}

/**
 * TenantBackup's arguments for a catalog tenant: the admin connection the migrations use
 * (TenantDatabaseArgs.connection), the backups bucket of its region, where its objects are, the
 * Management API connection, and its configuration and retention (lib/lifecycle/places.ts), and the
 * members its suspension took out of its organization (the Organization's `suspendedMembers`).
 */
export function tenantBackupArgs(
  t: ResolvedTenant,
  connection: DatabaseConnectionArgs,
  store: S3Store,
  objects: ObjectPlace,
  identity: IdentityConnectionArgs,
  suspendedMembers?: pulumi.Input<Record<string, string[]> | undefined>,
): Args<TenantBackupInputs> {
  return {
    target: placeTarget(t, connection),
    password: connection.password,
    store,
    onDelete: t.lifecycle.on_delete,
    objects,
    identity: identity as Args<TenantBackupInputs>["identity"],
    configuration: backupConfiguration(t) as unknown as Record<string, unknown>,
    retentionDays: retentionDays(t),
    // The tenant's TenantMove carries a change of place over, unless the tenant is protected (providers/kit.ts MOVE_GUARD).
    moveGuard: !t.lifecycle.deletion_protection,
    ...(suspendedMembers === undefined ? {} : { suspendedMembers: suspendedMembers as Args<TenantBackupInputs>["suspendedMembers"] }),
  };
}

/**
 * Give it `dependsOn` the tenant's identity resources (which come after its data and storage); make
 * the LifecycleHook depend on it. `password`, `credentials` and `identity` are secret, in and out.
 */
export class TenantBackup extends TenancyResource {
  constructor(name: string, args: Args<TenantBackupInputs>, opts?: pulumi.CustomResourceOptions) {
    super("TenantBackup", name, args, opts, ["password", "credentials", "identity.clientSecret"]);
  }
}
