// TenantBackup: a dynamic resource whose delete takes the tenant's whole backup (take.ts: database,
// objects, configuration, identity, manifest, verified). It depends on the tenant's identity
// resources, which depend on its data, which depends on its storage, so the engine deletes it BEFORE
// all of them: the backup runs while the organization, the rows and the objects still exist, and
// when it fails, delete throws and the engine drops nothing it depends on. lib/lifecycle/order.ts
// has the chain.
//
// delete() gets only the old outputs, so they hold everything it needs: the connection target, the
// backups bucket of the tenant's region, the tenant's object place, the Management API connection,
// its configuration, and the secrets (admin password, client secret: secret in state). State written
// before whole backups lacks the objects, identity and configuration: such a delete still takes the
// database part and the manifest says what is missing. Create checks what delete will need (pg_dump on
// PATH, the bucket reachable), so a setup that could never back up fails at onboarding, not at
// offboarding. The backup exists only once the resource is deleted: read reports the stored props.
import { DEFAULT_BACKUP_RETENTION_DAYS, ON_DELETE_MODES, type OnDelete } from "../../lib/lifecycle/policy";
import { defineProvider, unknownIn, type CheckFailure, type MoveGuarded } from "../kit";
import { locatedFailures, serverTargetProblems, TARGET_PLACE_KEYS, TARGET_UPDATE_KEYS, type ServerTarget } from "../postgres/target";
import { findExecutable } from "../postgres/tools";
import type { ManagementConnection } from "../identity/client";
import { connectionFailures } from "../identity/managed";
import type { ClosedMembers } from "../identity/org-suspension";
import { BUCKET_NAME, type ObjectPlace, type S3Credentials, type S3Store } from "../s3/client";
import { checkStore } from "./dump";
import { takeBackup } from "./take";

export interface TenantBackupInputs extends MoveGuarded {
  /** Where the tenant's data lives, without the admin password. */
  target: Omit<ServerTarget, "password">;
  /** Admin password of the server (secret). */
  password: string;
  store: S3Store;
  /** Secret; absent means the AWS SDK's default credential chain. */
  credentials?: S3Credentials;
  /** The tenant's lifecycle.on_delete: only `backup` dumps; `delete` and `retain` leave it to the data resources. */
  onDelete: OnDelete;
  /** Where the tenant's objects are (its bucket, or its prefix in the shared bucket). */
  objects?: ObjectPlace;
  /** The Management API, to read the organization (the client secret is secret). */
  identity?: ManagementConnection;
  /** The tenant's effective configuration and settings, as the catalog resolved them. */
  configuration?: Record<string, unknown>;
  /** The Organization's `suspendedMembers` while the tenant is suspended: the members its backup keeps. */
  suspendedMembers?: ClosedMembers;
  /** backup.retention_days: older backups are removed by each backup, never the latest verified one. */
  retentionDays?: number;
}

export function backupId(tenantId: string): string {
  return `${tenantId}-backup`;
}

export function backupInputProblems(inputs: Partial<TenantBackupInputs>): CheckFailure[] {
  const failures = locatedFailures(serverTargetProblems({ ...(inputs.target ?? {}), password: inputs.password })).map((f) =>
    f.property === "password" ? f : { ...f, property: `target.${f.property}` },
  );
  const store = inputs.store;
  if (!store || typeof store.bucket !== "string" || !BUCKET_NAME.test(store.bucket)) {
    failures.push({ property: "store.bucket", reason: `store.bucket must be an S3 bucket name (the backups bucket of the tenant's region), got ${JSON.stringify(store?.bucket)}` });
  }
  if (!store || typeof store.region !== "string" || store.region.length === 0) {
    failures.push({ property: "store.region", reason: "store.region must be the region of the backups bucket (the tenant's region)" });
  }
  const objects = inputs.objects;
  if (objects !== undefined && (!BUCKET_NAME.test(String(objects?.bucket)) || typeof objects.prefix !== "string" || (objects.prefix !== "" && !objects.prefix.endsWith("/")))) {
    failures.push({ property: "objects", reason: `objects must name the tenant's bucket and its key prefix ("" or ending in "/"), got ${JSON.stringify(objects)}` });
  }
  if (inputs.identity !== undefined) failures.push(...connectionFailures(inputs.identity).map((f) => ({ ...f, property: "identity" })));
  if (inputs.configuration !== undefined && (typeof inputs.configuration !== "object" || inputs.configuration === null || Array.isArray(inputs.configuration))) {
    failures.push({ property: "configuration", reason: "configuration must be the tenant's resolved configuration (an object)" });
  }
  const closed = inputs.suspendedMembers;
  // In a preview where the Organization changes, its suspendedMembers is not known yet: checked when it is.
  if (
    closed !== undefined &&
    !unknownIn(closed) &&
    (typeof closed !== "object" || closed === null || Array.isArray(closed) || !Object.values(closed).every((r) => Array.isArray(r) && r.every((id) => typeof id === "string")))
  ) {
    failures.push({ property: "suspendedMembers", reason: `suspendedMembers must map user ids to role ids (the Organization's suspendedMembers), got ${JSON.stringify(closed)}` });
  }
  const days = inputs.retentionDays;
  if (days !== undefined && (!Number.isInteger(days) || days < 1 || days > 3650)) {
    failures.push({ property: "retentionDays", reason: `retentionDays must be a whole number of days from 1 to 3650 (backup.retention_days), got ${JSON.stringify(days)}` });
  }
  if (!ON_DELETE_MODES.includes(inputs.onDelete as OnDelete)) {
    failures.push({ property: "onDelete", reason: `onDelete must be one of ${ON_DELETE_MODES.join(", ")}, got ${JSON.stringify(inputs.onDelete)}` });
  }
  return failures;
}

/** What delete will need, checked now: pg_dump on PATH and the bucket usable. */
async function preflight(inputs: TenantBackupInputs): Promise<TenantBackupInputs> {
  if (inputs.onDelete === "backup") {
    findExecutable("pg_dump");
    await checkStore(inputs.store, inputs.credentials);
  }
  return { ...inputs };
}

export const tenantBackup = defineProvider<TenantBackupInputs, TenantBackupInputs>({
  kind: "TenantBackup",
  // Never a replacement: replacing would delete the old resource, which takes a full backup.
  keys: {
    place: TARGET_PLACE_KEYS.map((k) => `target.${k}`),
    update: [
      ...TARGET_UPDATE_KEYS.filter((k) => k !== "password").map((k) => `target.${k}`),
      ...["password", "store", "credentials", "onDelete", "objects", "identity", "configuration", "suspendedMembers", "retentionDays"],
    ],
  },
  check: backupInputProblems,
  create: async (inputs) => ({ id: backupId(inputs.target.tenantId), outs: await preflight(inputs) }),
  read: async (id, props) => ({ id, props }),
  update: async (_id, _olds, news) => ({ outs: await preflight(news) }),
  /** Takes the backup when the tenant asked for one; throws (and so blocks every drop) when it fails. */
  async delete(_id, props) {
    if (props.onDelete !== "backup") return;
    try {
      await takeBackup({
        target: { ...props.target, password: props.password },
        store: props.store,
        credentials: props.credentials,
        objects: props.objects,
        identity: props.identity,
        configuration: props.configuration,
        suspendedMembers: props.suspendedMembers,
        retentionDays: props.retentionDays ?? DEFAULT_BACKUP_RETENTION_DAYS,
        reason: "offboarding",
      });
    } catch (error) {
      throw new Error(
        `${(error as Error).message}. Fix the cause and rerun; to delete without a backup, set lifecycle.on_delete: delete ` +
          `for tenant ${props.target.tenantId} in one change and remove the tenant in the next`,
      );
    }
  },
});
