// Builds Registration values by hand for the pure diff and format tests.
import type { Registration } from "../../../lib/plan/evaluate";

export function reg(
  type: string,
  name: string,
  parent?: Registration,
  inputs: Record<string, unknown> = {},
  extra: Partial<Registration> = {},
  stack = "default",
): Registration {
  const qualified = parent ? `${parent.urn.split("::")[2]}$${type}` : type;
  return {
    type,
    name,
    urn: `urn:pulumi:${stack}::tenancy::${qualified}::${name}`,
    custom: !type.startsWith("tenancy:"),
    ...(parent ? { parent: parent.urn } : {}),
    ancestors: parent ? [parent.urn, ...parent.ancestors] : [],
    inputs,
    secretInputs: [],
    protect: false,
    retainOnDelete: false,
    dependencies: [],
    additionalSecretOutputs: [],
    ...extra,
  };
}

/** The resources of one tenant, roughly as the program registers them. */
export function tenantRegistrations(
  id: string,
  options: { isolation?: "database" | "schema" | "shared"; protect?: boolean; retain?: boolean; content?: string; migrations?: number } = {},
): Registration[] {
  const { isolation = "database", protect = false, retain = false, content = "ingress.example.net", migrations = 3 } = options;
  const tenant = reg("tenancy:index:Tenant", id);
  const db = reg("tenancy:database:TenantDatabase", id, tenant);
  const storage = reg("tenancy:storage:TenantStorage", id, tenant);
  const domain = reg("tenancy:domain:TenantDomain", id, tenant);
  const data: Registration[] = [];
  if (isolation === "database") data.push(reg("postgresql:index/database:Database", `${id}-database`, db, { name: `tenant_${id}` }, { protect, retainOnDelete: retain }));
  if (isolation === "schema") data.push(reg("postgresql:index/schema:Schema", `${id}-schema`, db, { name: `tenant_${id}` }, { protect, retainOnDelete: retain }));
  return [
    tenant,
    db,
    reg("postgresql:index/role:Role", `${id}-role`, db, { name: `tenant_${id}`, login: true, password: "pw" }, { secretInputs: ["password"] }),
    ...data,
    reg("pulumi-nodejs:dynamic/tenancy:TenantMigrations", `${id}-migrations`, db, { isolation, tenantId: id, schema: `tenant_${id}`, maxVersion: migrations }),
    reg("pulumi-nodejs:dynamic/tenancy:TenantSeed", `${id}-seed`, db, { name: id }),
    storage,
    reg("aws:s3/bucket:Bucket", `${id}-bucket`, storage, { bucket: `example-${id}` }, { protect, retainOnDelete: retain }),
    domain,
    reg("cloudflare:index/dnsRecord:DnsRecord", `${id}-dns`, domain, { name: `${id}.example.com`, content }),
    reg("aws:acm/certificate:Certificate", `${id}-certificate`, domain, { domainName: `${id}.example.com` }),
  ];
}
