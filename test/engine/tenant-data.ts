// What the engine tests look at in the real services: a tenant's tables and rows as the tenant
// itself sees them (connected as its own role, with the password from the stack outputs), the
// admin's view of roles, databases and schemas, and what AuthHero holds.
import { Client } from "pg";
import { naming } from "../../lib/naming";
import type { EngineServices } from "./services";

export type Isolation = "database" | "schema" | "shared";

export function databaseOf(isolation: Isolation, id: string): string {
  return isolation === "database" ? naming.database(id) : isolation === "schema" ? naming.schemaDatabase : naming.sharedDatabase;
}

export function schemaOf(isolation: Isolation, id: string): string {
  return isolation === "shared" ? naming.sharedSchema : naming.schema(id);
}

/** A client connected as the tenant's own role, its schema first on the search path; on another server with `host` and `port`. */
export async function tenantClient(services: EngineServices, isolation: Isolation, id: string, password: string, host = services.pg.host, port = services.pg.port): Promise<Client> {
  const client = new Client({ host, port, user: naming.role(id), password, database: databaseOf(isolation, id) });
  await client.connect();
  await client.query(`SET search_path = ${client.escapeIdentifier(schemaOf(isolation, id))}`);
  return client;
}

/** Runs one admin query in `database`. */
export async function adminQuery<T = any>(services: EngineServices, sql: string, params: unknown[] = [], database = "postgres"): Promise<T[]> {
  const client = await services.pg.adminClient(database);
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Rows per table and an md5 over their text, of the tenant's rows, read as the tenant. */
export async function fingerprint(client: Client, tables: readonly string[]): Promise<Record<string, { rows: number; md5: string }>> {
  const out: Record<string, { rows: number; md5: string }> = {};
  for (const table of tables) {
    const [row] = (
      await client.query(`SELECT count(*)::int AS rows, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS md5 FROM ${client.escapeIdentifier(table)} t`)
    ).rows;
    out[table] = row;
  }
  return out;
}

/** The application's tables a tenant has at its migration version (0002 projects, 0003 invoices). */
export function applicationTables(version: number): string[] {
  return ["projects", "invoices"].slice(0, Math.max(0, version - 1));
}

/**
 * Writes a tenant's application data as the application would, through its own role: projects, and
 * an invoice for each where the tenant's version has invoices.
 */
export async function writeApplicationData(client: Client, projects: number, version: number): Promise<void> {
  for (let i = 0; i < projects; i++) {
    const { rows } = await client.query(`INSERT INTO projects (name) VALUES ($1) RETURNING id`, [`project-${i}`]);
    if (version >= 3) await client.query(`INSERT INTO invoices (project_id, amount_cents, currency) VALUES ($1, $2, 'EUR')`, [rows[0].id, 100 * (i + 1)]);
  }
}

export async function roleExists(services: EngineServices, id: string): Promise<{ exists: boolean; login: boolean }> {
  const rows = await adminQuery<{ rolcanlogin: boolean }>(services, `SELECT rolcanlogin FROM pg_roles WHERE rolname = $1`, [naming.role(id)]);
  return { exists: rows.length === 1, login: rows[0]?.rolcanlogin ?? false };
}

export async function databaseExists(services: EngineServices, name: string): Promise<boolean> {
  return (await adminQuery(services, `SELECT 1 FROM pg_database WHERE datname = $1`, [name])).length === 1;
}

export async function schemaExists(services: EngineServices, database: string, schema: string): Promise<boolean> {
  if (!(await databaseExists(services, database))) return false;
  return (await adminQuery(services, `SELECT 1 FROM pg_namespace WHERE nspname = $1`, [schema], database)).length === 1;
}

/** The organization named after the tenant on the control-plane tenant, or undefined. */
export async function organizationOf(services: EngineServices, id: string): Promise<{ id: string; name: string; display_name?: string; metadata?: Record<string, unknown> } | undefined> {
  const { organizations } = await services.authhero.data.organizations.list(services.authhero.controlPlaneTenantId, {});
  return (organizations as any[]).find((o) => o.name === id);
}

export async function rolesIn(services: EngineServices, identityTenant: string): Promise<string[]> {
  const { roles } = await services.authhero.data.roles.list(identityTenant, {});
  return (roles as any[]).map((r) => r.name).sort();
}

export async function resourceServersIn(services: EngineServices, identityTenant: string): Promise<string[]> {
  const { resource_servers } = await services.authhero.data.resourceServers.list(identityTenant, {});
  return (resource_servers as any[]).map((r) => r.identifier).sort();
}
