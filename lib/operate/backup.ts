// `tenancy backup <id>` and `tenancy backup --cell <cell>` (what the scheduled workflow runs): a
// whole-tenant backup (providers/backup/take.ts) of each tenant, verified, in the backups bucket of
// its region, then that tenant's retention. One tenant failing does not stop the others; the exit code says.
// A suspended tenant's organization has no member: the members its suspension took out are read from
// the Organization's state in the stack (`pulumi stack export`, stack-state.ts) and kept in the backup.
import type { ResolvedTenant } from "../catalog";
import { backupConfiguration, retentionDays } from "../lifecycle/places";
import type { CommandResult } from "../cli/commands";
import { takeBackup, type WholeBackupResult } from "../../providers/backup/take";
import type { BackupReason } from "../../providers/backup/manifest";
import type { OrganizationState } from "./stack-state";
import { cellConfig, cellOrganizations, currentCatalog, tenantPlaces, type OperateOptions, type TenantPlaces } from "./tenant-context";

/**
 * Backs up one tenant whose places are known. `organization`: what the stack recorded of its
 * organization; without it a suspended tenant's backup says its members are missing.
 */
export function backUp(places: TenantPlaces, reason: BackupReason, organization?: OrganizationState): Promise<WholeBackupResult> {
  const t = places.tenant;
  return takeBackup({
    target: places.target,
    store: places.backups,
    objects: places.objects,
    identity: places.identity,
    ...(organization?.suspendedMembers ? { suspendedMembers: organization.suspendedMembers } : {}),
    configuration: backupConfiguration(t) as unknown as Record<string, unknown>,
    retentionDays: retentionDays(t),
    reason,
  });
}

function line(t: ResolvedTenant, result: WholeBackupResult): string {
  const m = result.manifest;
  const missing = Object.keys(m.missing);
  const kb = Math.ceil(m.parts.database.size / 1024);
  return (
    `${t.id}: s3://${m.bucket}/${m.key} verified (database ${kb} KiB at migration ${m.migrationVersion}, ${m.objects} object version(s)` +
    `${missing.length > 0 ? `, without ${missing.join(", ")}` : ""})${result.removed.length > 0 ? `; retention removed ${result.removed.length} older backup(s)` : ""}`
  );
}

export interface BackupCommandOptions extends OperateOptions {
  /** Every tenant of this cell, instead of the ids. */
  cell?: string;
  reason?: BackupReason;
}

export async function backupCommand(ids: readonly string[], options: BackupCommandOptions): Promise<CommandResult> {
  const catalog = currentCatalog(options.cwd);
  const tenants = options.cell ? catalog.tenants.filter((t) => t.cell === options.cell) : ids.map((id) => catalog.tenants.find((t) => t.id === id) ?? id);
  const unknown = tenants.filter((t): t is string => typeof t === "string");
  if (unknown.length > 0) return { output: `not in the catalog: ${unknown.join(", ")}; nothing was backed up`, exitCode: 1 };
  if (tenants.length === 0) return { output: options.cell ? `cell ${options.cell} has no tenant; nothing to back up` : "name a tenant id, or --cell <cell>", exitCode: options.cell ? 0 : 1 };
  const configs = new Map<string, ReturnType<typeof cellConfig>>();
  const organizations = new Map<string, Map<string, OrganizationState>>();
  const lines: string[] = [];
  let failed = 0;
  for (const t of tenants as ResolvedTenant[]) {
    try {
      if (!configs.has(t.cell)) configs.set(t.cell, cellConfig(t.cell, options));
      if (!organizations.has(t.cell)) organizations.set(t.cell, cellOrganizations(t.cell, options));
      lines.push(line(t, await backUp(tenantPlaces(t, configs.get(t.cell)!), options.reason ?? "on-demand", organizations.get(t.cell)!.get(t.id))));
    } catch (error) {
      failed++;
      lines.push(`${t.id}: FAILED: ${(error as Error).message}`);
    }
  }
  if (failed > 0) lines.push(`${failed} of ${tenants.length} backup(s) failed`);
  return { output: lines.join("\n"), exitCode: failed > 0 ? 1 : 0, isResult: true };
}
