// The TenantBackup resource and its arguments (providers/backup/backup.ts has what its delete does).
import * as pulumi from "@pulumi/pulumi";
import type { ResolvedTenant } from "../../lib/catalog/load";
import { placement } from "../../lib/database/layout";
import type { TenantBackupInputs } from "../../providers/backup/backup";
import type { S3Store } from "../../providers/s3/client";
import type { DatabaseConnectionArgs } from "../database/resources";
import { TenancyResource, type Args } from "../dynamic";
import { mapInputs } from "../options";

/**
 * TenantBackup's arguments for a catalog tenant: the admin connection the migrations use
 * (TenantDatabaseArgs.connection) and the backups bucket from tenancy:backupBucket/backupRegion.
 */
export function tenantBackupArgs(t: Pick<ResolvedTenant, "id" | "database" | "lifecycle">, connection: DatabaseConnectionArgs, store: S3Store): Args<TenantBackupInputs> {
  const where = { server: connection.name, ...placement(t.database.isolation, t.id) };
  return {
    target: mapInputs({ host: connection.host, port: connection.port, user: connection.user, sslmode: connection.sslmode, ...(connection.ca === undefined ? {} : { ca: connection.ca }) }, (c) => ({ ...c, ...where })),
    password: connection.password,
    store,
    onDelete: t.lifecycle.on_delete,
  };
}

/**
 * Give it `dependsOn` the tenant's data resources (database/schema/role, migrations, seed); make
 * the Organization depend on it. `password` and `credentials` are secret, in and out.
 */
export class TenantBackup extends TenancyResource {
  constructor(name: string, args: Args<TenantBackupInputs>, opts?: pulumi.CustomResourceOptions) {
    super("TenantBackup", name, args, opts, ["password", "credentials"]);
  }
}
