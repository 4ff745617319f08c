// The Tenant component under Pulumi's mocks (through lib/plan/evaluate.ts): per isolation and
// storage mode, exactly which resources a tenant owns, under which parent, with which options.
import { describe, expect, test } from "vitest";
import { evaluate, type Evaluation, type Registration } from "../../../lib/plan/evaluate";
import { registerProgram } from "../../../lib/program";
import { catalogOf, exampleConfig } from "../tenancy-fixtures";

const TENANT = "tenancy:index:Tenant";

function tenantUrn(ev: Evaluation, id: string): string {
  const found = ev.registrations.find((r) => r.type === TENANT && r.name === id);
  if (!found) throw new Error(`no Tenant ${id}`);
  return found.urn;
}

/** The tenant's component and everything under it. */
function ownedBy(ev: Evaluation, id: string): Registration[] {
  const urn = tenantUrn(ev, id);
  return ev.registrations.filter((r) => r.urn === urn || r.ancestors.includes(urn));
}

function byName(ev: Evaluation, name: string): Registration {
  const found = ev.registrations.filter((r) => r.name === name && r.custom);
  if (found.length !== 1) throw new Error(`${found.length} custom resources named ${name}`);
  return found[0];
}

const COMPONENTS = [
  "tenancy:index:Tenant T",
  "tenancy:database:TenantDatabase T",
  "tenancy:storage:TenantStorage T",
  "tenancy:domain:TenantDomain T",
  "tenancy:identity:TenantIdentity T",
];
// Directly under the Tenant: they order the whole tenant (lib/lifecycle/order.ts), and the TenantMove
// sits between its data and its identity (components/tenant.ts).
const LIFECYCLE = [
  "pulumi-nodejs:dynamic/tenancy:DeletedHook T-deleted-hook",
  "pulumi-nodejs:dynamic/tenancy:LifecycleHook T-lifecycle-hook",
  "pulumi-nodejs:dynamic/tenancy:TenantBackup T-backup",
  "pulumi-nodejs:dynamic/tenancy:TenantMove T-move",
];
const IDENTITY = [
  "pulumi-nodejs:dynamic/tenancy:EntitySync T-identity-entities",
  "pulumi-nodejs:dynamic/tenancy:IdentitySeed T-identity-seed",
  "pulumi-nodejs:dynamic/tenancy:Organization T-organization",
];
const DOMAIN = [
  "aws:acm/certificate:Certificate T-certificate",
  "aws:acm/certificateValidation:CertificateValidation T-certificate-validation",
  "cloudflare:index/dnsRecord:DnsRecord T-certificate-validation-record",
  "cloudflare:index/dnsRecord:DnsRecord T-dns",
];
const BUCKET = [
  "aws:s3/bucket:Bucket T-bucket",
  "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration T-bucket-lifecycle",
  "aws:s3/bucketOwnershipControls:BucketOwnershipControls T-bucket-ownership",
  "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock T-bucket-public-access",
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration T-bucket-encryption",
  "aws:s3/bucketVersioning:BucketVersioning T-bucket-versioning",
];
const PREFIX = ["aws:iam/policy:Policy T-storage-policy", "pulumi-nodejs:dynamic/tenancy:TenantPrefix T-storage-prefix"];
const ROLE = [
  "postgresql:index/role:Role T-role@main",
  "pulumi-nodejs:dynamic/tenancy:TenantPassword T-db-password",
  "pulumi-nodejs:dynamic/tenancy:TenantMigrations T-migrations",
  "pulumi-nodejs:dynamic/tenancy:TenantSeed T-seed",
  "pulumi-nodejs:dynamic/tenancy:TenantSuspension T-suspension",
];
const ADMIN_MEMBER = "postgresql:index/grantRole:GrantRole T-admin-member@main";
const DATABASE = [...ROLE, ADMIN_MEMBER, "postgresql:index/database:Database T-database@main", "postgresql:index/grant:Grant T-revoke-public@main"];
const SCHEMA = [...ROLE, "postgresql:index/grant:Grant T-connect@main", "postgresql:index/grant:Grant T-schema-usage@main", "postgresql:index/schema:Schema T-schema@main"];
const SHARED = [...ROLE, ADMIN_MEMBER];

const expected = (id: string, ...parts: string[][]) => [...COMPONENTS, ...LIFECYCLE, ...IDENTITY, ...parts.flat()].map((s) => s.replace(/ T/, ` ${id}`)).sort();

// Every combination of isolation and storage mode, in one catalog (hybrid), plus protection options.
const catalog = catalogOf({
  "db-bucket": { database: { isolation: "database", server: "main" }, storage: { mode: "bucket", versioning: true, noncurrent_days: 30 }, lifecycle: { deletion_protection: true, on_delete: "backup" }, plan: "enterprise" },
  "db-prefix": { database: { isolation: "database", server: "main" }, lifecycle: { deletion_protection: false, on_delete: "retain" } },
  "schema-bucket": { database: { isolation: "schema", server: "main" }, storage: { mode: "bucket", versioning: false, noncurrent_days: 7, expire_days: 365 }, lifecycle: { deletion_protection: true, on_delete: "retain" } },
  "schema-prefix": { database: { isolation: "schema", server: "main" } },
  "shared-bucket": { database: { isolation: "shared", server: "main" }, storage: { mode: "bucket", versioning: true, noncurrent_days: 30 }, region: "us-east-1" },
  "shared-prefix": { database: { isolation: "shared", server: "main" }, status: "suspended", domains: { custom: ["login.shared-prefix.example.org", "app.shared-prefix.example.org"] } },
});

describe("Tenant", async () => {
  const ev = await evaluate(() => registerProgram(catalog, exampleConfig()));

  test.each([
    ["db-bucket", DATABASE, BUCKET],
    ["db-prefix", DATABASE, PREFIX],
    ["schema-bucket", SCHEMA, BUCKET],
    ["schema-prefix", SCHEMA, PREFIX],
    ["shared-bucket", SHARED, BUCKET],
  ])("%s registers exactly its resources", (id, database, storage) => {
    expect(ownedBy(ev, id).map((r) => `${r.type} ${r.name}`).sort()).toEqual(expected(id, database, storage, DOMAIN));
  });

  test("each custom domain adds one CustomHostname", () => {
    expect(ownedBy(ev, "shared-prefix").map((r) => `${r.type} ${r.name}`).sort()).toEqual(
      expected("shared-prefix", SHARED, PREFIX, DOMAIN, [
        "cloudflare:index/customHostname:CustomHostname T-custom-hostname-app.shared-prefix.example.org",
        "cloudflare:index/customHostname:CustomHostname T-custom-hostname-login.shared-prefix.example.org",
      ]).sort(),
    );
    const custom = byName(ev, "shared-prefix-custom-hostname-login.shared-prefix.example.org");
    expect(custom.inputs).toMatchObject({ hostname: "login.shared-prefix.example.org", ssl: { method: "http", type: "dv" }, zoneId: "0123456789abcdef0123456789abcdef" });
  });

  test("custom domains' ownership records are exported", () => {
    const exports = ev.exports as { tenants: Record<string, { ownershipRecords: unknown[] }> };
    expect(exports.tenants["shared-prefix"].ownershipRecords).toEqual([
      { hostname: "login.shared-prefix.example.org", name: "_cf-custom-hostname.login.shared-prefix.example.org", type: "txt", value: "verify-login.shared-prefix.example.org" },
      { hostname: "app.shared-prefix.example.org", name: "_cf-custom-hostname.app.shared-prefix.example.org", type: "txt", value: "verify-app.shared-prefix.example.org" },
    ]);
    expect(exports.tenants["db-bucket"].ownershipRecords).toEqual([]);
  });

  test("every child hangs under its component, and the components under the Tenant (URN type chain)", () => {
    const sub = {
      "tenancy:database:TenantDatabase": /^(postgresql:|pulumi-nodejs:dynamic\/tenancy:Tenant(Password|Migrations|Seed|Suspension)$)/,
      "tenancy:storage:TenantStorage": /^(aws:(s3|iam)\/|pulumi-nodejs:dynamic\/tenancy:TenantPrefix$)/,
      "tenancy:domain:TenantDomain": /^(aws:acm\/|cloudflare:)/,
      "tenancy:identity:TenantIdentity": /^pulumi-nodejs:dynamic\/tenancy:(EntitySync|Organization|IdentitySeed)$/,
    };
    for (const id of catalog.tenants.map((t) => t.id)) {
      for (const r of ownedBy(ev, id)) {
        const chain = r.urn.split("::")[2].split("$");
        if (r.type === TENANT) expect(chain).toEqual([TENANT]);
        else if (!r.custom) expect(chain).toEqual([TENANT, r.type]);
        else if (chain.length === 2) {
          expect(r.type).toMatch(/^pulumi-nodejs:dynamic\/tenancy:(LifecycleHook|DeletedHook|TenantBackup|TenantMove)$/);
          expect(r.parent).toBe(tenantUrn(ev, id));
        }
        else {
          expect(chain).toHaveLength(3);
          expect(chain[0]).toBe(TENANT);
          expect(r.type).toMatch(sub[chain[1] as keyof typeof sub]);
          expect(r.parent).toBe(ev.registrations.find((c) => c.type === chain[1] && c.name === id)!.urn);
        }
      }
    }
  });

  test("each resource uses the provider of its server, region or Cloudflare", () => {
    const provider = (r: Registration) => r.provider?.split("::")[3];
    expect(provider(byName(ev, "db-bucket-database@main"))).toBe("postgresql-main");
    expect(provider(byName(ev, "db-bucket-bucket"))).toBe("aws-eu-west-1");
    expect(provider(byName(ev, "shared-bucket-bucket"))).toBe("aws-us-east-1");
    expect(provider(byName(ev, "shared-bucket-certificate"))).toBe("aws-us-east-1");
    expect(provider(byName(ev, "shared-bucket-dns"))).toBe("cloudflare");
  });

  test("deletion_protection protects every resource of the tenant; retainOnDelete sits on the data resources (and the owning role) only", () => {
    // Protecting the data alone would let the deleting webhook, the identity teardown and the backup
    // run before the engine reached the protected database (components/tenant.ts).
    for (const id of ["db-bucket", "schema-bucket"]) expect(ownedBy(ev, id).filter((r) => !r.protect).map((r) => r.name)).toEqual([]);
    for (const id of ["db-prefix", "schema-prefix", "shared-prefix"]) expect(ownedBy(ev, id).filter((r) => r.protect).map((r) => r.name)).toEqual([]);
    // The migrations and the seed delete the tenant's schema or rows, so they are retained alike.
    const retained = (id: string) => ownedBy(ev, id).filter((r) => r.retainOnDelete).map((r) => r.name).sort();
    expect(retained("db-bucket")).toEqual([]);
    expect(retained("db-prefix")).toEqual(["db-prefix-database@main", "db-prefix-migrations", "db-prefix-role@main", "db-prefix-seed"]);
    expect(retained("schema-bucket")).toEqual(["schema-bucket-bucket", "schema-bucket-migrations", "schema-bucket-role@main", "schema-bucket-schema@main", "schema-bucket-seed"]);
    expect(retained("schema-prefix")).toEqual([]);
    expect(retained("shared-prefix")).toEqual([]);
  });

  test("the database resources per isolation mode", () => {
    expect(byName(ev, "db-bucket-role@main").inputs).toMatchObject({ name: "tenant_db_bucket", login: true, inherit: false });
    // The admin owns the database, never the tenant (CONNECT and TEMPORARY come from TenantMigrations).
    expect(byName(ev, "db-bucket-database@main").inputs).toMatchObject({ name: "tenant_db_bucket", owner: "tenancy_admin" });
    expect(byName(ev, "db-bucket-suspension").inputs).toMatchObject({ role: "tenant_db_bucket", dropOwnedOnDelete: true });
    expect(byName(ev, "db-prefix-suspension").inputs).toMatchObject({ role: "tenant_db_prefix", dropOwnedOnDelete: false });
    expect(byName(ev, "db-bucket-revoke-public@main").inputs).toMatchObject({ database: "tenant_db_bucket", role: "public", objectType: "database", privileges: [] });
    expect(byName(ev, "schema-bucket-schema@main").inputs).toEqual({ name: "tenant_schema_bucket", database: "tenancy_schemas" });
    expect(byName(ev, "schema-bucket-schema-usage@main").inputs).toMatchObject({ database: "tenancy_schemas", schema: "tenant_schema_bucket", role: "tenant_schema_bucket", objectType: "schema", privileges: ["USAGE"] });
    expect(byName(ev, "schema-bucket-connect@main").inputs).toMatchObject({ database: "tenancy_schemas", role: "tenant_schema_bucket", objectType: "database", privileges: ["CONNECT"] });
    expect(byName(ev, "shared-bucket-role@main").inputs).toMatchObject({ name: "tenant_shared_bucket", login: true, roles: ["tenancy_app"] });
    expect(byName(ev, "shared-bucket-role@main").inputs).not.toHaveProperty("inherit");
    // The password reaches the role only as a secret.
    expect(byName(ev, "shared-bucket-role@main").secretInputs).toEqual(["password"]);
  });

  test("schema and shared tenants come after their server's shared roles and databases", () => {
    const server = ev.registrations.filter((r) => r.urn.includes("tenancy:database:DatabaseServer$")).map((r) => r.urn);
    expect(server.length).toBe(8);
    for (const name of ["schema-prefix-role@main", "schema-prefix-schema@main", "shared-prefix-role@main"]) {
      expect(byName(ev, name).dependencies).toEqual(expect.arrayContaining(server));
    }
    expect(byName(ev, "db-prefix-role@main").dependencies.filter((d) => server.includes(d))).toEqual([]);
  });

  test("a server whose shared objects another cell's stack manages gets no DatabaseServer here", async () => {
    const config = exampleConfig({ databaseServers: { main: { host: "db", adminUser: "admin", sslrootcert: "certs/db-main-ca.pem", manageShared: false } } });
    const other = await evaluate(() => registerProgram(catalog, config));
    expect(other.registrations.filter((r) => r.type.startsWith("tenancy:database:DatabaseServer"))).toEqual([]);
    expect(other.registrations.find((r) => r.name === "shared-prefix-role@main")!.inputs).toMatchObject({ roles: ["tenancy_app"] });
  });

  test("bucket mode: hardened bucket, versioning and retention from the YAML, tags", () => {
    expect(byName(ev, "db-bucket-bucket").inputs).toMatchObject({
      bucket: "example-tenancy-db-bucket",
      tags: { tenant: "db-bucket", plan: "enterprise", cell: "default", "managed-by": "tenancy" },
    });
    expect(byName(ev, "db-bucket-bucket-public-access").inputs).toMatchObject({ blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
    expect(byName(ev, "db-bucket-bucket-encryption").inputs).toMatchObject({ rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] });
    expect(byName(ev, "db-bucket-bucket-ownership").inputs).toMatchObject({ rule: { objectOwnership: "BucketOwnerEnforced" } });
    expect(byName(ev, "db-bucket-bucket-versioning").inputs).toMatchObject({ versioningConfiguration: { status: "Enabled" } });
    expect(byName(ev, "schema-bucket-bucket-versioning").inputs).toMatchObject({ versioningConfiguration: { status: "Suspended" } });
    expect(byName(ev, "db-bucket-bucket-lifecycle").inputs.rules).toEqual([
      { id: "tenant-noncurrent", status: "Enabled", filter: { prefix: "" }, noncurrentVersionExpiration: { noncurrentDays: 30 } },
    ]);
    expect(byName(ev, "schema-bucket-bucket-lifecycle").inputs.rules).toEqual([
      { id: "tenant-noncurrent", status: "Enabled", filter: { prefix: "" }, noncurrentVersionExpiration: { noncurrentDays: 7 } },
      { id: "tenant-current", status: "Enabled", filter: { prefix: "" }, expiration: { days: 365 } },
    ]);
    // Lifecycle rules are applied after versioning is configured.
    expect(byName(ev, "db-bucket-bucket-lifecycle").dependencies).toContain(byName(ev, "db-bucket-bucket-versioning").urn);
  });

  test("prefix mode: a policy scoped to the tenant's prefix of the shared bucket, whose lifecycle covers it", () => {
    const policy = byName(ev, "schema-prefix-storage-policy");
    expect(policy.inputs).toMatchObject({ name: "example-tenancy-schema-prefix-storage", tags: { tenant: "schema-prefix", "managed-by": "tenancy" } });
    expect(JSON.parse(policy.inputs.policy as string).Statement[0].Resource).toEqual(["arn:aws:s3:::example-tenancy-shared-default-eu-west-1/tenants/schema-prefix/*"]);
    const lifecycle = byName(ev, "shared-eu-west-1-bucket-lifecycle").inputs.rules as { id: string; filter: { prefix: string } }[];
    expect(lifecycle.map((r) => `${r.id} ${r.filter.prefix}`)).toEqual([
      "db-prefix-noncurrent tenants/db-prefix/",
      "schema-prefix-noncurrent tenants/schema-prefix/",
      "shared-prefix-noncurrent tenants/shared-prefix/",
    ]);
    expect(byName(ev, "shared-eu-west-1-bucket").retainOnDelete).toBe(true);
    // No region without prefix tenants gets a shared bucket.
    expect(ev.registrations.filter((r) => r.type === "tenancy:storage:SharedBucket").map((r) => r.name)).toEqual(["shared-eu-west-1"]);
  });

  test("prefix mode: a TenantPrefix that empties the tenant's prefix on deletion, unless on_delete is retain", () => {
    const prefix = byName(ev, "schema-prefix-storage-prefix");
    // moveGuard: the tenant (not protected) has a TenantMove that carries a change of its prefix over (providers/kit.ts MOVE_GUARD).
    expect(prefix.inputs).toEqual({ tenantId: "schema-prefix", bucket: "example-tenancy-shared-default-eu-west-1", region: "eu-west-1", prefix: "tenants/schema-prefix/", onDelete: "delete", moveGuard: true });
    // Its stored code only loads the current TenantPrefix implementation, whose delete empties the prefix.
    expect(prefix.providerCode).toContain('.provider("TenantPrefix")');
    expect(byName(ev, "db-prefix-storage-prefix").inputs).toMatchObject({ prefix: "tenants/db-prefix/", onDelete: "retain" });
    // No AWS provider for a dynamic resource; it comes after the shared bucket (its input) and the domain stage.
    expect(prefix.provider).toBeUndefined();
    expect(prefix.dependencies).toEqual(expect.arrayContaining([byName(ev, "shared-eu-west-1-bucket").urn, byName(ev, "schema-prefix-dns").urn]));
    // The tenant's data goes before its objects: the data stage depends on it.
    expect(byName(ev, "schema-prefix-schema@main").dependencies).toContain(prefix.urn);
  });

  test("domain: proxied record to ingress, certificate validated through Cloudflare", () => {
    expect(byName(ev, "db-bucket-dns").inputs).toEqual({
      zoneId: "0123456789abcdef0123456789abcdef",
      name: "db-bucket.saas.example.com",
      type: "CNAME",
      content: "ingress.saas.example.com",
      proxied: true,
      ttl: 1,
    });
    expect(byName(ev, "db-bucket-certificate").inputs).toMatchObject({ domainName: "db-bucket.saas.example.com", validationMethod: "DNS" });
    expect(byName(ev, "db-bucket-certificate-validation-record").inputs).toMatchObject({
      name: "_validate.db-bucket.saas.example.com",
      type: "CNAME",
      content: "_validate.db-bucket-certificate.acm-validations.aws",
      proxied: false,
    });
    expect(byName(ev, "db-bucket-certificate-validation").inputs).toMatchObject({
      certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/db-bucket-certificate",
      validationRecordFqdns: ["_validate.db-bucket.saas.example.com"],
    });
  });

  test("migrations and seed run after the tenant's database objects, as the server's admin, password secret", () => {
    const deps = (name: string) => byName(ev, name).dependencies;
    expect(deps("schema-bucket-migrations")).toEqual(
      expect.arrayContaining(["schema-bucket-role@main", "schema-bucket-schema@main", "schema-bucket-connect@main", "schema-bucket-schema-usage@main"].map((n) => byName(ev, n).urn)),
    );
    expect(deps("db-bucket-migrations")).toEqual(expect.arrayContaining(["db-bucket-role@main", "db-bucket-database@main", "db-bucket-revoke-public@main"].map((n) => byName(ev, n).urn)));
    expect(deps("db-bucket-seed")).toContain(byName(ev, "db-bucket-migrations").urn);
    const migrations = byName(ev, "shared-bucket-migrations");
    expect(migrations.inputs).toMatchObject({ host: "db-main.internal.example.com", port: 5432, user: "tenancy_admin", database: "tenancy_shared", isolation: "shared", role: "tenant_shared_bucket" });
    expect(migrations.secretInputs).toContain("password");
    expect(byName(ev, "db-bucket-seed").inputs).toMatchObject({ name: "DB-BUCKET", database: "tenant_db_bucket" });
  });

  test("identity: the organization and the default application follow the tenant and its host names", () => {
    expect(byName(ev, "shared-prefix-identity-seed").inputs).toMatchObject({
      tenantId: "shared-prefix",
      hostnames: ["shared-prefix.saas.example.com", "login.shared-prefix.example.org", "app.shared-prefix.example.org"],
    });
    expect(byName(ev, "shared-prefix-organization").inputs).toMatchObject({ displayName: "SHARED-PREFIX", metadata: { status: "suspended" } });
    expect(byName(ev, "shared-prefix-organization").secretInputs).toContain("connection.clientSecret");
  });

  test("suspended: DNS points at maintenance and the role cannot log in; nothing else differs", () => {
    expect(byName(ev, "shared-prefix-dns").inputs.content).toBe("maintenance.saas.example.com");
    expect(byName(ev, "shared-prefix-role@main").inputs.login).toBe(false);
    expect(byName(ev, "schema-prefix-dns").inputs.content).toBe("ingress.saas.example.com");
    expect(byName(ev, "schema-prefix-role@main").inputs.login).toBe(true);
  });

  test("a suspended tenant differs from its active twin in its doors (DNS, login, sessions, organization, storage, hooks) and its recorded configuration only", async () => {
    const twin = (status: string, mode: "bucket" | "prefix") => catalogOf({ twin: { status, database: { isolation: "database", server: "main" }, storage: { mode, versioning: true, noncurrent_days: 30 } } });
    const run = async (status: string, mode: "bucket" | "prefix") =>
      new Map((await evaluate(() => registerProgram(twin(status, mode), exampleConfig()))).registrations.map((r) => [r.urn, r]));
    const changedOf = (active: Map<string, Registration>, suspended: Map<string, Registration>) =>
      [...suspended].filter(([urn, r]) => JSON.stringify(active.get(urn)?.inputs) !== JSON.stringify(r.inputs)).map(([urn]) => urn.split("::")[3]).sort();
    // twin-move: a move keeps a suspended tenant's logins off (providers/move/move.ts), so its TenantMove records the status.
    const doors = ["twin-backup", "twin-deleted-hook", "twin-dns", "twin-lifecycle-hook", "twin-move", "twin-organization", "twin-role@main", "twin-suspension"];
    // Own bucket: a bucket policy denying the tenant's principals exists only while it is suspended.
    const [active, suspended] = [await run("active", "bucket"), await run("suspended", "bucket")];
    expect(changedOf(active, suspended)).toEqual([...doors, "twin-bucket-suspension"].sort());
    expect([...suspended.keys()].filter((urn) => !active.has(urn)).map((urn) => urn.split("::")[3])).toEqual(["twin-bucket-suspension"]);
    // The TenantMove differs in its status only: the place is the same.
    const move = (r: Map<string, Registration>) => [...r.values()].find((x) => x.name === "twin-move")!.inputs;
    expect({ ...move(suspended), suspended: false }).toEqual(move(active));
    expect([move(active).suspended, move(suspended).suspended]).toEqual([false, true]);
    const policy = [...suspended.values()].find((r) => r.type === "aws:s3/bucketPolicy:BucketPolicy")!;
    expect(JSON.parse(policy.inputs.policy as string).Statement[0]).toMatchObject({ Effect: "Deny", Condition: { StringEquals: { "aws:PrincipalTag/tenant": "twin" } } });
    // Prefix: its policy denies what it allowed.
    const [activePrefix, suspendedPrefix] = [await run("active", "prefix"), await run("suspended", "prefix")];
    expect([...suspendedPrefix.keys()].sort()).toEqual([...activePrefix.keys()].sort());
    expect(changedOf(activePrefix, suspendedPrefix)).toEqual([...doors, "twin-storage-policy"].sort());
    const effects = (r: Map<string, Registration>) => JSON.parse([...r.values()].find((x) => x.type === "aws:iam/policy:Policy")!.inputs.policy as string).Statement.map((s: { Effect: string }) => s.Effect);
    expect([effects(activePrefix), effects(suspendedPrefix)]).toEqual([["Allow", "Allow"], ["Deny", "Deny"]]);
  });
});
