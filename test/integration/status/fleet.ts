// A small fleet provisioned for real by the project's own code (the migration runner, the identity
// providers, the S3 client) on two embedded PostgreSQL servers, s3rver and AuthHero, with the stack
// config a `pulumi config --json --show-secrets` would hand over: what `tenancy status` and the
// adoption tests read.
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { loadCatalog, type Catalog, type ResolvedTenant } from "../../../lib/catalog";
import { loadMigrations } from "../../../lib/database/migrations";
import { entityFingerprint } from "../../../lib/identity/fingerprint";
import { objectPlace } from "../../../lib/lifecycle/places";
import { operatorConfig, type OperatorConfig } from "../../../lib/operate/stack-config";
import { createManagementClient, type ManagementConnection } from "../../../providers/identity/client";
import { syncEntities } from "../../../providers/identity/entities";
import { entitySync } from "../../../providers/identity/entity-sync";
import { organization } from "../../../providers/identity/organization";
import { migrate } from "../../../providers/postgres/runner";
import { tenantSeed } from "../../../providers/postgres/seed";
import { suspendRole } from "../../../providers/postgres/suspend";
import { naming } from "../../../lib/naming";
import { startAuthHero, type AuthHeroServer } from "../../harness/authhero";
import { startS3, S3RVER_CREDENTIALS, type TestS3 } from "../../harness/s3";
import { exampleRawConfig } from "../../unit/tenancy-fixtures";
import { startServer, type Server } from "../postgres/setup";

export const CONTROL_PLANE = `resource_servers:
  - identifier: https://api.example.com
    name: Example API
    scopes: [{ value: "read:projects" }, { value: "write:projects" }]
roles:
  - name: tenant-admin
    permissions: [{ resource_server: https://api.example.com, scopes: ["read:projects", "write:projects"] }]
  - name: tenant-member
    permissions: [{ resource_server: https://api.example.com, scopes: ["read:projects"] }]
`;

const DEFAULTS = `tenant:
  status: active
  plan: starter
  cell: default
  region: eu-west-1
  database: { isolation: shared, server: main }
  storage: { mode: prefix, versioning: false, noncurrent_days: 30 }
  access: { admins: [], roles: [] }
  rollout: { ring: stable }
  lifecycle: { deletion_protection: false, on_delete: backup }
plans: [starter, pro]
rollout:
  rings: { canary: 3, stable: 3, early: 2 }
access:
  admin_role: tenant-admin
  default_roles: [tenant-member]
`;

const CELLS = `cells:
  default: { regions: [eu-west-1] }
database_servers:
  main:
  second:
`;

export const fast = { retry: { baseDelayMs: 5, maxDelayMs: 20, attempts: 2 } };

export interface Fleet {
  servers: Record<"main" | "second", Server>;
  s3: TestS3;
  ah: AuthHeroServer;
  identity: ManagementConnection;
  /** The catalog of `tenants` (file name -> YAML), with the fleet's catalog-wide files. */
  catalog(tenants: Record<string, string>): Catalog;
  /** The cell's stack config, as read through the Pulumi CLI. */
  config(): OperatorConfig;
  stop(): Promise<void>;
}

export async function startFleet(buckets: string[]): Promise<Fleet> {
  const [main, second, ah] = await Promise.all([startServer(), startServer(), startAuthHero()]);
  const s3 = await startS3([naming.sharedBucket("example-tenancy", "default", "eu-west-1"), ...buckets]);
  const identity = { url: ah.url, clientId: ah.clientId, clientSecret: ah.clientSecret, controlPlaneTenantId: ah.controlPlaneTenantId };
  const server = (s: Server) => ({ host: s.admin.host, port: s.admin.port, adminUser: s.admin.user, sslmode: "disable" });
  const raw = exampleRawConfig({
    databaseServers: { main: server(main), second: server(second) },
    databasePasswords: { main: main.admin.password, second: second.admin.password },
    s3Endpoint: s3.endpoint,
    controlPlane: { url: ah.url, clientId: ah.clientId, tenantId: ah.controlPlaneTenantId },
    controlPlaneClientSecret: ah.clientSecret,
  });
  const config = operatorConfig(raw, "default");
  const catalog = (tenants: Record<string, string>) => {
    const texts: Record<string, string> = { "_defaults.yaml": DEFAULTS, "_cells.yaml": CELLS, "_control-plane.yaml": CONTROL_PLANE, ...tenants };
    const loaded = loadCatalog(Object.entries(texts).map(([name, text]) => ({ name, path: `tenants/${name}`, text })));
    if (!loaded.ok) throw new Error(`fleet catalog invalid: ${JSON.stringify(loaded.errors)}`);
    return loaded.catalog;
  };
  await syncEntities(createManagementClient(identity), ah.controlPlaneTenantId, catalog({}).controlPlane);
  return {
    servers: { main, second },
    s3,
    ah,
    identity,
    catalog,
    config: () => config,
    async stop() {
      await Promise.allSettled([main.stop(), second.stop(), s3.stop(), ah.stop()]);
    },
  };
}

/** Provisions `t` as `pulumi up` would leave it: role and database place, migrations, objects, identity tenant, entity copies, organization. */
export async function provision(fleet: Fleet, catalog: Catalog, t: ResolvedTenant, objects: Record<string, string> = {}): Promise<void> {
  const server = fleet.servers[t.database.server as "main" | "second"];
  const { target } = await server.tenant(t.database.isolation, t.id);
  await migrate(target, loadMigrations(), Math.min(t.max_migration, loadMigrations().length));
  await tenantSeed.create({ ...target, server: t.database.server, name: t.name, friendlyName: t.friendly_name ?? t.name, settings: t.settings });
  if (t.status === "suspended") await suspendRole(target, naming.role(t.id));
  const place = objectPlace(t, { bucketPrefix: fleet.config().bucketPrefix, cell: t.cell });
  for (const [key, body] of Object.entries(objects)) await fleet.s3.client.send(new PutObjectCommand({ Bucket: place.bucket, Key: `${place.prefix}${key}`, Body: body }));
  await fleet.ah.createTenant(naming.identityTenant(t.id));
  await entitySync.create({ connection: fleet.identity, tenantId: t.id, entities: catalog.controlPlane, fingerprint: entityFingerprint(catalog.controlPlane) }, fast);
  await organization.create(
    {
      connection: fleet.identity,
      tenantId: t.id,
      displayName: t.name,
      metadata: { plan: t.plan, status: t.status, cell: t.cell },
      roles: ["tenant-member"],
      adminRole: "tenant-admin",
      admins: [`ops@${t.id}.example.com`],
      ...(t.adopt?.organization ? { adoptedName: t.adopt.organization } : {}),
    },
    fast,
  );
}

export { S3RVER_CREDENTIALS };
