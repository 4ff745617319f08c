import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { STORAGE_MODES } from "../../lib/catalog";
import { isTenantId } from "../../lib/catalog/formats";
import { BUCKET_PREFIX_PATTERN } from "../../lib/naming";
import type { DataProtection } from "../options";

export type StorageMode = (typeof STORAGE_MODES)[number];

/** Tags on every AWS object of a tenant, so cost and ownership can be traced back to the catalog. */
export interface TenantTags {
  tenant: string;
  plan: string;
  cell: string;
}

export function tenantTags(tags: TenantTags): Record<string, string> {
  return { tenant: tags.tenant, plan: tags.plan, cell: tags.cell, "managed-by": "tenancy" };
}

export { s3Access } from "../../lib/lifecycle/places";

export interface TenantStorageArgs {
  tenantId: string;
  mode: StorageMode;
  versioning: boolean;
  noncurrentDays: number;
  expireDays: number | null;
  tags: TenantTags;
  /** `tenancy:bucketPrefix`: makes bucket names globally unique to this deployment. */
  bucketPrefix: string;
  /** The AWS provider of the tenant's region. */
  provider: aws.Provider;
  /** The cell's shared bucket in the tenant's region; required in `prefix` mode. */
  sharedBucket?: { name: pulumi.Input<string>; arn: pulumi.Input<string> };
  /** `tenancy:s3Endpoint`: an S3-compatible server instead of AWS S3, for the providers that reach the shared bucket. */
  s3Endpoint?: string;
  /** status: suspended closes the tenant's storage (prefixPolicyDocument, suspendedBucketPolicyDocument). */
  suspended: boolean;
  /** Mode `bucket`: a bucket that exists already (`adopt.bucket`), imported under its own name instead of created. */
  adoptedBucket?: string;
  protection: DataProtection;
}

export function storageArgProblems(args: Omit<TenantStorageArgs, "provider">): string[] {
  const problems: string[] = [];
  if (!isTenantId(args.tenantId)) problems.push(`tenantId ${JSON.stringify(args.tenantId)} is not a tenant id`);
  if (!(STORAGE_MODES as readonly string[]).includes(args.mode)) problems.push(`mode ${JSON.stringify(args.mode)} is not one of ${STORAGE_MODES.join("|")}`);
  if (!BUCKET_PREFIX_PATTERN.test(args.bucketPrefix)) problems.push(`bucketPrefix ${JSON.stringify(args.bucketPrefix)} is not a valid bucket name prefix`);
  if (!Number.isInteger(args.noncurrentDays) || args.noncurrentDays < 1) problems.push(`noncurrentDays must be a positive integer, got ${args.noncurrentDays}`);
  if (args.expireDays !== null && (!Number.isInteger(args.expireDays) || args.expireDays < 1)) problems.push(`expireDays must be a positive integer or null, got ${args.expireDays}`);
  if (args.mode === "prefix" && !args.sharedBucket) problems.push("mode prefix needs sharedBucket (the cell's shared bucket in the tenant's region)");
  if (args.mode === "bucket" && args.sharedBucket) problems.push("mode bucket takes no sharedBucket");
  if (args.mode === "prefix" && args.adoptedBucket !== undefined) problems.push("mode prefix adopts no bucket: its objects are under a prefix of the shared bucket");
  for (const key of ["tenant", "plan", "cell"] as const) if (!args.tags[key]) problems.push(`tags.${key} is empty`);
  return problems;
}

export interface LifecycleRetention {
  noncurrentDays: number;
  expireDays: number | null;
}

/**
 * Lifecycle rules: replaced versions expire after `noncurrentDays`; current objects after
 * `expireDays` when set. With a key prefix, the rules apply under it only (a tenant inside a shared bucket).
 */
export function lifecycleRules(ruleId: string, retention: LifecycleRetention, prefix = ""): aws.types.input.s3.BucketLifecycleConfigurationRule[] {
  const filter = { prefix };
  const rules: aws.types.input.s3.BucketLifecycleConfigurationRule[] = [
    { id: `${ruleId}-noncurrent`, status: "Enabled", filter, noncurrentVersionExpiration: { noncurrentDays: retention.noncurrentDays } },
  ];
  if (retention.expireDays !== null) {
    rules.push({ id: `${ruleId}-current`, status: "Enabled", filter, expiration: { days: retention.expireDays } });
  }
  return rules;
}

const OBJECT_ACTIONS = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:GetObjectVersion"];
const LISTING_ACTIONS = ["s3:ListBucket", "s3:ListBucketVersions"];

/**
 * IAM policy document that allows object access under one key prefix of one bucket, and nothing else.
 * While the tenant is suspended the same statements deny instead: an explicit Deny wins over any Allow
 * a principal holds elsewhere, so the tenant's principals lose its objects until it is resumed.
 */
export function prefixPolicyDocument(bucketArn: string, prefix: string, suspended = false): string {
  const effect = suspended ? "Deny" : "Allow";
  const sid = (name: string) => (suspended ? `${name}Suspended` : name);
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Sid: sid("TenantObjects"), Effect: effect, Action: OBJECT_ACTIONS, Resource: [`${bucketArn}/${prefix}*`] },
      { Sid: sid("TenantListing"), Effect: effect, Action: LISTING_ACTIONS, Resource: [bucketArn], Condition: { StringLike: { "s3:prefix": [`${prefix}*`] } } },
    ],
  });
}

/**
 * Bucket policy of a suspended tenant's own bucket: every principal that acts for the tenant (its
 * sessions carry the `tenant` tag, as its AWS objects do) is denied the bucket and its objects. The
 * platform's own principals carry no such tag, so backups and restores go on; resuming deletes the policy.
 */
export function suspendedBucketPolicyDocument(bucketArn: string, tenantId: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "TenantSuspended",
        Effect: "Deny",
        Principal: "*",
        Action: [...OBJECT_ACTIONS, ...LISTING_ACTIONS],
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { StringEquals: { "aws:PrincipalTag/tenant": tenantId } },
      },
    ],
  });
}
