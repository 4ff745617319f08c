export { lifecycleRules, prefixPolicyDocument, s3Access, storageArgProblems, suspendedBucketPolicyDocument, tenantTags, type StorageMode, type TenantStorageArgs, type TenantTags } from "./args";
export { MAX_LIFECYCLE_RULES, SharedBucket, sharedBucketRules, type SharedBucketArgs } from "./sharedBucket";
export { TenantStorage, type TenantStorageOptions } from "./tenantStorage";
