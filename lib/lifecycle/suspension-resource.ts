// The TenantSuspension resource class and its arguments. Its provider lives in
// suspension-provider.ts, a module with no runtime import of @pulumi/pulumi: the engine serializes a
// provider with every module it imports, and this class would drag the whole SDK into each
// tenant's state (see suspension-provider.ts for the resource).
import * as pulumi from "@pulumi/pulumi";
import type { ResolvedTenant } from "../catalog/load";
import type { DatabaseServerArgs } from "../database/resources";
import { naming } from "../naming";
import { tenantSuspensionProvider, type TenantSuspensionInputs } from "./suspension-provider";

export * from "./suspension-provider";

type Args<T> = { [K in keyof T]: pulumi.Input<T[K]> };

/** The admin connects to the maintenance database: pg_stat_activity and ALTER ROLE are cluster-wide. */
export const MAINTENANCE_DATABASE = "postgres";

/** TenantSuspension's arguments for a catalog tenant and its server's admin connection. */
export function tenantSuspensionArgs(t: Pick<ResolvedTenant, "id" | "status">, connection: DatabaseServerArgs): Args<TenantSuspensionInputs> {
  return {
    connection: pulumi
      .output({ host: connection.host, port: connection.port, user: connection.user, sslmode: connection.sslmode })
      .apply((c) => ({ ...c, database: MAINTENANCE_DATABASE })),
    password: connection.password,
    role: naming.role(t.id),
    suspended: t.status === "suspended",
  };
}

/** Give it `dependsOn` the tenant's postgresql.Role. */
export class TenantSuspension extends pulumi.dynamic.Resource {
  constructor(name: string, args: Args<TenantSuspensionInputs>, opts?: pulumi.CustomResourceOptions) {
    super(tenantSuspensionProvider, name, { ...args, password: pulumi.secret(args.password), terminated: undefined }, {
      ...opts,
      additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "password"],
    }, "tenancy", "TenantSuspension");
  }
}
