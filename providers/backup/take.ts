// A whole-tenant backup, as offboarding (TenantBackup's delete), `tenancy backup` and the scheduled
// workflow take it: under `backups/<id>/<time>/` of the backups bucket of the tenant's region,
//   database.dump (+ .json)  pg_dump of its database, schema or rows (dump.ts)
//   objects/<n>, objects.json every version of every object of its bucket or prefix (objects.ts)
//   configuration.json       its effective configuration and settings, as the catalog resolved them
//   identity.json            its organization, members (a suspension's too) and roles (identity.ts); never a secret
//   manifest.json            each part's length and sha256 (manifest.ts)
// Every part is written encrypted, then every part is read back and compared with what was written;
// only then is the manifest written (and read back). Anything failing on the way removes what was
// written and throws: the caller (offboarding) then deletes nothing. Retention runs last (history.ts).
import { BACKUP_PARTS, naming } from "../../lib/naming";
import type { ClientOptions, ManagementConnection } from "../identity/client";
import type { Target } from "../postgres/target";
import { s3Client, s3Reason, type ObjectPlace, type S3Credentials, type S3Store } from "../s3/client";
import { emptyPrefix } from "../s3/empty-prefix";
import { backupTenant, checkStore } from "./dump";
import { applyRetention } from "./history";
import { SUSPENDED_MEMBERS_KEY, type ClosedMembers } from "../identity/org-suspension";
import { organizationName, readIdentity } from "./identity";
import { MANIFEST_FORMAT, manifestKey, readManifest, type BackupManifest, type BackupReason } from "./manifest";
import { backUpObjects } from "./objects";
import { putJsonPart, verifyParts, type PartRecord } from "./parts";

export interface WholeBackupRequest {
  target: Target;
  /** The backups bucket of the tenant's region. */
  store: S3Store;
  credentials?: S3Credentials;
  /** Where the tenant's objects are; absent in state written before whole backups (the manifest says so). */
  objects?: ObjectPlace;
  /** The Management API; absent likewise. */
  identity?: ManagementConnection;
  identityOptions?: ClientOptions;
  /**
   * The Organization resource's `suspendedMembers`: the members a suspension took out of the
   * organization (user id -> role ids). Absent while it is not suspended, and where it is not known.
   */
  suspendedMembers?: ClosedMembers;
  /** The tenant's effective configuration (lib/lifecycle/places.ts backupConfiguration); its `adopt.organization` names the organization. */
  configuration?: Record<string, unknown>;
  retentionDays: number;
  reason: BackupReason;
  now?: Date;
}

export interface WholeBackupResult {
  manifest: BackupManifest;
  /** Backups the retention removed. */
  removed: string[];
}

const NOT_RECORDED = "not recorded by the resource that took it (deployed before whole-tenant backups); run `pulumi up` once before offboarding to record it";

export async function takeBackup(request: WholeBackupRequest): Promise<WholeBackupResult> {
  const { target, store, credentials } = request;
  const started = request.now ?? new Date();
  const key = naming.backupKey(target.tenantId, started.toISOString());
  const fail = (reason: string) => new Error(`backup of tenant ${target.tenantId} failed, so nothing of it was deleted: ${reason}`);
  await checkStore(store, credentials).catch((error: Error) => {
    throw fail(error.message);
  });
  const client = s3Client(store, credentials);
  try {
    const database = await backupTenant({ target, store, credentials, now: started, key: `${key}${BACKUP_PARTS.database}` });
    const records: PartRecord[] = [...database.parts];
    const missing: BackupManifest["missing"] = {};
    const parts: BackupManifest["parts"] = { database: database.parts[0], databaseMetadata: database.parts[1] };
    let objects = 0;
    try {
      if (request.objects) {
        const copied = await backUpObjects(request.objects, store, key, credentials);
        records.push(...copied.records);
        objects = copied.part.objects.length;
        if (copied.absent) missing.objects = `bucket s3://${request.objects.bucket} did not exist when the backup was taken: there was no object to copy`;
        parts.objects = await putJsonPart(client, store.bucket, `${key}${BACKUP_PARTS.objects}`, copied.part);
      } else missing.objects = NOT_RECORDED;
      if (request.configuration) parts.configuration = await putJsonPart(client, store.bucket, `${key}${BACKUP_PARTS.configuration}`, request.configuration);
      else missing.configuration = NOT_RECORDED;
      if (request.identity) {
        const identity = await readIdentity(request.identity, target.tenantId, request.identityOptions, {
          organization: organizationName(target.tenantId, request.configuration),
          suspendedMembers: request.suspendedMembers,
        });
        // Suspension takes every member out of the organization (providers/identity/org-suspension.ts),
        // recorded in the Organization's state and in the organization's metadata (an organization
        // suspended before that record existed has only the state's). Without either the backup has
        // none of them: say so rather than imply there were none.
        const metadata = identity.organization?.metadata;
        if (metadata?.status === "suspended" && request.suspendedMembers === undefined && !(SUSPENDED_MEMBERS_KEY in metadata)) {
          missing.identity =
            "the organization was suspended: its members were taken out of it (the Organization resource's state keeps them) and are not in this backup; " +
            "run `pulumi up` once so the backup resource records them";
        }
        parts.identity = await putJsonPart(client, store.bucket, `${key}${BACKUP_PARTS.identity}`, identity);
      } else missing.identity = NOT_RECORDED;
      records.push(...[parts.objects, parts.configuration, parts.identity].filter((p): p is PartRecord => p !== undefined));

      const problems = await verifyParts(client, store.bucket, records);
      if (problems.length > 0) throw new Error(`it does not verify: ${problems.join("; ")}`);
      const manifest: BackupManifest = {
        format: MANIFEST_FORMAT,
        tenant: target.tenantId,
        key,
        bucket: store.bucket,
        region: store.region,
        reason: request.reason,
        startedAt: started.toISOString(),
        finishedAt: new Date().toISOString(),
        isolation: target.isolation,
        migrationVersion: database.migrationVersion,
        objects,
        retentionDays: request.retentionDays,
        missing,
        parts,
      };
      const written = await putJsonPart(client, store.bucket, manifestKey(key), manifest);
      const again = await verifyParts(client, store.bucket, [written]);
      if (again.length > 0) throw new Error(`its manifest does not verify: ${again.join("; ")}`);
      await readManifest(client, store.bucket, key);
      // The retention's clock is the backup's own start, so a backup never removes one newer than itself.
      const removed = await applyRetention(store, target.tenantId, request.retentionDays, started, credentials);
      return { manifest, removed };
    } catch (error) {
      await emptyPrefix({ store, prefix: key, credentials }).catch(() => undefined);
      throw (error as Error).message.startsWith("backup of tenant") ? error : fail(s3Reason(error));
    }
  } finally {
    client.destroy();
  }
}
