// The TenantBackup resource class and its arguments. Its provider lives in backup-provider.ts, a
// module with no runtime import of @pulumi/pulumi: the engine serializes the provider with every
// module it imports, and this class would drag the whole SDK into each tenant's state (see
// backup-provider.ts for the resource).
import * as pulumi from "@pulumi/pulumi";
import type { ResolvedTenant } from "../catalog/load";
import { placement } from "../database/layout";
import type { DatabaseServerArgs } from "../database/resources";
import type { BackupStore } from "./backup";
import { tenantBackupProvider, type TenantBackupInputs } from "./backup-provider";

export * from "./backup-provider";

type Args<T> = { [K in keyof T]: pulumi.Input<T[K]> };

/**
 * TenantBackup's arguments for a catalog tenant: the admin connection the migrations use
 * (TenantDatabaseArgs.connection) and the backups bucket from tenancy:backupBucket/backupRegion.
 */
export function tenantBackupArgs(
  t: Pick<ResolvedTenant, "id" | "database" | "lifecycle">,
  connection: DatabaseServerArgs,
  store: BackupStore,
): Args<TenantBackupInputs> {
  const where = placement(t.database.isolation, t.id);
  return {
    target: pulumi.output({ host: connection.host, port: connection.port, user: connection.user, sslmode: connection.sslmode }).apply((c) => ({ ...c, ...where })),
    password: connection.password,
    store,
    onDelete: t.lifecycle.on_delete,
  };
}

/**
 * Give it `dependsOn` the tenant's data resources (database/schema/role, migrations, seed); make
 * the Organization depend on it. `password` and `credentials` are wrapped as secrets here.
 */
export class TenantBackup extends pulumi.dynamic.Resource {
  constructor(name: string, args: Args<TenantBackupInputs>, opts?: pulumi.CustomResourceOptions) {
    const props = {
      ...args,
      password: pulumi.secret(args.password),
      credentials: args.credentials === undefined ? undefined : pulumi.secret(args.credentials),
    };
    super(tenantBackupProvider, name, props, {
      ...opts,
      additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "password", "credentials"],
    }, "tenancy", "TenantBackup");
  }
}
