import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { naming } from "../../lib/naming";
import { lifecycleRules, type LifecycleRetention } from "./args";
import { hardenedBucket } from "./hardenedBucket";

/** S3 allows at most this many lifecycle rules per bucket; each prefix tenant takes one or two. */
export const MAX_LIFECYCLE_RULES = 1000;

export interface SharedBucketArgs {
  bucketPrefix: string;
  cell: string;
  region: string;
  /** The prefix-mode tenants stored in it, whose retention becomes one rule set per key prefix. */
  tenants: ({ id: string } & LifecycleRetention)[];
  tags: Record<string, string>;
  provider: aws.Provider;
}

export function sharedBucketRules(tenants: SharedBucketArgs["tenants"]): aws.types.input.s3.BucketLifecycleConfigurationRule[] {
  const rules = tenants.flatMap((t) => lifecycleRules(t.id, t, naming.storagePrefix(t.id)));
  if (rules.length > MAX_LIFECYCLE_RULES) {
    throw new Error(`the shared bucket would need ${rules.length} lifecycle rules; S3 allows ${MAX_LIFECYCLE_RULES}. Move some prefix tenants to another cell or to storage mode bucket`);
  }
  return rules;
}

/** The bucket of one cell in one region that holds the objects of every `prefix`-mode tenant there. */
export class SharedBucket extends pulumi.ComponentResource {
  declare public readonly bucketName: pulumi.Output<string>;
  declare public readonly arn: pulumi.Output<string>;

  constructor(name: string, args: SharedBucketArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("tenancy:storage:SharedBucket", name, {}, opts);
    const options = { parent: this, provider: args.provider };
    const bucket = hardenedBucket({
      logicalName: name,
      bucketName: naming.sharedBucket(args.bucketPrefix, args.cell, args.region),
      // Always versioned: it holds many tenants' objects, and each tenant's noncurrent_days still applies to its prefix.
      versioning: true,
      rules: sharedBucketRules(args.tenants),
      tags: { ...args.tags, "managed-by": "tenancy" },
      // Always retained: when the last prefix tenant of the region leaves, the bucket leaves the stack but
      // stays in AWS (with whatever retained tenants left in it); deleting it is a deliberate, manual act.
      // Not `protect`, which would fail that tenant's offboarding instead.
      bucketOptions: { ...options, retainOnDelete: true },
      options,
    });
    this.bucketName = bucket.bucket;
    this.arn = bucket.arn;
    this.registerOutputs({ bucketName: this.bucketName, arn: this.arn });
  }
}
