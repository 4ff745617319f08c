import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { dependencyList } from "../options";

export interface HardenedBucketArgs {
  /** Prefix of every Pulumi name registered, such as `acme` (giving `acme-bucket`, `acme-bucket-encryption`, ...). */
  logicalName: string;
  bucketName: string;
  versioning: boolean;
  /** Lifecycle rules (see lifecycleRules). */
  rules: pulumi.Input<aws.types.input.s3.BucketLifecycleConfigurationRule[]>;
  tags: Record<string, string>;
  /** Delete the objects (every version) with the bucket, instead of failing on a non-empty bucket. */
  forceDestroy?: boolean;
  /** Options of the Bucket itself (parent, provider, protection, dependencies). */
  bucketOptions: pulumi.CustomResourceOptions;
  /** Options of the bucket's configuration resources. */
  options: pulumi.CustomResourceOptions;
}

/**
 * A private bucket as every bucket of the project is: encrypted, all public access blocked, owner-enforced
 * objects (no ACLs), versioning as asked, lifecycle rules. Shared by tenant buckets and the cells' shared buckets.
 */
export function hardenedBucket(args: HardenedBucketArgs): aws.s3.Bucket {
  const name = (part: string) => `${args.logicalName}-${part}`;
  const bucket = new aws.s3.Bucket(name("bucket"), { bucket: args.bucketName, tags: args.tags, ...(args.forceDestroy ? { forceDestroy: true } : {}) }, args.bucketOptions);
  new aws.s3.BucketServerSideEncryptionConfiguration(
    name("bucket-encryption"),
    { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true }] },
    args.options,
  );
  new aws.s3.BucketPublicAccessBlock(
    name("bucket-public-access"),
    { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
    args.options,
  );
  new aws.s3.BucketOwnershipControls(name("bucket-ownership"), { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, args.options);
  const versioning = new aws.s3.BucketVersioning(
    name("bucket-versioning"),
    // "Suspended", not "Disabled": AWS refuses Disabled once versioning was ever enabled, and on a new
    // bucket Suspended behaves like never-versioned, so switching versioning off and on always works.
    { bucket: bucket.id, versioningConfiguration: { status: args.versioning ? "Enabled" : "Suspended" } },
    args.options,
  );
  new aws.s3.BucketLifecycleConfiguration(
    name("bucket-lifecycle"),
    { bucket: bucket.id, rules: args.rules },
    // AWS applies lifecycle rules against the versioning state; configure them after it.
    { ...args.options, dependsOn: [...dependencyList(args.options.dependsOn), versioning] },
  );
  return bucket;
}
