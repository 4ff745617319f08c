import * as aws from "@pulumi/aws";
import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import { naming } from "../../lib/naming";
import { assertNoProblems, childOptions } from "../options";
import { dnsTarget, domainArgProblems, validationRecord, type TenantDomainArgs } from "./args";

export interface TenantDomainOptions extends pulumi.ComponentResourceOptions {
  /** Resources every child must come after (and be deleted before): the parent tenant. */
  after?: pulumi.Resource[];
}

/** The record a tenant publishes at its DNS provider to prove it owns a custom domain. */
export interface OwnershipRecord {
  hostname: string;
  name: string;
  type: string;
  value: string;
}

/** DNS and TLS of a tenant: its host name under the base domain with a validated certificate, and its custom domains. */
export class TenantDomain extends pulumi.ComponentResource {
  declare public readonly hostname: pulumi.Output<string>;
  declare public readonly certificateArn: pulumi.Output<string>;
  /** One record per custom domain that the tenant must publish (Cloudflare for SaaS ownership check). */
  declare public readonly ownershipRecords: pulumi.Output<OwnershipRecord[]>;

  constructor(name: string, args: TenantDomainArgs, opts: TenantDomainOptions = {}) {
    const { after = [], ...componentOpts } = opts;
    super("tenancy:domain:TenantDomain", name, {}, componentOpts);
    assertNoProblems("TenantDomain", name, domainArgProblems(args));
    const id = args.tenantId;
    const onCloudflare = childOptions(this, after, { provider: args.cloudflareProvider });
    const onAws = childOptions(this, after, { provider: args.awsProvider });
    const hostname = naming.hostname(args.subdomain, args.baseDomain);

    new cloudflare.DnsRecord(
      naming.resource(id, "dns"),
      { zoneId: args.zoneId, name: hostname, type: "CNAME", content: dnsTarget(args), proxied: true, ttl: 1 },
      onCloudflare,
    );

    const certificate = new aws.acm.Certificate(
      naming.resource(id, "certificate"),
      { domainName: hostname, validationMethod: "DNS", tags: args.tags },
      onAws,
    );
    const record = certificate.domainValidationOptions.apply((options) => {
      const found = validationRecord(options, hostname);
      if (!found) throw new Error(`ACM gave no DNS validation record for ${hostname} (tenant ${id})`);
      return found;
    });
    const validation = new cloudflare.DnsRecord(
      naming.resource(id, "certificate-validation-record"),
      {
        zoneId: args.zoneId,
        name: record.name,
        type: record.type,
        content: record.content,
        // Never proxied: ACM must see the record itself.
        proxied: false,
        ttl: 1,
      },
      onCloudflare,
    );
    const validated = new aws.acm.CertificateValidation(
      naming.resource(id, "certificate-validation"),
      { certificateArn: certificate.arn, validationRecordFqdns: [validation.name] },
      onAws,
    );

    const ownership = args.customDomains.map((custom) => {
      const customHostname = new cloudflare.CustomHostname(
        naming.resource(id, `custom-hostname-${custom}`),
        // DV certificate validated over HTTP: once the tenant points its CNAME at us, Cloudflare
        // completes it without a second record for the tenant to publish.
        { zoneId: args.zoneId, hostname: custom, ssl: { method: "http", type: "dv" } },
        onCloudflare,
      );
      return customHostname.ownershipVerification.apply((v) => ({ hostname: custom, name: v.name, type: v.type, value: v.value }));
    });

    this.hostname = pulumi.output(hostname);
    this.certificateArn = validated.certificateArn;
    this.ownershipRecords = pulumi.all(ownership);
    this.registerOutputs({ hostname: this.hostname, certificateArn: this.certificateArn, ownershipRecords: this.ownershipRecords });
  }
}
