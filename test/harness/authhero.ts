// The real AuthHero server (npm `authhero` 9.6.1, AGPL, test-only) in-process on 127.0.0.1, on an
// in-memory SQLite database through `@authhero/kysely-adapter` 10.119.0. Clients authenticate the
// genuine way: client-credentials against /oauth/token, RS256 JWT, `tenant-id` header for a child.
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import {
  Kysely,
  SqliteDialect,
  type KyselyPlugin,
  type OperationNode,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
  type ValuesNode,
  type SqliteDatabase,
} from "kysely";
import createAdapters, { migrateToLatest } from "@authhero/kysely-adapter";
import { init, seed, type DataAdapters } from "authhero";
import { serve, type ServerType } from "@hono/node-server";

// better-sqlite3 ships no types; Kysely's SqliteDatabase is the part used here.
const Database: new (filename: string) => SqliteDatabase = require("better-sqlite3");

export interface AuthHeroServer {
  /** Base URL, such as http://127.0.0.1:41234 (no trailing slash). */
  url: string;
  controlPlaneTenantId: string;
  /** The M2M client seeded on the control-plane tenant, with every Management API scope. */
  clientId: string;
  clientSecret: string;
  /** Direct access to the store, for what the Management API cannot do (creating a tenant) and for assertions. */
  data: DataAdapters;
  /** Milliseconds from an empty database to listening. */
  startMs: number;
  /** Creates a child tenant record (9.6.1 has no tenants route). */
  createTenant(id: string, name?: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Compatibility shim for the 9.6.1 server on the 10.119.0 adapter's schema. The server writes
 * columns that schema lacks (`users.registration_completed_at`, `clients.hide_sign_up_disabled_error`,
 * `clients.registration_metadata`, `connections.enabled_clients`); SQLite would reject the whole
 * statement, so inserts and updates drop columns the table does not have. Nothing the tests assert
 * lives in those columns.
 */
function dropUnknownColumns(columns: Map<string, Set<string>>): KyselyPlugin {
  const known = (table: string | undefined, column: string) => !table || !columns.has(table) || columns.get(table)!.has(column);
  const tableOf = (node: unknown): string | undefined => {
    const n = node as { kind?: string; table?: { identifier?: { name?: string } } } | undefined;
    return n?.kind === "TableNode" ? n.table?.identifier?.name : undefined;
  };
  const columnName = (node: unknown) => (node as { column: { name: string } }).column.name;
  return {
    transformQuery({ node }: PluginTransformQueryArgs): RootOperationNode {
      if (node.kind === "InsertQueryNode" && node.columns && node.values?.kind === "ValuesNode") {
        const table = tableOf(node.into);
        const keep = node.columns.map((c) => known(table, c.column.name));
        if (keep.every(Boolean)) return node;
        const values = (node.values as ValuesNode).values.map((row) => {
          const list = row as unknown as { kind: string; values: readonly unknown[] };
          return { ...list, values: list.values.filter((_, i) => keep[i]) } as unknown as OperationNode;
        });
        return {
          ...node,
          columns: node.columns.filter((_, i) => keep[i]),
          values: { ...node.values, values },
        } as RootOperationNode;
      }
      if (node.kind === "UpdateQueryNode" && node.updates) {
        const table = tableOf(node.table);
        const updates = node.updates.filter((u) => known(table, columnName(u.column)));
        return updates.length === node.updates.length ? node : ({ ...node, updates } as RootOperationNode);
      }
      return node;
    },
    async transformResult({ result }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
      return result;
    },
  };
}

/**
 * Compatibility shim: 9.6.1 looks signing keys up with Lucene-style `q` such as
 * `type:jwt_signing AND -_exists_:tenant_id`; the 10.119.0 parser reads `AND` as a search word and
 * finds nothing, so token signing fails. Keys are few: list them all and apply the terms here.
 */
function withKeyQueries(keys: DataAdapters["keys"]): DataAdapters["keys"] {
  const matches = (row: Record<string, unknown>, term: string) => {
    const negated = term.startsWith("-");
    const [field, value] = (negated ? term.slice(1) : term).split(/:(.*)/s, 2);
    const present = row[field!] !== null && row[field!] !== undefined && row[field!] !== "";
    const hit = field === "_exists_" ? row[value!] !== null && row[value!] !== undefined && row[value!] !== "" : present && String(row[field!]) === value;
    return negated ? !hit : hit;
  };
  return {
    ...keys,
    async list(params) {
      const { q, ...rest } = params ?? {};
      const result = await keys.list(rest);
      if (!q) return result;
      const terms = q.split(/\s+AND\s+/);
      return { ...result, signingKeys: result.signingKeys.filter((k) => terms.every((t) => matches(k as unknown as Record<string, unknown>, t))) };
    },
  };
}

/**
 * Compatibility shim: 9.6.1 creates users through `users.rawCreate` (inside a transaction); the
 * 10.119.0 adapter's plain `create` is that same hook-free insert under its old name.
 */
function bridged(adapters: DataAdapters): DataAdapters {
  const users = adapters.users as DataAdapters["users"] & { rawCreate?: DataAdapters["users"]["create"] };
  return {
    ...adapters,
    keys: withKeyQueries(adapters.keys),
    users: { ...users, rawCreate: users.rawCreate ?? ((tenantId, user) => users.create(tenantId, user)) },
    transaction: (fn) => adapters.transaction((trx) => fn(bridged(trx))),
  } as DataAdapters;
}

async function tableColumns(db: Kysely<any>): Promise<Map<string, Set<string>>> {
  const tables = await db.introspection.getTables();
  return new Map(tables.map((t) => [t.name, new Set(t.columns.map((c) => c.name))]));
}

export interface StartAuthHeroOptions {
  controlPlaneTenantId?: string;
  /** Secret of the M2M client, such as a canary string a test then looks for; random by default. */
  clientSecret?: string;
}

export async function startAuthHero(options: StartAuthHeroOptions = {}): Promise<AuthHeroServer> {
  const started = Date.now();
  const controlPlaneTenantId = options.controlPlaneTenantId ?? "control-plane";
  const sqlite = new Database(":memory:");
  const migrator = new Kysely<any>({ dialect: new SqliteDialect({ database: sqlite }) });
  // The migrations narrate on console.log even with debug off; that would bury test output.
  const log = console.log;
  console.log = () => undefined;
  try {
    await migrateToLatest(migrator, false);
  } finally {
    console.log = log;
  }
  // 9.6.1 reads and writes this column on every tenant; the 10.x migrations do not create it.
  await migrator.schema.alterTable("tenants").addColumn("default_client_id", "varchar(255)").execute();
  const db = migrator.withPlugin(dropUnknownColumns(await tableColumns(migrator)));
  const data: DataAdapters = {
    // The adapter is typed against its own copy of @authhero/adapter-interfaces; the shapes agree.
    ...bridged(createAdapters(db) as unknown as DataAdapters),
    // Without it the server refuses every cross-tenant call ("requires a control-plane token").
    multiTenancyConfig: { controlPlaneTenantId },
  } as DataAdapters;

  await seed(data, {
    adminUsername: "admin",
    adminPassword: randomBytes(18).toString("base64url"),
    tenantId: controlPlaneTenantId,
    tenantName: "Control Plane",
    isControlPlane: true,
    debug: false,
  });
  // seed() returns the default client, whose tokens carry no scope; the M2M client is the one allowed client_credentials.
  const { clients } = await data.clients.list(controlPlaneTenantId, {});
  const m2m = clients.find((c) => (c.grant_types ?? []).includes("client_credentials"));
  if (!m2m?.client_secret) throw new Error("AuthHero seed() created no client_credentials client");
  if (options.clientSecret) {
    await data.clients.update(controlPlaneTenantId, m2m.client_id, { client_secret: options.clientSecret });
    m2m.client_secret = options.clientSecret;
  }

  const env: { ISSUER: string; data: DataAdapters } = { ISSUER: "", data };
  const { app } = init({ dataAdapter: data });
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: (req) => app.fetch(req, env), port: 0, hostname: "127.0.0.1" }, () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  env.ISSUER = `${url}/`;

  return {
    url,
    controlPlaneTenantId,
    clientId: m2m.client_id,
    clientSecret: m2m.client_secret,
    data,
    startMs: Date.now() - started,
    async createTenant(id, name) {
      await data.tenants.create({ id, friendly_name: name ?? id, audience: `https://${id}.tenancy.test`, sender_email: "noreply@tenancy.test", sender_name: "tenancy" });
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => {
          sqlite.close();
          if (err) reject(err);
          else resolve();
        });
      }),
  };
}
