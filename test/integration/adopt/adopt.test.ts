// Adopting tenants that ran before tenancy, on the real services: a database, a schema, a bucket
// and an organization made by hand first, with data in them; then the project's providers run as
// `pulumi up` runs them for a tenant whose file says `adopt:`. They baseline and find what exists,
// write nothing of the tenant's, and the tenant then reads healthy in `tenancy status`.
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Catalog, ResolvedTenant } from "../../../lib/catalog";
import { migrationSet } from "../../../lib/database/migrations";
import { tenantStatuses } from "../../../lib/operate/status";
import { tenantPlaces } from "../../../lib/operate/tenant-context";
import { createManagementClient } from "../../../providers/identity/client";
import { entityFingerprint } from "../../../lib/identity/fingerprint";
import { entitySync } from "../../../providers/identity/entity-sync";
import { organization } from "../../../providers/identity/organization";
import { migrationInputProblems, tenantMigrations, type TenantMigrationsInputs } from "../../../providers/postgres/migrations";
import { fast, startFleet, S3RVER_CREDENTIALS, type Fleet } from "../status/fleet";

const TENANTS = {
  "old-db.yaml": `id: old-db
name: Old DB Co
database: { isolation: database, server: main }
storage: { mode: bucket, versioning: false, noncurrent_days: 30 }
adopt: { database: tenant_old_db, schema: tenant_old_db, migration_version: 2, bucket: legacy-uploads-eu, organization: old-db-customers }
`,
  "old-schema.yaml": `id: old-schema
name: Old Schema Co
database: { isolation: schema, server: main }
adopt: { schema: tenant_old_schema, migration_version: 3 }
`,
};

// What the running SaaS made with its own tooling: migrations 1 and 2's tables, by hand.
const V2_TABLES = (tenant: string) => `
  CREATE TABLE tenant_profile (tenant_id text PRIMARY KEY DEFAULT '${tenant}', name text NOT NULL, friendly_name text NOT NULL,
    settings jsonb NOT NULL DEFAULT '{}'::jsonb, updated_at timestamptz NOT NULL DEFAULT now());
  CREATE TABLE projects (tenant_id text NOT NULL DEFAULT '${tenant}', id bigint GENERATED ALWAYS AS IDENTITY, name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, name));
  INSERT INTO tenant_profile (name, friendly_name) VALUES ('Old DB Co', 'Old DB');
  INSERT INTO projects (name) SELECT 'project ' || n FROM generate_series(1, 500) n;`;
const V3_TABLE = (tenant: string) => `
  CREATE TABLE invoices (tenant_id text NOT NULL DEFAULT '${tenant}', id bigint GENERATED ALWAYS AS IDENTITY, project_id bigint NOT NULL,
    amount_cents bigint NOT NULL, currency char(3) NOT NULL, status text NOT NULL DEFAULT 'draft', issued_at timestamptz,
    PRIMARY KEY (tenant_id, id), FOREIGN KEY (tenant_id, project_id) REFERENCES projects (tenant_id, id) ON DELETE CASCADE);
  INSERT INTO invoices (project_id, amount_cents, currency) SELECT id, id * 100, 'EUR' FROM projects WHERE id <= 50;`;

let fleet: Fleet;
let catalog: Catalog;
const tenant = (id: string) => catalog.tenants.find((t) => t.id === id)!;
const main = () => fleet.servers.main;

function migrationInputs(t: ResolvedTenant, over: Partial<TenantMigrationsInputs> = {}): TenantMigrationsInputs {
  const set = migrationSet(t.max_migration);
  return { ...tenantPlaces(t, fleet.config()).target, server: t.database.server, targetVersion: set.version, fingerprint: set.fingerprint, baselineVersion: t.adopt?.migration_version, ...over };
}

/** Every row of the tenant's tables, as text: what "untouched" is compared with. */
async function contents(database: string, schema: string, tables: string[]): Promise<string> {
  const parts: string[] = [];
  for (const table of tables) {
    const rows = await main().query(`SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) AS digest, count(*)::int AS n FROM ${schema}.${table} t`, [], database);
    parts.push(`${table}:${rows[0].n}:${rows[0].digest}`);
  }
  return parts.join(" ");
}
const bookkeeping = async (database: string, schema: string) =>
  (await main().query(`SELECT version, name FROM ${schema}.schema_migrations ORDER BY version`, [], database)).map((r) => `${r.version} ${r.name}`);

beforeAll(async () => {
  fleet = await startFleet([]);
  catalog = fleet.catalog(TENANTS);
  const q = main().query;
  // The tenants' login roles: the program creates them (postgresql.Role); everything else exists already.
  await q("CREATE ROLE tenant_old_db LOGIN PASSWORD 'x1y2z3x1y2z3'");
  await q("CREATE ROLE tenant_old_schema LOGIN PASSWORD 'x1y2z3x1y2z3'");
  // old-db: a database of its own, owned by the admin (the runbook's first step), its tables in schema tenant_old_db.
  await q("CREATE DATABASE tenant_old_db");
  await q(`CREATE SCHEMA tenant_old_db; SET search_path TO tenant_old_db; ${V2_TABLES("old-db")}`, [], "tenant_old_db");
  // old-schema: a schema in the server's schemas database, at version 3.
  await q(`CREATE SCHEMA tenant_old_schema; SET search_path TO tenant_old_schema; ${V2_TABLES("old-schema")} ${V3_TABLE("old-schema")}`, [], "tenancy_schemas");
  // Its bucket and objects, under the bucket's own name.
  await fleet.s3.client.send(new CreateBucketCommand({ Bucket: "legacy-uploads-eu" }));
  for (const key of ["avatars/1.png", "avatars/2.png", "exports/2025.csv"]) {
    await fleet.s3.client.send(new PutObjectCommand({ Bucket: "legacy-uploads-eu", Key: key, Body: `content of ${key}` }));
  }
}, 180_000);
afterAll(async () => {
  await fleet?.stop();
});

describe("adopting a database and its tables (the migration runner's baseline)", () => {
  it("records migrations 1..2 as applied without running them, runs 3, and changes no row; a rerun changes nothing", async () => {
    const tables = ["tenant_profile", "projects"];
    const before = await contents("tenant_old_db", "tenant_old_db", tables);
    const { outs } = await tenantMigrations.create(migrationInputs(tenant("old-db")));
    expect(outs).toMatchObject({ version: 3, applied: [3], reverted: [], tables: ["invoices", "projects", "tenant_profile"] });
    expect(await bookkeeping("tenant_old_db", "tenant_old_db")).toEqual(["1 tenant_profile", "2 projects", "3 invoices"]);
    expect(await contents("tenant_old_db", "tenant_old_db", tables)).toBe(before);
    expect(before).toMatch(/^tenant_profile:1:\w+ projects:500:\w+$/);
    // The tenant's role can use its adopted tables now (the runner's grants).
    const granted = await main().query(`SELECT has_table_privilege('tenant_old_db', 'tenant_old_db.projects', 'SELECT') AS ok`, [], "tenant_old_db");
    expect(granted[0].ok).toBe(true);

    const again = await tenantMigrations.create(migrationInputs(tenant("old-db")));
    expect(again.outs).toMatchObject({ version: 3, applied: [], reverted: [] });
    expect(await bookkeeping("tenant_old_db", "tenant_old_db")).toEqual(["1 tenant_profile", "2 projects", "3 invoices"]);
    expect(await contents("tenant_old_db", "tenant_old_db", tables)).toBe(before);
  });

  it("a schema at the latest version: every migration recorded, none run, no row changed", async () => {
    const tables = ["tenant_profile", "projects", "invoices"];
    const before = await contents("tenancy_schemas", "tenant_old_schema", tables);
    const { outs } = await tenantMigrations.create(migrationInputs(tenant("old-schema")));
    expect(outs).toMatchObject({ version: 3, applied: [], reverted: [] });
    expect(await bookkeeping("tenancy_schemas", "tenant_old_schema")).toEqual(["1 tenant_profile", "2 projects", "3 invoices"]);
    expect(await contents("tenancy_schemas", "tenant_old_schema", tables)).toBe(before);
  });

  it("refuses, recording nothing, a schema that lacks a table of the stated version or whose tables the admin does not own", async () => {
    const q = main().query;
    await q(`CREATE SCHEMA tenant_short; SET search_path TO tenant_short; ${V2_TABLES("short")}`, [], "tenancy_schemas");
    await q("CREATE ROLE tenant_short LOGIN PASSWORD 'x1y2z3x1y2z3'");
    const short = { ...migrationInputs(tenant("old-schema")), tenantId: "short", schema: "tenant_short", role: "tenant_short", baselineVersion: 3 };
    await expect(tenantMigrations.create(short)).rejects.toThrow(
      "cannot baseline short at migration version 3: tenancy_schemas.tenant_short lacks table(s) invoices that migrations 1..3 make; adopt it at the version its tables are at (adopt.migration_version); nothing was recorded",
    );
    expect(await bookkeeping("tenancy_schemas", "tenant_short")).toEqual([]);

    await q("CREATE ROLE legacy_app NOLOGIN; ALTER TABLE tenant_short.projects OWNER TO legacy_app", [], "tenancy_schemas");
    await expect(tenantMigrations.create({ ...short, baselineVersion: 2 })).rejects.toThrow(
      /cannot baseline short: table\(s\) projects \(owner legacy_app\) are not owned by the admin \w+, .*ALTER TABLE \.\.\. OWNER TO/,
    );
    expect(await bookkeeping("tenancy_schemas", "tenant_short")).toEqual([]);
    expect((await q("SELECT count(*)::int AS n FROM tenant_short.projects", [], "tenancy_schemas"))[0].n).toBe(500);
  });

  it("the inputs refuse a baseline above the target version, or for a shared tenant", () => {
    const t = tenant("old-db");
    expect(migrationInputProblems(migrationInputs(t, { baselineVersion: 4, targetVersion: 3 }))).toEqual([
      "baselineVersion 4 is above targetVersion 3: the adopted tables would be lowered at once, their down migrations dropping them",
    ]);
    expect(migrationInputProblems(migrationInputs(t, { isolation: "shared", baselineVersion: 1 }))).toContain("baselineVersion: a shared tenant has no schema of its own to adopt");
  });
});

describe("adopting an organization", () => {
  it("finds it by its own name and keeps it, its members and their roles; no organization is created", async () => {
    const client = createManagementClient(fleet.identity);
    const cp = fleet.ah.controlPlaneTenantId;
    const org = await client.request<{ id: string }>(cp, "create", "POST", "/organizations", { body: { name: "old-db-customers", display_name: "Old DB customers" } });
    const user = await client.request<{ user_id: string }>(cp, "user", "POST", "/users", { body: { email: "customer@old-db.example.com", connection: "Username-Password-Authentication" } });
    await client.request(cp, "add", "POST", `/organizations/${org.id}/members`, { body: { members: [user.user_id] } });
    await fleet.ah.createTenant("old-db");
    const t = tenant("old-db");
    await entitySync.create({ connection: fleet.identity, tenantId: t.id, entities: catalog.controlPlane, fingerprint: entityFingerprint(catalog.controlPlane) }, fast);

    const inputs = {
      connection: fleet.identity,
      tenantId: t.id,
      displayName: t.name,
      metadata: { plan: t.plan, status: t.status, cell: t.cell },
      roles: ["tenant-member"],
      adminRole: "tenant-admin",
      admins: ["ops@old-db.example.com"],
      adoptedName: t.adopt!.organization!,
    };
    const { id } = await organization.create(inputs, fast);
    expect(id).toBe(org.id);
    const all = await client.listAll<{ name: string }>(cp, "list", "/organizations");
    expect(all.filter((o) => o.name === "old-db-customers")).toHaveLength(1);
    expect(all.filter((o) => o.name === "old-db")).toEqual([]);
    const members = await client.listAll<{ email: string }>(cp, "members", `/organizations/${org.id}/members`);
    expect(members.map((m) => m.email).sort()).toEqual(["customer@old-db.example.com", "ops@old-db.example.com"]);
    // Another name for the same tenant is another organization: refused as a move, never replaced.
    const olds = { ...inputs, organizationId: id, name: "old-db-customers", members: {} };
    await expect(organization.diff(id, olds, { ...inputs, adoptedName: "other-name" })).rejects.toThrow(/adoptedName/);
  });
});

describe("an adopted tenant in tenancy status", () => {
  it("is read under its adopted names: its own bucket's hand-made objects, its organization, its baselined tables; healthy", async () => {
    const statuses = await tenantStatuses({ format: "json", catalog, cell: "default", readConfig: () => fleet.config(), s3Credentials: S3RVER_CREDENTIALS, identityClient: fast });
    const oldDb = statuses.find((s) => s.expected.id === "old-db")!;
    expect(oldDb.problems).toEqual([]);
    expect(oldDb.storage).toEqual({ reachable: true, bucketExists: true, objects: 3, bytes: 75 });
    expect(oldDb.identity).toMatchObject({ organization: { name: "old-db-customers" }, members: 2 });
    expect(oldDb.database).toMatchObject({ version: 3, tables: ["invoices", "projects", "tenant_profile"] });
    const body = await fleet.s3.client.send(new GetObjectCommand({ Bucket: "legacy-uploads-eu", Key: "avatars/1.png" }));
    expect(await body.Body!.transformToString()).toBe("content of avatars/1.png");
  });
});
