// TenantPrefix: the objects of a prefix-mode tenant in its cell's shared bucket, as a resource whose
// delete empties `tenants/<id>/` (every object, version and delete marker; see empty-prefix.ts). It is a
// child of TenantStorage in the "storage" stage of lib/lifecycle/order.ts, so offboarding empties the
// prefix after the backup and the data, before the DNS records; a tenant with its own bucket gets
// the same from the bucket's forceDestroy.
//
// create/update only record where the prefix is (and check that the bucket answers): the objects are
// the application's, so there is no object of the resource's own for read to find; it reports the
// stored props. delete() gets only the old outputs, so they hold everything it needs; explicit
// credentials (tests, S3-compatible servers) arrive as a secret input and stay secret in the outputs.
import { ON_DELETE_MODES, type OnDelete } from "../../lib/lifecycle/policy";
import { defineProvider, type CheckFailure, type MoveGuarded } from "../kit";
import { BUCKET_NAME, type S3Credentials, type S3Store } from "./client";
import { checkSharedBucket, emptyPrefix, prefixProblems } from "./empty-prefix";

export interface TenantPrefixInputs extends MoveGuarded {
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

export function prefixInputProblems(inputs: Partial<TenantPrefixInputs>): CheckFailure[] {
  const failures: CheckFailure[] = [];
  for (const reason of prefixProblems(inputs.tenantId as string, inputs.prefix as string)) {
    failures.push({ property: reason.startsWith("tenantId") ? "tenantId" : "prefix", reason });
  }
  if (typeof inputs.bucket !== "string" || !BUCKET_NAME.test(inputs.bucket)) {
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

export function prefixStore(inputs: Pick<TenantPrefixInputs, "bucket" | "region" | "endpoint" | "forcePathStyle">): S3Store {
  return { bucket: inputs.bucket, region: inputs.region, endpoint: inputs.endpoint, forcePathStyle: inputs.forcePathStyle };
}

async function recorded(inputs: TenantPrefixInputs): Promise<TenantPrefixInputs> {
  await checkSharedBucket(prefixStore(inputs), inputs.credentials);
  return { ...inputs };
}

export const tenantPrefix = defineProvider<TenantPrefixInputs, TenantPrefixInputs>({
  kind: "TenantPrefix",
  keys: {
    // The tenant's objects are the prefix in that bucket: another bucket or prefix would be a new
    // object, and replacing would empty the old prefix. A storage move, refused.
    place: ["tenantId", "bucket", "prefix"],
    update: ["region", "onDelete", "endpoint", "forcePathStyle", "credentials"],
  },
  check: prefixInputProblems,
  create: async (inputs) => ({ id: prefixId(inputs.tenantId), outs: await recorded(inputs) }),
  read: async (id, props) => ({ id, props }),
  update: async (_id, _olds, news) => ({ outs: await recorded(news) }),
  /** Empties the tenant's prefix unless it asked to retain its data; throws (and so keeps the resource in state) when that fails. */
  async delete(_id, props) {
    // Checked again: the stored prefix decides what is deleted, and check never saw old outputs.
    const failures = prefixInputProblems(props);
    if (failures.length > 0) throw new Error(`TenantPrefix: invalid inputs: ${failures.map((f) => f.reason).join("; ")}`);
    if (props.onDelete === "retain") return;
    try {
      await emptyPrefix({ store: prefixStore(props), prefix: props.prefix, credentials: props.credentials });
    } catch (error) {
      throw new Error(
        `objects of tenant ${props.tenantId} were not all deleted: ${(error as Error).message}. Fix the cause and rerun (what is already deleted stays deleted); ` +
          `to keep the objects instead, set lifecycle.on_delete: retain for tenant ${props.tenantId} in one change and remove the tenant in the next`,
      );
    }
  },
});
