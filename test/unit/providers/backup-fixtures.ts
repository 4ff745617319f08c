// Inputs for the whole-backup checks of TenantBackup, one bad value each.
import type { CheckFailure } from "../../../providers/kit";
import type { TenantBackupInputs } from "../../../providers/backup/backup";

export function backupConfigurationProblems(check: (inputs: Partial<TenantBackupInputs>) => CheckFailure[]): CheckFailure[] {
  const target = { host: "db.internal", port: 5432, user: "postgres", sslmode: "require" as const, server: "main", tenantId: "acme", isolation: "database" as const, database: "tenant_acme", schema: "public", role: "tenant_acme", ownerRole: "tenancy_owner", appRole: "tenancy_app" };
  const good: TenantBackupInputs = {
    target: target as TenantBackupInputs["target"],
    password: "pw",
    store: { bucket: "acme-backups-eu-west-1", region: "eu-west-1" },
    onDelete: "backup",
    objects: { bucket: "acme-shared", prefix: "tenants/acme/", region: "eu-west-1", versioning: true },
    configuration: { format: "tenancy-configuration/1" },
    retentionDays: 30,
  };
  if (check(good).length > 0) throw new Error(`the good inputs fail: ${JSON.stringify(check(good))}`);
  return check({ ...good, objects: { ...good.objects!, prefix: "tenants/acme" }, configuration: [] as unknown as Record<string, unknown>, retentionDays: 0 });
}
