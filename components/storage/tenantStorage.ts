import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { TenantPrefix } from "./tenantPrefix";
import { naming } from "../../lib/naming";
import { assertNoProblems, childOptions } from "../options";
import { lifecycleRules, prefixPolicyDocument, s3Access, storageArgProblems, suspendedBucketPolicyDocument, tenantTags, type TenantStorageArgs } from "./args";
import { hardenedBucket } from "./hardenedBucket";

export interface TenantStorageOptions extends pulumi.ComponentResourceOptions {
  /** Resources every child must come after (and be deleted before): the parent tenant. */
  after?: pulumi.Resource[];
}

/** The tenant's object storage: its own bucket, or a key prefix in the cell's shared bucket with a policy scoped to it. */
export class TenantStorage extends pulumi.ComponentResource {
  /** Name of the bucket holding the tenant's objects (its own, or the shared one). */
  declare public readonly bucketName: pulumi.Output<string>;
  /** Key prefix of the tenant's objects: "" for its own bucket. */
  declare public readonly keyPrefix: pulumi.Output<string>;
  /** ARN of the IAM policy scoped to the tenant's prefix (prefix mode only). */
  declare public readonly policyArn: pulumi.Output<string | undefined>;

  constructor(name: string, args: TenantStorageArgs, opts: TenantStorageOptions = {}) {
    const { after = [], ...componentOpts } = opts;
    super("tenancy:storage:TenantStorage", name, {}, componentOpts);
    assertNoProblems("TenantStorage", name, storageArgProblems(args));
    const id = args.tenantId;
    const tags = tenantTags(args.tags);
    const child = (extra: pulumi.CustomResourceOptions = {}) => childOptions(this, after, { provider: args.provider, ...extra });

    if (args.mode === "bucket") {
      const bucket = hardenedBucket({
        logicalName: id,
        bucketName: naming.bucket(args.bucketPrefix, id, args.adoptedBucket),
        versioning: args.versioning,
        rules: lifecycleRules("tenant", args),
        tags,
        // Offboarding empties and deletes the bucket, after the database backup (lib/lifecycle/order.ts).
        // A retained bucket is never deleted by the engine; a protected one only after protection is off.
        forceDestroy: !args.protection.retainOnDelete,
        // An adopted bucket is imported: the engine reads it instead of creating it (its configuration
        // resources are then created over its settings, as S3's configuration calls are puts).
        bucketOptions: child({ protect: args.protection.protect, retainOnDelete: args.protection.retainOnDelete, ...(args.adoptedBucket ? { import: args.adoptedBucket } : {}) }),
        options: child(),
      });
      // Registered only while suspended: resuming deletes it, which reopens exactly what it closed.
      if (args.suspended) {
        new aws.s3.BucketPolicy(naming.resource(id, "bucket-suspension"), { bucket: bucket.id, policy: bucket.arn.apply((arn) => suspendedBucketPolicyDocument(arn, id)) }, child());
      }
      this.bucketName = bucket.bucket;
      this.keyPrefix = pulumi.output("");
      this.policyArn = pulumi.output(undefined);
    } else {
      const shared = args.sharedBucket!;
      const prefix = naming.storagePrefix(id);
      const policy = new aws.iam.Policy(
        naming.resource(id, "storage-policy"),
        {
          name: naming.storagePolicy(args.bucketPrefix, id),
          description: `Objects of tenant ${id} under ${prefix} in the shared bucket`,
          policy: pulumi.output(shared.arn).apply((arn) => prefixPolicyDocument(arn, prefix, args.suspended)),
          tags,
        },
        child(),
      );
      // Offboarding empties the prefix (objects and their old versions), as forceDestroy empties a
      // tenant's own bucket; on_delete: retain leaves it, deletion_protection blocks it.
      new TenantPrefix(
        naming.resource(id, "storage-prefix"),
        {
          tenantId: id,
          bucket: shared.name,
          region: args.provider.region.apply((region) => region ?? ""),
          prefix,
          onDelete: args.protection.retainOnDelete ? "retain" : "delete",
          ...s3Access(args.s3Endpoint),
          // The tenant's TenantMove carries a change of place over, unless the tenant is protected (providers/kit.ts MOVE_GUARD).
          moveGuard: !args.protection.protect,
        },
        // Not the AWS provider: a dynamic resource has its own, and reaches S3 with the deployer's credentials.
        childOptions(this, after, { protect: args.protection.protect }),
      );
      this.bucketName = pulumi.output(shared.name);
      this.keyPrefix = pulumi.output(prefix);
      this.policyArn = policy.arn;
    }
    this.registerOutputs({ bucketName: this.bucketName, keyPrefix: this.keyPrefix, policyArn: this.policyArn });
  }
}
