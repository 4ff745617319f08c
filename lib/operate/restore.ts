// `tenancy restore <id> --from <backup-key|latest> [--as <new-id>] [--replace]`: a backup of tenant
// <id> into the current place of the destination (<new-id> for a clone, else <id> itself).
//
// One command, two steps, so that provisioning stays with `pulumi up` and the deploy workflow:
// 1. the destination is not in the catalog (an offboarded tenant, a clone): the command writes its
//    tenant file from the backup's configuration and stops, printing the command to run once that
//    file is deployed;
// 2. the destination is in the catalog: the command fills its place (rows, objects, members) from the
//    backup (providers/backup/fill.ts), after a backup of what it replaces when --replace is given.
// The backups are found in the bucket of the source tenant's region: from the catalog, or from
// --cell/--region for a tenant that is no longer in it.
import { isTenantId } from "../catalog/formats";
import type { CommandResult } from "../cli/commands";
import type { BackupConfiguration } from "../lifecycle/places";
import { naming } from "../naming";
import { fillFromBackup, type FillReport } from "../../providers/backup/fill";
import { backupJson, backupManifest, latestBackup } from "../../providers/backup/history";
import { backUp } from "./backup";
import { cellConfig, cellPlaces, currentCatalog, findTenant, tenantPlaces, type OperateOptions } from "./tenant-context";
import { writeTenantFile } from "./tenant-file";

export interface RestoreCommandOptions extends OperateOptions {
  /** A backup key (backups/<id>/<time>/) of tenant <id>, or `latest`. */
  from: string;
  /** Restore as a new tenant (a clone) with this id. */
  as?: string;
  /** Replace what the destination holds (after backing it up) instead of refusing. */
  replace?: boolean;
  /** Where <id>'s backups are when <id> is not in the catalog: its cell's stack and its region. */
  cell?: string;
  region?: string;
}

/** The command that fills the destination once its file is deployed: the same, with the backup resolved. */
export function fillCommandLine(id: string, key: string, options: Pick<RestoreCommandOptions, "as" | "cell" | "region">): string {
  const flags = [`--from ${key}`, options.as ? `--as ${options.as}` : "", options.cell ? `--cell ${options.cell}` : "", options.region ? `--region ${options.region}` : ""];
  return `npx tenancy restore ${id} ${flags.filter(Boolean).join(" ")}`;
}

function report(r: FillReport): string {
  const rows = Object.entries(r.rows).map(([table, n]) => `${table} ${n}`).join(", ");
  const review = r.executable.length > 0 ? `\nthe backup held objects that run code (reviewed in quarantine, not restored): ${r.executable.join(", ")}` : "";
  return `restored ${r.key} into tenant ${r.into}: rows ${rows || "none"}; ${r.objects.written} object version(s) written, ${r.objects.removed} removed; ${r.members} member(s) of the organization${review}`;
}

export async function restoreCommand(id: string, options: RestoreCommandOptions): Promise<CommandResult> {
  const destination = options.as ?? id;
  for (const [what, value] of [["tenant id", id], ["--as", destination]] as const) {
    if (!isTenantId(value)) return { output: `${what} ${JSON.stringify(value)} is not a tenant id`, exitCode: 1 };
  }
  if (options.from !== "latest" && naming.backupTenant(options.from) !== id) {
    return { output: `--from ${JSON.stringify(options.from)} is not a backup of tenant ${id}: expected ${naming.backupsOf(id)}<time>/ or latest`, exitCode: 1 };
  }
  const catalog = currentCatalog(options.cwd);
  const source = findTenant(catalog, id);
  const target = findTenant(catalog, destination);
  const cell = options.cell ?? source?.cell ?? target?.cell;
  const region = options.region ?? source?.region ?? target?.region;
  if (!cell || !region) return { output: `tenant ${id} is not in the catalog: give --cell and --region, the cell and region it was in (its backups are in that region's backups bucket)`, exitCode: 1 };

  const config = cellConfig(cell, options);
  const store = cellPlaces(config).store(region);
  const key = options.from === "latest" ? await latestBackup(store, id) : options.from;
  if (!key) return { output: `no verified backup of tenant ${id} in s3://${store.bucket}/${naming.backupsOf(id)}`, exitCode: 1 };

  if (!target) {
    const manifest = await backupManifest(store, key);
    const configuration = await backupJson<BackupConfiguration>(store, manifest, "configuration");
    if (!configuration) return { output: `backup ${key} holds no configuration (taken before whole-tenant backups): write tenants/${destination}.yaml by hand, deploy it, then run ${fillCommandLine(id, key, options)}`, exitCode: 1 };
    const next = fillCommandLine(id, key, { ...options, cell, region });
    const path = writeTenantFile(configuration, destination, `Written by tenancy restore from s3://${store.bucket}/${key}.\nOnce deployed (pulumi up), fill it: ${next}`, options.cwd);
    return { output: `wrote ${path} from ${key}. Deploy it (a pull request; pulumi up), then fill it:\n  ${next}`, exitCode: 0, isResult: true };
  }
  const places = tenantPlaces(target, target.cell === cell ? config : cellConfig(target.cell, options));
  const safety = options.replace ? await backUp(places, "pre-restore") : undefined;
  const filled = await fillFromBackup({ store, key, target: places.target, objects: places.objects, identity: places.identity, organization: places.organization, replace: options.replace === true });
  const before = safety ? `\nwhat it replaced is in ${safety.manifest.key}` : "";
  return { output: `${report(filled)}${before}`, exitCode: 0, isResult: true };
}
