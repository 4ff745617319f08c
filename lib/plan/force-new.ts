// Which input changes make a provider replace a resource (delete and re-create it) instead of
// updating it: the properties the real provider schemas mark force-new, for every type of the
// bridged providers the program registers. One table, read by the offline plan (lib/plan/diff.ts)
// and by the engine tests' stand-in plugins (test/engine/standins/), so what the plan predicts is
// what the engine does with the stand-ins. Dynamic providers are not here: the plan asks them for
// their own keys (providers/kit.ts). A leaf: no imports, so a stand-in plugin can load it alone.
//
// aws: the attributes marked ForceNew (SDKv2) or RequiresReplace (plugin framework) in
// hashicorp/terraform-provider-aws v6 (the upstream of pulumi-aws 7), read in
// internal/service/s3/bucket.go, bucket_server_side_encryption_configuration.go,
// bucket_public_access_block.go, bucket_ownership_controls.go, bucket_versioning.go,
// bucket_lifecycle_configuration.go, internal/service/iam/policy.go,
// internal/service/acm/certificate.go and certificate_validation.go. `region` is the per-resource
// Region of provider v6: internal/provider/sdkv2 forceNewIfRegionChanges replaces on any change of
// it (upstream lets "" ↔ the provider's own region pass; the stand-in does not). The deprecated
// expected_bucket_owner is conditionally force-new in the newest upstream; here always.
//
// cloudflare: the attributes with the RequiresReplace plan modifier in
// cloudflare/terraform-provider-cloudflare v5.19.1 (the upstream pinned by the newest
// pulumi-cloudflare read; unchanged in v5.22.0): internal/services/dns_record/schema.go (zone_id,
// type) and internal/services/custom_hostname/schema.go (zone_id, hostname).
//
// random: hashicorp/terraform-provider-random v3, internal/provider/resource_password.go: every
// attribute has the RequiresReplace plan modifier. The program registers none any more; a stack
// from before TenantPassword still holds one (components/database/resources.ts).
//
// postgresql: the ForceNew attributes of cyrilgdn/terraform-provider-postgresql v1.27.0 (the
// upstream pulumi-postgresql 3.18 pins; git ff936b9), postgresql/resource_postgresql_{role,
// grant_role,database,schema,grant}.go. A role and a database are renamed in place; a grant's
// `privileges` is updated in place since v1.24 (#476: revoke everything on the target, grant the
// new list).

export const FORCE_NEW: Readonly<Record<string, readonly string[]>> = {
  "aws:s3/bucket:Bucket": ["bucket", "bucketPrefix", "objectLockEnabled", "region"],
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": ["bucket", "expectedBucketOwner", "region"],
  "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": ["bucket", "region"],
  "aws:s3/bucketOwnershipControls:BucketOwnershipControls": ["bucket", "region"],
  "aws:s3/bucketVersioning:BucketVersioning": ["bucket", "expectedBucketOwner", "region"],
  "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": ["bucket", "expectedBucketOwner", "region"],
  // IAM is global: no per-resource region.
  "aws:iam/policy:Policy": ["name", "namePrefix", "path", "description"],
  "aws:acm/certificate:Certificate": ["certificateAuthorityArn", "domainName", "keyAlgorithm", "subjectAlternativeNames", "validationMethod", "validationOptions", "region"],
  "aws:acm/certificateValidation:CertificateValidation": ["certificateArn", "validationRecordFqdns", "region"],
  "cloudflare:index/dnsRecord:DnsRecord": ["zoneId", "type"],
  "cloudflare:index/customHostname:CustomHostname": ["zoneId", "hostname"],
  "random:index/randomPassword:RandomPassword": ["keepers", "length", "lower", "minLower", "minNumeric", "minSpecial", "minUpper", "number", "numeric", "overrideSpecial", "special", "upper"],
  "postgresql:index/role:Role": [],
  "postgresql:index/grantRole:GrantRole": ["role", "grantRole", "withAdminOption"],
  "postgresql:index/database:Database": ["template", "encoding", "lcCollate", "lcCtype"],
  "postgresql:index/schema:Schema": ["database"],
  "postgresql:index/grant:Grant": ["role", "database", "schema", "objectType", "objects", "columns", "withGrantOption"],
};

/** The force-new inputs of `type`, or throws: a type without an entry cannot be planned truthfully. */
export function forceNewOf(type: string): readonly string[] {
  const found = FORCE_NEW[type];
  if (!found) throw new Error(`no force-new table for ${type} in lib/plan/force-new.ts; add the provider schema's force-new properties`);
  return found;
}
