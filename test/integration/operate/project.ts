// A scratch project for the operator's commands (lib/operate): a catalog directory, the stack config
// as the commands read it, and what `pulumi up` makes of a tenant replayed through the providers
// against the real services (PostgreSQL, s3rver, AuthHero), and what offboarding deletes.
//
// The commands read a cell's config through the Pulumi CLI (lib/operate/stack-config.ts, proven
// against the real CLI by test/engine/stack-config.test.ts). Here the config is built by the same
// operatorConfig() from raw values and handed in through OperateOptions.readConfig: the commands run
// as the CLI runs them, without a Pulumi backend.
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { stringify } from "yaml";
import { loadCatalog, readCatalogDir, type ResolvedTenant } from "../../../lib/catalog";
import type { ControlPlane } from "../../../lib/catalog/schema";
import { provisionSql, targetFor } from "../../../lib/database/layout";
import { migrationSet } from "../../../lib/database/migrations";
import { objectPlace } from "../../../lib/lifecycle/places";
import { naming } from "../../../lib/naming";
import { operatorConfig, type OperatorConfig } from "../../../lib/operate/stack-config";
import type { OrganizationState } from "../../../lib/operate/stack-state";
import type { OperateOptions } from "../../../lib/operate/tenant-context";
import { createManagementClient, type ManagementConnection } from "../../../providers/identity/client";
import { syncEntities } from "../../../providers/identity/entities";
import { organization, type OrganizationOutputs } from "../../../providers/identity/organization";
import { tenantMigrations } from "../../../providers/postgres/migrations";
import { tenantSeed } from "../../../providers/postgres/seed";
import { s3Client, type ObjectPlace } from "../../../providers/s3/client";
import { emptyPrefix } from "../../../providers/s3/empty-prefix";
import { listVersions } from "../../../providers/s3/list";
import type { AuthHeroServer } from "../../harness/authhero";
import type { TestS3 } from "../../harness/s3";
import type { Server } from "../postgres/setup";

export const PREFIX = "tnc-ops";
export const CELL = "default";
export const REGION = "eu-west-1";
export const TABLES = ["tenant_profile", "projects", "invoices"];
export const CANARY = "ops-canary-7d1e0c55b2";
export const ENTITIES: ControlPlane = {
  resource_servers: [{ identifier: "https://api.example.com", name: "Example API", scopes: [{ value: "read:projects", description: "" }] }],
  roles: [
    { name: "tenant-admin", description: "admin", permissions: [] },
    { name: "tenant-member", description: "member", permissions: [] },
  ],
};
const fast = { retry: { baseDelayMs: 5, maxDelayMs: 20 } };

const DEFAULTS = {
  tenant: {
    status: "active",
    plan: "pro",
    cell: CELL,
    region: REGION,
    database: { isolation: "shared", server: "main" },
    storage: { mode: "prefix", versioning: false, noncurrent_days: 30 },
    access: { admins: [], roles: [] },
    rollout: { ring: "stable" },
    lifecycle: { deletion_protection: false, on_delete: "backup" },
  },
  settings: { branding: { color: "#2255aa" }, features: { sso: false, audit_log: true } },
  inherit: ["branding", "features"],
  plans: ["pro"],
  reserved_subdomains: ["www"],
  rollout: { rings: { stable: 3 } },
  access: { admin_role: "tenant-admin", default_roles: ["tenant-member"] },
  limits: { max_depth: 3, max_file_bytes: 65536 },
};

export interface Services {
  server: Server;
  s3: TestS3;
  ah: AuthHeroServer;
}

/** What `pulumi up` left of a tenant that offboarding needs: its organization's state, its role's password. */
interface Deployed {
  password: string;
  org: { id: string; outs: OrganizationOutputs };
}

export class OpsProject {
  readonly dir: string;
  readonly config: OperatorConfig;
  /** The raw `tenancy:*` values, as a stack file and `pulumi config set --secret` would hold them. */
  readonly raw: { plain: Record<string, unknown>; secrets: Record<string, string> };
  private readonly deployed = new Map<string, Deployed>();
  private readonly rounds = new Map<string, number>();

  /** `dir`: a project directory that exists already (an engine test's copy of this project); a scratch one by default. */
  constructor(readonly services: Services, dir?: string) {
    const { server, s3, ah } = services;
    this.dir = dir ?? mkdtempSync(join(tmpdir(), "tenancy-ops-"));
    rmSync(join(this.dir, "tenants"), { recursive: true, force: true });
    mkdirSync(join(this.dir, "tenants"));
    writeFileSync(join(this.dir, "tenants/_defaults.yaml"), stringify(DEFAULTS));
    writeFileSync(join(this.dir, "tenants/_cells.yaml"), stringify({ cells: { [CELL]: { regions: [REGION] } }, database_servers: { main: {} } }));
    writeFileSync(join(this.dir, "tenants/_control-plane.yaml"), stringify(ENTITIES));
    this.raw = {
      plain: {
        databaseServers: { main: { host: server.admin.host, port: server.admin.port, adminUser: server.admin.user, sslmode: "disable" } },
        bucketPrefix: PREFIX,
        cloudflareZoneId: "0123456789abcdef0123456789abcdef",
        baseDomain: "saas.example.com",
        ingressTarget: "ingress.saas.example.com",
        maintenanceTarget: "maintenance.saas.example.com",
        s3Endpoint: s3.endpoint,
        controlPlane: { url: ah.url, clientId: ah.clientId, tenantId: ah.controlPlaneTenantId },
      },
      secrets: { "databasePasswords.main": server.admin.password, controlPlaneClientSecret: ah.clientSecret, webhookSecret: `whsec-${CANARY}` },
    };
    // Built as readStackConfig builds it from `pulumi config --json --show-secrets`.
    this.config = operatorConfig(
      { ...this.raw.plain, databasePasswords: { main: server.admin.password }, controlPlaneClientSecret: ah.clientSecret, webhookSecret: `whsec-${CANARY}` },
      CELL,
    );
  }

  /** How the commands reach the config, the catalog, and what the stack recorded of each organization. */
  get options(): OperateOptions {
    return { cwd: this.dir, readConfig: () => this.config, readOrganizations: () => this.organizationStates() };
  }

  /**
   * The Organization outputs `pulumi up` recorded, as readOrganizationStates reads them from
   * `pulumi stack export` (its parsing: test/unit/operate/stack-state.test.ts).
   */
  organizationStates(): Map<string, OrganizationState> {
    return new Map(
      [...this.deployed].map(([id, d]) => [id, { name: d.org.outs.name, ...(d.org.outs.suspendedMembers ? { suspendedMembers: d.org.outs.suspendedMembers } : {}) }]),
    );
  }

  get identity(): ManagementConnection {
    const { ah } = this.services;
    return { url: ah.url, clientId: ah.clientId, clientSecret: ah.clientSecret, controlPlaneTenantId: ah.controlPlaneTenantId };
  }

  /** The buckets a deployment has before any tenant: the backups bucket of the region, the cell's shared bucket. */
  async prepare(): Promise<void> {
    for (const bucket of [naming.backupBucket(PREFIX, REGION), naming.sharedBucket(PREFIX, CELL, REGION)]) {
      await this.services.s3.client.send(new CreateBucketCommand({ Bucket: bucket }));
    }
    await syncEntities(createManagementClient(this.identity), this.services.ah.controlPlaneTenantId, ENTITIES);
  }

  writeTenant(fields: Record<string, unknown>): void {
    writeFileSync(join(this.dir, `tenants/${fields.id}.yaml`), stringify(fields));
  }

  removeTenantFile(id: string): void {
    unlinkSync(join(this.dir, `tenants/${id}.yaml`));
  }

  tenant(id: string): ResolvedTenant {
    const loaded = loadCatalog(readCatalogDir("tenants", this.dir), "tenants");
    if (!loaded.ok) throw new Error(`catalog invalid: ${JSON.stringify(loaded.errors)}`);
    const t = loaded.catalog.tenants.find((x) => x.id === id);
    if (!t) throw new Error(`tenant ${id} is not in the scratch catalog`);
    return t;
  }

  tenantIds(): string[] {
    const loaded = loadCatalog(readCatalogDir("tenants", this.dir), "tenants");
    return loaded.ok ? loaded.catalog.tenants.map((t) => t.id) : [];
  }

  place(t: ResolvedTenant): ObjectPlace {
    return objectPlace(t, this.config);
  }

  password(id: string): string {
    return this.deployed.get(id)!.password;
  }

  /** What `pulumi up` makes of the tenant file: role and database/schema, migrations, profile row, bucket, organization. */
  async deploy(id: string): Promise<ResolvedTenant> {
    const { server, s3, ah } = this.services;
    const t = this.tenant(id);
    const password = `pw-${id}-${CANARY}`;
    for (const sql of provisionSql(t.database.isolation, id, password)) await server.query(sql);
    const target = { ...targetFor(server.admin, t.database.isolation, id), server: "main" };
    const set = migrationSet(t.max_migration);
    await tenantMigrations.create({ ...target, targetVersion: set.version, fingerprint: set.fingerprint });
    await tenantSeed.create({ ...target, name: t.name, friendlyName: t.friendly_name, settings: t.settings });
    if (t.storage.mode === "bucket") await s3.client.send(new CreateBucketCommand({ Bucket: this.place(t).bucket }));
    // The identity tenant record: the identity server's operator creates it (README, AuthHero 9.6.1 has no route).
    if (!(await ah.data.tenants.get(id))) await ah.createTenant(id, t.name);
    const org = await organization.create(
      {
        connection: this.identity,
        tenantId: id,
        displayName: t.name,
        metadata: { plan: t.plan, status: t.status, cell: t.cell },
        roles: ["tenant-member", ...t.access.roles],
        adminRole: "tenant-admin",
        admins: t.access.admins,
        ...(t.adopt?.organization ? { adoptedName: t.adopt.organization } : {}),
      },
      fast,
    );
    this.deployed.set(id, { password, org });
    return t;
  }

  /** `status: suspended` as `pulumi up` applies it to the organization (its members are taken out). */
  async suspendOrganization(t: ResolvedTenant): Promise<void> {
    const deployed = this.deployed.get(t.id)!;
    const { organizationId: _id, name: _name, members: _members, suspendedMembers: _closed, ...previous } = deployed.org.outs;
    const inputs = { ...previous, metadata: { plan: t.plan, status: "suspended", cell: t.cell } };
    deployed.org = { id: deployed.org.id, outs: (await organization.update(deployed.org.id, deployed.org.outs, inputs, fast)).outs };
  }

  /** The tenant's organization as the control plane holds it. */
  async organizationRecord(t: ResolvedTenant): Promise<{ id: string; metadata: Record<string, unknown> }> {
    const mc = createManagementClient(this.identity);
    const org = await mc.request<{ id: string; metadata?: Record<string, unknown> }>(this.services.ah.controlPlaneTenantId, "read", "GET", `/organizations/${this.deployed.get(t.id)!.org.id}`);
    return { id: org.id, metadata: org.metadata ?? {} };
  }

  /** Sets the organization's metadata by hand (as an older tenancy, or an operator, left it). */
  async setOrganizationMetadata(t: ResolvedTenant, metadata: Record<string, unknown>): Promise<void> {
    const mc = createManagementClient(this.identity);
    await mc.request(this.services.ah.controlPlaneTenantId, "set metadata", "PATCH", `/organizations/${this.deployed.get(t.id)!.org.id}`, { body: { metadata } });
  }

  /** The tenant's application at work: rows through its own role, objects in its place. */
  async use(t: ResolvedTenant, objects: Record<string, string>): Promise<void> {
    const { server, s3 } = this.services;
    const session = await server.tenantClient(t.database.isolation, t.id, this.password(t.id));
    try {
      await session.query(`SET search_path TO ${targetFor(server.admin, t.database.isolation, t.id).schema}`);
      const round = (this.rounds.get(t.id) ?? 0) + 1;
      this.rounds.set(t.id, round);
      await session.query(`INSERT INTO projects (name) SELECT '${t.id} project ${round}.' || g FROM generate_series(1, 12) g`);
      await session.query(`INSERT INTO invoices (project_id, amount_cents, currency) SELECT id, id * 125, 'EUR' FROM projects WHERE name LIKE '% ${round}.%'`);
    } finally {
      await session.end();
    }
    const place = this.place(t);
    for (const [key, body] of Object.entries(objects)) {
      await s3.client.send(new PutObjectCommand({ Bucket: place.bucket, Key: `${place.prefix}${key}`, Body: body, ContentType: key.endsWith(".csv") ? "text/csv" : "text/plain" }));
    }
  }

  /** What offboarding deletes after the backup: organization, role and database/schema/rows, objects and bucket. */
  async offboard(t: ResolvedTenant): Promise<void> {
    const { server, s3 } = this.services;
    const { org } = this.deployed.get(t.id)!;
    await organization.delete(org.id, org.outs, fast);
    const id = t.id;
    const role = naming.role(id);
    if (t.database.isolation === "database") await server.query(`DROP DATABASE IF EXISTS ${naming.database(id)} WITH (FORCE)`);
    if (t.database.isolation === "schema") {
      await server.query(`DROP SCHEMA IF EXISTS ${naming.schema(id)} CASCADE`, [], naming.schemaDatabase);
      await server.query(`REVOKE CONNECT ON DATABASE ${naming.schemaDatabase} FROM ${role}`);
    }
    if (t.database.isolation === "shared") {
      for (const table of [...TABLES].reverse()) await server.query(`DELETE FROM ${naming.sharedSchema}.${table} WHERE tenant_id = $1`, [id], naming.sharedDatabase);
      await server.query(`DELETE FROM ${naming.sharedSchema}.tenant_roles WHERE tenant_id = $1`, [id], naming.sharedDatabase);
    }
    for (const db of ["postgres", naming.schemaDatabase, naming.sharedDatabase]) {
      await server.query(`REASSIGN OWNED BY ${role} TO ${server.pg.user}`, [], db);
      await server.query(`DROP OWNED BY ${role}`, [], db);
    }
    await server.query(`DROP ROLE ${role}`);
    const place = this.place(t);
    if (t.storage.mode === "prefix") await emptyPrefix({ store: place, prefix: place.prefix, credentials: s3.credentials });
    else {
      for (const v of (await listVersions(s3.client, place.bucket, "")).versions) await s3.client.send(new DeleteObjectCommand({ Bucket: place.bucket, Key: v.key }));
      await s3.client.send(new DeleteBucketCommand({ Bucket: place.bucket }));
    }
    this.deployed.delete(id);
  }

  /** Rows per table (tenant_id left out, so a clone compares with its source), objects with ETags, settings, organization. */
  async fingerprint(t: ResolvedTenant) {
    const { server, s3 } = this.services;
    const target = targetFor(server.admin, t.database.isolation, t.id);
    const rows: Record<string, { rows: number; md5: string }> = {};
    for (const table of TABLES) {
      const [row] = await server.query(
        `SELECT count(*)::int AS rows, md5(coalesce(string_agg((to_jsonb(t) - 'tenant_id')::text, '|' ORDER BY (to_jsonb(t) - 'tenant_id')::text), '')) AS md5
           FROM ${target.schema}.${table} t WHERE tenant_id = $1`,
        [t.id],
        target.database,
      );
      rows[table] = row;
    }
    const place = this.place(t);
    const client = s3Client(place, s3.credentials);
    const objects = (await listVersions(client, place.bucket, place.prefix)).versions.map((v) => ({ key: v.key.slice(place.prefix.length), etag: v.etag, size: v.size }));
    client.destroy();
    const [profile] = await server.query(`SELECT settings FROM ${target.schema}.tenant_profile WHERE tenant_id = $1`, [t.id], target.database);
    const mc = createManagementClient(this.identity);
    const org = (await mc.listAll<{ id: string; name: string; display_name: string }>(this.services.ah.controlPlaneTenantId, "list", "/organizations")).find((o) => o.name === naming.organization(t.id, t.adopt?.organization));
    const members = org
      ? (await mc.listAll<{ email: string; roles: { name: string }[] }>(this.services.ah.controlPlaneTenantId, "list", `/organizations/${org.id}/members`))
          .map((m) => ({ email: m.email, roles: m.roles.map((r) => r.name).sort() }))
          .sort((a, b) => a.email.localeCompare(b.email))
      : [];
    return { rows, objects, settings: profile?.settings, organization: org ? { display_name: org.display_name, members } : null };
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

