// TenantBackup: a dynamic resource whose delete takes the backup. It depends on the tenant's data
// resources (database or schema, role, migrations, seed), so the engine deletes it BEFORE them: the
// backup runs while the data still exists, and when it fails, delete throws and the engine drops
// nothing it depends on. The Organization depends on it in turn (removed before the backup, as in
// the seed's flow); see hook-provider.ts for the whole chain.
//
// delete() gets only the old outputs, so they hold everything it needs: the connection target, the
// backups bucket, and the admin password (a secret input, kept secret in the outputs by
// additionalSecretOutputs). Create checks what delete will need (pg_dump on PATH, the bucket
// reachable), so a setup that could never back up fails at onboarding, not at offboarding.
import type * as pulumi from "@pulumi/pulumi";
import type { Target } from "../database/runner";
import { targetProblems } from "../database/runner";
import type { BackupStore, S3Credentials } from "./backup";
import { backupTenant, checkStore, findExecutable } from "./backup";
import { ON_DELETE_MODES, type OnDelete } from "./on-delete";

export { ON_DELETE_MODES, type OnDelete };

export interface TenantBackupInputs {
  /** Where the tenant's data lives, without the admin password. */
  target: Omit<Target, "password">;
  /** Admin password of the server (secret). */
  password: string;
  store: BackupStore;
  /** Secret; absent means the AWS SDK's default credential chain. */
  credentials?: S3Credentials;
  /** The tenant's lifecycle.on_delete: only `backup` dumps; `delete` and `retain` leave it to the data resources. */
  onDelete: OnDelete;
}

export function backupId(tenantId: string): string {
  return `${tenantId}-backup`;
}

export function backupInputProblems(inputs: Partial<TenantBackupInputs>): { property: string; reason: string }[] {
  const failures: { property: string; reason: string }[] = [];
  for (const problem of targetProblems({ ...(inputs.target ?? {}), password: inputs.password })) {
    failures.push({ property: problem.startsWith("password") ? "password" : "target", reason: problem });
  }
  const store = inputs.store;
  if (!store || typeof store.bucket !== "string" || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(store.bucket)) {
    failures.push({ property: "store", reason: `store.bucket must be an S3 bucket name (tenancy:backupBucket), got ${JSON.stringify(store?.bucket)}` });
  }
  if (!store || typeof store.region !== "string" || store.region.length === 0) {
    failures.push({ property: "store", reason: "store.region must be the backups bucket's region (tenancy:backupRegion)" });
  }
  if (!ON_DELETE_MODES.includes(inputs.onDelete as OnDelete)) {
    failures.push({ property: "onDelete", reason: `onDelete must be one of ${ON_DELETE_MODES.join(", ")}, got ${JSON.stringify(inputs.onDelete)}` });
  }
  return failures;
}

export function backupOutputs(inputs: TenantBackupInputs): TenantBackupInputs {
  const { __provider: _ignored, ...rest } = inputs as TenantBackupInputs & { __provider?: string };
  return rest;
}

export async function backupCheck(_olds: TenantBackupInputs, news: TenantBackupInputs): Promise<pulumi.dynamic.CheckResult> {
  const failures = backupInputProblems(news);
  return failures.length ? { failures } : { inputs: news };
}

/** Never a replacement: replacing would delete the old resource, which takes a full backup. */
export async function backupDiff(_id: string, olds: TenantBackupInputs, news: TenantBackupInputs): Promise<pulumi.dynamic.DiffResult> {
  const keys = ["target", "password", "store", "credentials", "onDelete"] as const;
  const changed = keys.some((k) => JSON.stringify(olds[k] ?? null) !== JSON.stringify(news[k] ?? null));
  return { changes: changed, replaces: [] };
}

/** What delete will need, checked now: pg_dump on PATH and the bucket usable. */
export async function backupPreflight(inputs: TenantBackupInputs): Promise<void> {
  if (inputs.onDelete !== "backup") return;
  findExecutable("pg_dump");
  await checkStore(inputs.store, inputs.credentials);
}

export async function backupCreate(inputs: TenantBackupInputs): Promise<pulumi.dynamic.CreateResult> {
  const outs = backupOutputs(inputs);
  await backupPreflight(outs);
  return { id: backupId(outs.target.tenantId), outs };
}

export async function backupUpdate(_id: string, _olds: TenantBackupInputs, news: TenantBackupInputs): Promise<pulumi.dynamic.UpdateResult> {
  const outs = backupOutputs(news);
  await backupPreflight(outs);
  return { outs };
}

/** Takes the backup when the tenant asked for one; throws (and so blocks every drop) when it fails. */
export async function backupDelete(_id: string, olds: TenantBackupInputs): Promise<void> {
  if (olds.onDelete !== "backup") return;
  try {
    await backupTenant({ target: { ...olds.target, password: olds.password }, store: olds.store, credentials: olds.credentials });
  } catch (error) {
    throw new Error(
      `${(error as Error).message}. Fix the cause and rerun; to delete without a backup, set lifecycle.on_delete: delete ` +
        `for tenant ${olds.target.tenantId} in one change and remove the tenant in the next`,
    );
  }
}

export const tenantBackupProvider: pulumi.dynamic.ResourceProvider = {
  check: backupCheck,
  diff: backupDiff,
  create: backupCreate,
  update: backupUpdate,
  delete: backupDelete,
};
