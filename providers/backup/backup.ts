// TenantBackup: a dynamic resource whose delete takes the backup. It depends on the tenant's data
// resources (database or schema, role, migrations, seed), so the engine deletes it BEFORE them: the
// backup runs while the data still exists, and when it fails, delete throws and the engine drops
// nothing it depends on. The Organization depends on it in turn; lib/lifecycle/order.ts has the chain.
//
// delete() gets only the old outputs, so they hold everything it needs: the connection target, the
// backups bucket, and the admin password (secret in state). Create checks what delete will need
// (pg_dump on PATH, the bucket reachable), so a setup that could never back up fails at
// onboarding, not at offboarding. The backup object exists only once the resource is deleted:
// there is no object of its own for read to find, so read reports the stored props.
import { ON_DELETE_MODES, type OnDelete } from "../../lib/lifecycle/policy";
import { defineProvider, type CheckFailure } from "../kit";
import { locatedFailures, serverTargetProblems, TARGET_PLACE_KEYS, TARGET_UPDATE_KEYS, type ServerTarget } from "../postgres/target";
import { findExecutable } from "../postgres/tools";
import { BUCKET_NAME, type S3Credentials, type S3Store } from "../s3/client";
import { backupTenant, checkStore } from "./dump";

export interface TenantBackupInputs {
  /** Where the tenant's data lives, without the admin password. */
  target: Omit<ServerTarget, "password">;
  /** Admin password of the server (secret). */
  password: string;
  store: S3Store;
  /** Secret; absent means the AWS SDK's default credential chain. */
  credentials?: S3Credentials;
  /** The tenant's lifecycle.on_delete: only `backup` dumps; `delete` and `retain` leave it to the data resources. */
  onDelete: OnDelete;
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
    failures.push({ property: "store.bucket", reason: `store.bucket must be an S3 bucket name (tenancy:backupBucket), got ${JSON.stringify(store?.bucket)}` });
  }
  if (!store || typeof store.region !== "string" || store.region.length === 0) {
    failures.push({ property: "store.region", reason: "store.region must be the backups bucket's region (tenancy:backupRegion)" });
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
    update: [...TARGET_UPDATE_KEYS.filter((k) => k !== "password").map((k) => `target.${k}`), "password", "store", "credentials", "onDelete"],
  },
  check: backupInputProblems,
  create: async (inputs) => ({ id: backupId(inputs.target.tenantId), outs: await preflight(inputs) }),
  read: async (id, props) => ({ id, props }),
  update: async (_id, _olds, news) => ({ outs: await preflight(news) }),
  /** Takes the backup when the tenant asked for one; throws (and so blocks every drop) when it fails. */
  async delete(_id, props) {
    if (props.onDelete !== "backup") return;
    try {
      await backupTenant({ target: { ...props.target, password: props.password }, store: props.store, credentials: props.credentials });
    } catch (error) {
      throw new Error(
        `${(error as Error).message}. Fix the cause and rerun; to delete without a backup, set lifecycle.on_delete: delete ` +
          `for tenant ${props.target.tenantId} in one change and remove the tenant in the next`,
      );
    }
  },
});
