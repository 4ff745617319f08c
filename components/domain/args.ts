import * as aws from "@pulumi/aws";
import * as cloudflare from "@pulumi/cloudflare";
import { isHostname, isTenantId, LABEL_PATTERN } from "../../lib/catalog/formats";

export interface TenantDomainArgs {
  tenantId: string;
  subdomain: string;
  customDomains: string[];
  suspended: boolean;
  zoneId: string;
  baseDomain: string;
  /** CNAME target of an active tenant's host name. */
  ingressTarget: string;
  /** CNAME target while the tenant is suspended: the maintenance page. */
  maintenanceTarget: string;
  cloudflareProvider: cloudflare.Provider;
  /** AWS provider of the tenant's region, where its certificate is issued. */
  awsProvider: aws.Provider;
  tags: Record<string, string>;
}

export function domainArgProblems(args: Omit<TenantDomainArgs, "cloudflareProvider" | "awsProvider">): string[] {
  const problems: string[] = [];
  if (!isTenantId(args.tenantId)) problems.push(`tenantId ${JSON.stringify(args.tenantId)} is not a tenant id`);
  if (!LABEL_PATTERN.test(args.subdomain)) problems.push(`subdomain ${JSON.stringify(args.subdomain)} is not one DNS label`);
  if (!isHostname(args.baseDomain)) problems.push(`baseDomain ${JSON.stringify(args.baseDomain)} is not a host name`);
  for (const host of args.customDomains) {
    if (!isHostname(host)) problems.push(`custom domain ${JSON.stringify(host)} is not a host name`);
    else if (host === args.baseDomain || host.endsWith(`.${args.baseDomain}`)) {
      problems.push(`custom domain ${host} lies under the base domain ${args.baseDomain}; use domains.subdomain instead`);
    }
  }
  if (new Set(args.customDomains).size !== args.customDomains.length) problems.push("custom domains repeat");
  if (!/^[0-9a-f]{32}$/.test(args.zoneId)) problems.push(`zoneId ${JSON.stringify(args.zoneId)} is not a Cloudflare zone id`);
  if (!args.ingressTarget) problems.push("ingressTarget is empty");
  if (!args.maintenanceTarget) problems.push("maintenanceTarget is empty");
  return problems;
}

/** Where the tenant's host name points: ingress when active, the maintenance page when suspended. */
export function dnsTarget(args: Pick<TenantDomainArgs, "suspended" | "ingressTarget" | "maintenanceTarget">): string {
  return args.suspended ? args.maintenanceTarget : args.ingressTarget;
}

/**
 * The DNS record ACM asks for to validate `domain`, as Cloudflare stores it: ACM gives absolute names
 * with a trailing dot, Cloudflare keeps them without, and a mismatch would show a diff on every run.
 */
export function validationRecord(
  options: readonly { domainName: string; resourceRecordName: string; resourceRecordType: string; resourceRecordValue: string }[] | undefined,
  domain: string,
): { name: string; type: string; content: string } | undefined {
  const option = options?.find((o) => o.domainName === domain);
  if (!option) return undefined;
  const strip = (value: string) => value.replace(/\.$/, "");
  return { name: strip(option.resourceRecordName), type: option.resourceRecordType, content: strip(option.resourceRecordValue) };
}
