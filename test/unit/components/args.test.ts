// The argument checks and pure helpers of the components, on their own.
import { describe, expect, test } from "vitest";
import { databaseArgProblems } from "../../../components/database";
import { dnsTarget, domainArgProblems, validationRecord } from "../../../components/domain";
import { childOptions, dataProtection, dependencyList } from "../../../components/options";
import { lifecycleRules, MAX_LIFECYCLE_RULES, prefixPolicyDocument, sharedBucketRules, storageArgProblems, suspendedBucketPolicyDocument, tenantTags } from "../../../components/storage";
import { tenantArgProblems, type Tenant } from "../../../components/tenant";
import { catalogOf } from "../tenancy-fixtures";

const PROTECTION = { protect: false, retainOnDelete: false };

describe("databaseArgProblems", () => {
  const server = {} as never;
  const base = { tenantId: "acme", maxMigration: 3, suspended: false, protection: PROTECTION };
  test("accepts each isolation mode with what it needs", () => {
    expect(databaseArgProblems({ ...base, isolation: "database" })).toEqual([]);
    expect(databaseArgProblems({ ...base, isolation: "schema", server })).toEqual([]);
    expect(databaseArgProblems({ ...base, isolation: "shared", server, suspended: true, maxMigration: 0 })).toEqual([]);
  });
  test("names every problem", () => {
    expect(databaseArgProblems({ ...base, isolation: "shared" })).toEqual([]);
    expect(databaseArgProblems({ ...base, tenantId: "Acme!", isolation: "database", server, maxMigration: -1 })).toEqual([
      'tenantId "Acme!" is not a tenant id',
      "isolation database takes no server: its tenant owns a database of its own",
      "maxMigration must be a whole number >= 0, got -1",
    ]);
    expect(databaseArgProblems({ ...base, isolation: "rows" as never })).toEqual([
      'isolation "rows" is not one of database|schema|shared',
    ]);
  });
});

describe("storage helpers", () => {
  const base = {
    tenantId: "acme",
    mode: "bucket" as const,
    versioning: true,
    noncurrentDays: 30,
    expireDays: null,
    tags: { tenant: "acme", plan: "pro", cell: "default" },
    bucketPrefix: "example",
    suspended: false,
    protection: PROTECTION,
  };
  test("storageArgProblems accepts both modes with what they need", () => {
    expect(storageArgProblems(base)).toEqual([]);
    expect(storageArgProblems({ ...base, mode: "prefix", sharedBucket: { name: "b", arn: "arn:aws:s3:::b" } })).toEqual([]);
  });
  test("storageArgProblems names every problem", () => {
    expect(
      storageArgProblems({ ...base, mode: "prefix", bucketPrefix: "Bad_Prefix", noncurrentDays: 0, expireDays: 1.5, tags: { tenant: "", plan: "pro", cell: "default" } }),
    ).toEqual([
      'bucketPrefix "Bad_Prefix" is not a valid bucket name prefix',
      "noncurrentDays must be a positive integer, got 0",
      "expireDays must be a positive integer or null, got 1.5",
      "mode prefix needs sharedBucket (the cell's shared bucket in the tenant's region)",
      "tags.tenant is empty",
    ]);
    expect(storageArgProblems({ ...base, sharedBucket: { name: "b", arn: "a" } })).toEqual(["mode bucket takes no sharedBucket"]);
  });
  test("tenantTags adds managed-by", () => {
    expect(tenantTags({ tenant: "acme", plan: "pro", cell: "eu-1" })).toEqual({ tenant: "acme", plan: "pro", cell: "eu-1", "managed-by": "tenancy" });
  });
  test("lifecycleRules expire noncurrent versions, and current objects only when asked", () => {
    expect(lifecycleRules("tenant", { noncurrentDays: 7, expireDays: null })).toEqual([
      { id: "tenant-noncurrent", status: "Enabled", filter: { prefix: "" }, noncurrentVersionExpiration: { noncurrentDays: 7 } },
    ]);
    expect(lifecycleRules("acme", { noncurrentDays: 7, expireDays: 365 }, "tenants/acme/")).toEqual([
      { id: "acme-noncurrent", status: "Enabled", filter: { prefix: "tenants/acme/" }, noncurrentVersionExpiration: { noncurrentDays: 7 } },
      { id: "acme-current", status: "Enabled", filter: { prefix: "tenants/acme/" }, expiration: { days: 365 } },
    ]);
  });
  test("sharedBucketRules gives each tenant its prefix and refuses more rules than S3 allows", () => {
    const rules = sharedBucketRules([{ id: "initech", noncurrentDays: 30, expireDays: null }, { id: "umbrella", noncurrentDays: 5, expireDays: 90 }]);
    expect(rules.map((r) => [r.id, (r.filter as { prefix: string }).prefix])).toEqual([
      ["initech-noncurrent", "tenants/initech/"],
      ["umbrella-noncurrent", "tenants/umbrella/"],
      ["umbrella-current", "tenants/umbrella/"],
    ]);
    const many = Array.from({ length: MAX_LIFECYCLE_RULES / 2 + 1 }, (_, i) => ({ id: `tenant-${i}`, noncurrentDays: 1, expireDays: 1 }));
    expect(() => sharedBucketRules(many)).toThrow(/would need 1002 lifecycle rules; S3 allows 1000/);
  });
  test("prefixPolicyDocument allows the prefix and nothing outside it", () => {
    const doc = JSON.parse(prefixPolicyDocument("arn:aws:s3:::shared", "tenants/acme/"));
    expect(doc.Statement).toEqual([
      { Sid: "TenantObjects", Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:GetObjectVersion"], Resource: ["arn:aws:s3:::shared/tenants/acme/*"] },
      { Sid: "TenantListing", Effect: "Allow", Action: ["s3:ListBucket", "s3:ListBucketVersions"], Resource: ["arn:aws:s3:::shared"], Condition: { StringLike: { "s3:prefix": ["tenants/acme/*"] } } },
    ]);
  });
  test("suspended, the same statements deny: an explicit Deny wins over any Allow the tenant's principals hold", () => {
    const active = JSON.parse(prefixPolicyDocument("arn:aws:s3:::shared", "tenants/acme/")).Statement;
    const suspended = JSON.parse(prefixPolicyDocument("arn:aws:s3:::shared", "tenants/acme/", true)).Statement;
    expect(suspended.map((s: { Effect: string }) => s.Effect)).toEqual(["Deny", "Deny"]);
    expect(suspended.map(({ Sid, Effect, ...rest }: Record<string, unknown>) => [Sid, rest])).toEqual(active.map(({ Sid, Effect, ...rest }: Record<string, unknown>) => [`${Sid}Suspended`, rest]));
  });
  test("a suspended tenant's own bucket denies every principal acting for it (tagged with its id), and only those", () => {
    const [statement] = JSON.parse(suspendedBucketPolicyDocument("arn:aws:s3:::example-acme", "acme")).Statement;
    expect(statement).toEqual({
      Sid: "TenantSuspended",
      Effect: "Deny",
      Principal: "*",
      Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:GetObjectVersion", "s3:ListBucket", "s3:ListBucketVersions"],
      Resource: ["arn:aws:s3:::example-acme", "arn:aws:s3:::example-acme/*"],
      Condition: { StringEquals: { "aws:PrincipalTag/tenant": "acme" } },
    });
  });
});

describe("domain helpers", () => {
  const base = {
    tenantId: "acme",
    subdomain: "acme",
    customDomains: ["login.acme-corp.com"],
    suspended: false,
    zoneId: "0123456789abcdef0123456789abcdef",
    baseDomain: "saas.example.com",
    ingressTarget: "ingress.example.net",
    maintenanceTarget: "maintenance.example.net",
    tags: {},
  };
  test("domainArgProblems accepts a valid tenant and names every problem", () => {
    expect(domainArgProblems(base)).toEqual([]);
    expect(domainArgProblems({ ...base, subdomain: "a.b", customDomains: ["x.saas.example.com", "nohost", "nohost"], zoneId: "zone" })).toEqual([
      'subdomain "a.b" is not one DNS label',
      "custom domain x.saas.example.com lies under the base domain saas.example.com; use domains.subdomain instead",
      'custom domain "nohost" is not a host name',
      'custom domain "nohost" is not a host name',
      "custom domains repeat",
      'zoneId "zone" is not a Cloudflare zone id',
    ]);
  });
  test("dnsTarget follows the status", () => {
    expect(dnsTarget(base)).toBe("ingress.example.net");
    expect(dnsTarget({ ...base, suspended: true })).toBe("maintenance.example.net");
  });
  test("validationRecord picks the domain's record and drops ACM's trailing dots", () => {
    const options = [
      { domainName: "other.example.com", resourceRecordName: "_x.other.example.com.", resourceRecordType: "CNAME", resourceRecordValue: "_y.acm-validations.aws." },
      { domainName: "acme.saas.example.com", resourceRecordName: "_a.acme.saas.example.com.", resourceRecordType: "CNAME", resourceRecordValue: "_b.acm-validations.aws." },
    ];
    expect(validationRecord(options, "acme.saas.example.com")).toEqual({ name: "_a.acme.saas.example.com", type: "CNAME", content: "_b.acm-validations.aws" });
    expect(validationRecord(options, "missing.example.com")).toBeUndefined();
    expect(validationRecord(undefined, "acme.saas.example.com")).toBeUndefined();
  });
});

describe("options", () => {
  test("dataProtection maps the lifecycle fields", () => {
    expect(dataProtection({ deletion_protection: true, on_delete: "backup" })).toEqual({ protect: true, retainOnDelete: false });
    expect(dataProtection({ deletion_protection: false, on_delete: "retain" })).toEqual({ protect: false, retainOnDelete: true });
    expect(dataProtection({ deletion_protection: false, on_delete: "delete" })).toEqual({ protect: false, retainOnDelete: false });
  });
  test("childOptions parents and orders after the given resources, keeping the resource's own", () => {
    const parent = { name: "parent" } as never;
    const a = { name: "a" } as never;
    const b = { name: "b" } as never;
    expect(childOptions(parent, [])).toEqual({ parent });
    expect(childOptions(parent, [a], { dependsOn: b, protect: true })).toEqual({ parent, protect: true, dependsOn: [a, b] });
    expect(dependencyList(undefined)).toEqual([]);
    expect(dependencyList([a, b])).toEqual([a, b]);
  });
});

describe("tenantArgProblems", () => {
  const catalog = catalogOf({ parent: { plan: "pro" }, child: { parent: "parent", database: { isolation: "schema", server: "main" } } });
  const [child, parent] = catalog.tenants;
  const component = (tenantId: string) => ({ tenantId }) as Tenant;
  test("accepts a consistent tenant", () => {
    expect(tenantArgProblems({ tenant: parent, database: { serverName: "main" } })).toEqual([]);
    expect(tenantArgProblems({ tenant: child, database: { serverName: "main" }, parentTenant: component("parent") })).toEqual([]);
  });
  test("refuses a wrong server or parent", () => {
    expect(tenantArgProblems({ tenant: child, database: { serverName: "other" } })).toEqual([
      'database server "other" given, but the tenant asks for "main"',
      "tenant child has parent parent, so parentTenant must be that tenant's component (got none)",
    ]);
    expect(tenantArgProblems({ tenant: parent, database: { serverName: "main" }, parentTenant: component("child") })).toEqual([
      "tenant parent has no parent, but parentTenant child was given",
    ]);
  });
});
