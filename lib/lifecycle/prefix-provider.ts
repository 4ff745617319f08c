// TenantPrefix: the objects of a prefix-mode tenant in its cell's shared bucket, as a resource whose
// delete empties `tenants/<id>/` (every object, version and delete marker; see prefix.ts). It is a
// child of TenantStorage in the "storage" stage of lib/lifecycle/order.ts, so offboarding empties the
// prefix after the backup and the data, before the DNS records; a tenant with its own bucket gets
// the same from the bucket's forceDestroy.
//
// create/update only record where the prefix is (and check that the bucket answers): the objects are
// the application's. delete() gets only the old outputs, so they hold everything it needs; explicit
// credentials (tests, S3-compatible servers) arrive as a secret input and stay secret in the outputs
// through additionalSecretOutputs.
import type * as pulumi from "@pulumi/pulumi";
import type { S3Credentials } from "./backup";
import { ON_DELETE_MODES, type OnDelete } from "./on-delete";
import { checkSharedBucket, emptyPrefix, prefixProblems, type PrefixStore } from "./prefix";

export interface TenantPrefixInputs {
  tenantId: string;
  /** The cell's shared bucket in the tenant's region. */
  bucket: string;
  region: string;
  /** naming.storagePrefix(tenantId), nothing else. */
  prefix: string;
  /** The tenant's lifecycle.on_delete: `retain` leaves the objects; `backup` and `delete` remove them (as a bucket's forceDestroy does). */
  onDelete: OnDelete;
  /** Only for S3-compatible servers (tests: s3rver on 127.0.0.1). */
  endpoint?: string;
  forcePathStyle?: boolean;
  /** Secret; absent means the AWS SDK's default credential chain. */
  credentials?: S3Credentials;
}

export function prefixId(tenantId: string): string {
  return `${tenantId}-prefix`;
}

export function prefixInputProblems(inputs: Partial<TenantPrefixInputs>): { property: string; reason: string }[] {
  const failures: { property: string; reason: string }[] = [];
  for (const reason of prefixProblems(inputs.tenantId as string, inputs.prefix as string)) {
    failures.push({ property: reason.startsWith("tenantId") ? "tenantId" : "prefix", reason });
  }
  if (typeof inputs.bucket !== "string" || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(inputs.bucket)) {
    failures.push({ property: "bucket", reason: `bucket must be an S3 bucket name (the cell's shared bucket), got ${JSON.stringify(inputs.bucket)}` });
  }
  if (typeof inputs.region !== "string" || inputs.region.length === 0) {
    failures.push({ property: "region", reason: "region must be the shared bucket's region (the region of the tenant's AWS provider)" });
  }
  if (!ON_DELETE_MODES.includes(inputs.onDelete as OnDelete)) {
    failures.push({ property: "onDelete", reason: `onDelete must be one of ${ON_DELETE_MODES.join(", ")}, got ${JSON.stringify(inputs.onDelete)}` });
  }
  if (inputs.endpoint !== undefined && !/^https?:\/\/[^\s/]+/.test(inputs.endpoint)) {
    failures.push({ property: "endpoint", reason: `endpoint must be an http(s) URL such as http://127.0.0.1:4568, got ${JSON.stringify(inputs.endpoint)}` });
  }
  return failures;
}

/** The inputs as stored: the engine's own `__provider` key is its business, not ours. */
export function prefixOutputs(inputs: TenantPrefixInputs): TenantPrefixInputs {
  const { __provider: _ignored, ...rest } = inputs as TenantPrefixInputs & { __provider?: string };
  return rest;
}

export function prefixStore(inputs: Pick<TenantPrefixInputs, "bucket" | "region" | "endpoint" | "forcePathStyle">): PrefixStore {
  return { bucket: inputs.bucket, region: inputs.region, endpoint: inputs.endpoint, forcePathStyle: inputs.forcePathStyle };
}

export async function prefixCheck(_olds: TenantPrefixInputs, news: TenantPrefixInputs): Promise<pulumi.dynamic.CheckResult> {
  const failures = prefixInputProblems(news);
  return failures.length ? { failures } : { inputs: news };
}

/**
 * Never a replacement: replacing deletes the old resource, which empties the old prefix. A move of
 * the tenant to another bucket is an update; its old objects are the migration's business.
 */
export async function prefixDiff(_id: string, olds: TenantPrefixInputs, news: TenantPrefixInputs): Promise<pulumi.dynamic.DiffResult> {
  const keys = ["tenantId", "bucket", "region", "prefix", "onDelete", "endpoint", "forcePathStyle", "credentials"] as const;
  const changed = keys.some((k) => JSON.stringify(olds[k] ?? null) !== JSON.stringify(news[k] ?? null));
  return { changes: changed, replaces: [] };
}

/** Refuses bad inputs even when check was skipped, since delete trusts the stored prefix. */
function validated(inputs: TenantPrefixInputs): TenantPrefixInputs {
  const outs = prefixOutputs(inputs);
  const failures = prefixInputProblems(outs);
  if (failures.length) throw new Error(`TenantPrefix: invalid inputs: ${failures.map((f) => f.reason).join("; ")}`);
  return outs;
}

export async function prefixCreate(inputs: TenantPrefixInputs): Promise<pulumi.dynamic.CreateResult> {
  const outs = validated(inputs);
  await checkSharedBucket(prefixStore(outs), outs.credentials);
  return { id: prefixId(outs.tenantId), outs };
}

export async function prefixUpdate(_id: string, _olds: TenantPrefixInputs, news: TenantPrefixInputs): Promise<pulumi.dynamic.UpdateResult> {
  const outs = validated(news);
  await checkSharedBucket(prefixStore(outs), outs.credentials);
  return { outs };
}

/** Empties the tenant's prefix unless it asked to retain its data; throws (and so keeps the resource in state) when that fails. */
export async function prefixDelete(_id: string, olds: TenantPrefixInputs): Promise<void> {
  const outs = validated(olds);
  if (outs.onDelete === "retain") return;
  try {
    await emptyPrefix({ store: prefixStore(outs), prefix: outs.prefix, credentials: outs.credentials });
  } catch (error) {
    throw new Error(
      `objects of tenant ${outs.tenantId} were not all deleted: ${(error as Error).message}. Fix the cause and rerun (what is already deleted stays deleted); ` +
        `to keep the objects instead, set lifecycle.on_delete: retain for tenant ${outs.tenantId} in one change and remove the tenant in the next`,
    );
  }
}

export const tenantPrefixProvider: pulumi.dynamic.ResourceProvider = {
  check: prefixCheck,
  diff: prefixDiff,
  create: prefixCreate,
  update: prefixUpdate,
  delete: prefixDelete,
};
