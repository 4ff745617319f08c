// Output state the mocks give each resource: its inputs plus, for the types the program reads
// outputs from, the values a provider would compute. Without them a program that builds a DNS
// validation record from a certificate's domainValidationOptions would see undefined and the plan
// would show records that a real run would never create. Values are deterministic (derived from
// the inputs and name only) so two evaluations of the same catalog agree.
import type * as pulumi from "@pulumi/pulumi";
import { naming } from "../naming";

export type MockOutputs = (args: pulumi.runtime.MockResourceArgs) => pulumi.runtime.MockResourceResult;

export const MOCK_ACCOUNT_ID = "123456789012";

type Computed = (inputs: Record<string, any>, name: string) => { id?: string; state: Record<string, unknown> };

const computed: Record<string, Computed> = {
  "aws:s3/bucket:Bucket": (inputs, name) => {
    const bucket = inputs.bucket ?? name;
    return { id: bucket, state: { bucket, arn: `arn:aws:s3:::${bucket}`, bucketDomainName: `${bucket}.s3.amazonaws.com` } };
  },
  "aws:acm/certificate:Certificate": (inputs, name) => {
    const domains: string[] = [inputs.domainName, ...(inputs.subjectAlternativeNames ?? [])].filter(Boolean);
    return {
      state: {
        arn: `arn:aws:acm:${inputs.region ?? "eu-west-1"}:${MOCK_ACCOUNT_ID}:certificate/${name}`,
        domainValidationOptions: domains.map((domainName) => ({
          domainName,
          resourceRecordName: `_validate.${domainName}.`,
          resourceRecordType: "CNAME",
          resourceRecordValue: `_validate.${name}.acm-validations.aws.`,
        })),
      },
    };
  },
  "aws:acm/certificateValidation:CertificateValidation": (inputs) => ({ state: { certificateArn: inputs.certificateArn } }),
  "aws:iam/policy:Policy": (inputs, name) => ({ state: { arn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:policy/${inputs.name ?? name}` } }),
  "cloudflare:index/customHostname:CustomHostname": (inputs) => ({
    state: {
      status: "pending",
      ownershipVerification: { name: `_cf-custom-hostname.${inputs.hostname}`, type: "txt", value: `verify-${inputs.hostname}` },
      ownershipVerificationHttp: { httpUrl: `http://${inputs.hostname}/.well-known/cf-custom-hostname-challenge/verify`, httpBody: "verify" },
    },
  }),
  "cloudflare:index/dnsRecord:DnsRecord": (inputs) => ({ state: { proxiable: true, proxied: inputs.proxied ?? false } }),
  "postgresql:index/role:Role": (inputs, name) => ({ id: inputs.name ?? name, state: { name: inputs.name ?? name } }),
  "postgresql:index/database:Database": (inputs, name) => ({ id: inputs.name ?? name, state: { name: inputs.name ?? name } }),
  "postgresql:index/schema:Schema": (inputs, name) => ({ state: { name: inputs.name ?? name } }),
  [`${naming.dynamicTypePrefix}TenantPassword`]: (inputs, name) => ({
    // Length as asked, so length checks in the program still hold.
    state: { password: `mock-${name}-`.padEnd(inputs.length ?? 32, "x").slice(0, inputs.length ?? 32) },
  }),
};

/** Inputs echoed as outputs, plus computed values for known types; components get no id. */
export const mockOutputs: MockOutputs = (args) => {
  const extra = computed[args.type]?.(args.inputs, args.name);
  return {
    id: args.custom === false ? undefined : (extra?.id ?? `${args.name}-id`),
    state: { ...args.inputs, ...(extra?.state ?? {}) },
  };
};
