// STAND-IN for the aws provider plugin, which cannot be had on this machine (no download, and its
// Go module is not on the module proxy); used only by the engine tests; it is not AWS. An echo
// provider: it touches no network and keeps no objects. Outputs are the inputs plus the computed
// attributes the program reads (ids, ARNs, ACM's DNS validation records), derived deterministically
// from the inputs. Which input changes replace a resource follows the real provider's schemas.
import { FORCE_NEW } from "../../../lib/plan/force-new";
import { echoResource, serve, stableHash, stableUuid, type Context, type Props } from "./plugin-server";

/** There is no AWS account behind the stand-in; ARNs name this one. */
const ACCOUNT_ID = "000000000000";

/** The resource's region: its own `region` input (provider 7+), else the provider's. */
const regionOf = (inputs: Props, ctx: Context): string => inputs.region ?? ctx.config.region;

/** An S3 bucket sub-resource: identified by its bucket (Terraform's createResourceID without an expected owner). */
const bucketPart = (type: string, defaults?: Props) =>
  echoResource({ forceNew: FORCE_NEW[type], defaults, computed: (inputs) => ({ id: inputs.bucket }) });

// Force-new inputs: FORCE_NEW (lib/plan/force-new.ts, which says where upstream marks each), the
// table the offline plan reads too.
serve({
  pkg: "aws",
  resources: {
    "aws:s3/bucket:Bucket": echoResource({
      forceNew: FORCE_NEW["aws:s3/bucket:Bucket"],
      defaults: { forceDestroy: false },
      computed(inputs, ctx) {
        // The real provider names an unnamed bucket `<prefix or "terraform-"><unique id>`.
        const name: string = inputs.bucket ?? `${inputs.bucketPrefix ?? "terraform-"}${stableHash(ctx.urn).slice(0, 26)}`;
        const region = regionOf(inputs, ctx);
        return {
          id: name,
          bucket: name,
          arn: `arn:aws:s3:::${name}`,
          bucketDomainName: `${name}.s3.amazonaws.com`,
          bucketRegionalDomainName: `${name}.s3.${region}.amazonaws.com`,
          bucketRegion: region,
          tagsAll: inputs.tags ?? {},
        };
      },
    }),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": bucketPart("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": bucketPart("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", {
      blockPublicAcls: false,
      blockPublicPolicy: false,
      ignorePublicAcls: false,
      restrictPublicBuckets: false,
    }),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": bucketPart("aws:s3/bucketOwnershipControls:BucketOwnershipControls"),
    "aws:s3/bucketVersioning:BucketVersioning": bucketPart("aws:s3/bucketVersioning:BucketVersioning"),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": bucketPart("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"),
    "aws:iam/policy:Policy": echoResource({
      forceNew: FORCE_NEW["aws:iam/policy:Policy"],
      defaults: { path: "/" },
      computed(inputs, ctx) {
        const name: string = inputs.name ?? `${inputs.namePrefix ?? "terraform-"}${stableHash(ctx.urn).slice(0, 26)}`;
        const arn = `arn:aws:iam::${ACCOUNT_ID}:policy${inputs.path}${name}`;
        return { id: arn, arn, name, policyId: `ANPA${stableHash(arn).slice(0, 17).toUpperCase()}`, attachmentCount: 0, tagsAll: inputs.tags ?? {} };
      },
    }),
    "aws:acm/certificate:Certificate": echoResource({
      forceNew: FORCE_NEW["aws:acm/certificate:Certificate"],
      sets: ["subjectAlternativeNames"],
      computed(inputs, ctx) {
        const arn = `arn:aws:acm:${regionOf(inputs, ctx)}:${ACCOUNT_ID}:certificate/${stableUuid(ctx.urn, inputs.domainName, inputs.subjectAlternativeNames)}`;
        // ACM adds the domain name to the alternative names, and asks for one CNAME per name.
        const names: string[] = [...new Set([inputs.domainName, ...(inputs.subjectAlternativeNames ?? [])])].sort();
        const domainValidationOptions =
          inputs.validationMethod === "DNS"
            ? names.map((domain) => ({
                domainName: domain,
                resourceRecordName: `_${stableHash(arn, domain, "name").slice(0, 32)}.${domain}.`,
                resourceRecordType: "CNAME",
                resourceRecordValue: `_${stableHash(arn, domain, "value").slice(0, 32)}.${stableHash(arn, "zone").slice(0, 10)}.acm-validations.aws.`,
              }))
            : [];
        return { id: arn, arn, subjectAlternativeNames: names, domainValidationOptions, tagsAll: inputs.tags ?? {} };
      },
    }),
    // Upstream's id is the issue time; the certificate's ARN is as stable and more telling.
    "aws:acm/certificateValidation:CertificateValidation": echoResource({
      forceNew: FORCE_NEW["aws:acm/certificateValidation:CertificateValidation"],
      sets: ["validationRecordFqdns"],
      computed: (inputs) => ({ id: inputs.certificateArn }),
    }),
  },
});
