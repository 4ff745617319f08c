// Where a tenant lives on a database server, and the roles and grants around it. `provisionSql`
// is the SQL twin of what the Pulumi program creates with @pulumi/postgresql (Role, Database,
// Grant); the isolation tests run it, so the grants that keep tenants apart are proven here.
import type { Connection } from "../../providers/postgres/connection";
import type { Isolation, Target } from "../../providers/postgres/target";
import { naming } from "../naming";
import { literal } from "./sql";

/** Admin connection to a server; `database` is filled in per tenant. */
export type ServerConnection = Omit<Connection, "database">;

export function databaseOf(isolation: Isolation, tenantId: string): string {
  if (isolation === "database") return naming.database(tenantId);
  return isolation === "schema" ? naming.schemaDatabase : naming.sharedDatabase;
}

/**
 * Database mode uses the tenant's schema inside its own database too, not `public`: databases
 * whose tenant owned them (before the admin did) may hold the tenant's objects in `public`.
 */
export function schemaOf(isolation: Isolation, tenantId: string): string {
  return isolation === "shared" ? naming.sharedSchema : naming.schema(tenantId);
}

/** Where a tenant's tables live, apart from the server: every name from lib/naming.ts. */
export type Placement = Omit<Target, keyof ServerConnection>;

export function placement(isolation: Isolation, tenantId: string): Placement {
  return {
    database: databaseOf(isolation, tenantId),
    isolation,
    tenantId,
    schema: schemaOf(isolation, tenantId),
    role: naming.role(tenantId),
    ownerRole: naming.sharedOwnerRole,
    appRole: naming.sharedAppRole,
  };
}

/** The migration target of a tenant on a server. */
export function targetFor(server: ServerConnection, isolation: Isolation, tenantId: string): Target {
  return { ...server, ...placement(isolation, tenantId) };
}

function createRole(name: string, attributes: string): string {
  return `DO $$ BEGIN CREATE ROLE ${name} ${attributes}; EXCEPTION WHEN duplicate_object THEN NULL; END $$`;
}

/**
 * Once per server, run by the admin in its maintenance database (CREATE DATABASE cannot run in
 * a transaction, so these are separate statements). `admin` is the migrating role: it must be able
 * to SET ROLE to the owner of the shared tables.
 *
 * Pulumi equivalent: Role tenancy_owner (login false) and Role tenancy_app (login false), the owner
 * role granted to the admin (Role.roles or GrantRole); Database tenancy_schemas (owner: admin),
 * Database tenancy_shared (owner: tenancy_owner); on both databases a Grant to role `public` with
 * privileges [] (revokes CONNECT and TEMPORARY from PUBLIC); Grant CONNECT on tenancy_shared to
 * tenancy_app.
 */
export function serverProvisionSql(admin: string): string[] {
  return [
    createRole(naming.sharedOwnerRole, "NOLOGIN"),
    createRole(naming.sharedAppRole, "NOLOGIN"),
    `GRANT ${naming.sharedOwnerRole} TO ${admin}`,
    `CREATE DATABASE ${naming.schemaDatabase} OWNER ${admin} TEMPLATE template0`,
    `REVOKE ALL ON DATABASE ${naming.schemaDatabase} FROM PUBLIC`,
    `CREATE DATABASE ${naming.sharedDatabase} OWNER ${naming.sharedOwnerRole} TEMPLATE template0`,
    `REVOKE ALL ON DATABASE ${naming.sharedDatabase} FROM PUBLIC`,
    `GRANT CONNECT ON DATABASE ${naming.sharedDatabase} TO ${naming.sharedAppRole}`,
  ];
}

/**
 * Per tenant, run by the admin in its maintenance database, before TenantMigrations. `template`
 * (database mode) clones a database built by ensureTemplate instead of migrating an empty one.
 *
 * Pulumi equivalent:
 * - database: Role (login, inherit false, password); Database (owner: the admin, never the tenant:
 *   an owner could give the database settings every admin session takes, and create schemas and
 *   functions in it); Grant to role `public`, objectType database, privileges [] (revokes PUBLIC's
 *   CONNECT and TEMPORARY). CONNECT and TEMPORARY for the tenant role, USAGE on its schema and DML
 *   on its tables come from TenantMigrations. The tables live in a schema named like the role,
 *   which the tenant's default search_path ("$user") finds.
 * - schema:   Role (login, inherit false, password); Grant CONNECT on tenancy_schemas to the role.
 *   The schema itself, and USAGE on it for the role alone, come from TenantMigrations.
 * - shared:   Role (login, password, roles: [tenancy_app]); nothing else: CONNECT comes through
 *   tenancy_app, and the rows through the policies TenantMigrations installs.
 * New databases are made from template0, as the Pulumi provider makes them: template1 is open to
 * PUBLIC by default, and whatever a role leaves there (a large object) would be copied.
 */
export function provisionSql(isolation: Isolation, tenantId: string, password: string, options: { template?: string } = {}): string[] {
  const role = naming.role(tenantId);
  const login = `LOGIN PASSWORD ${literal(password)}`;
  if (isolation === "database") {
    const db = naming.database(tenantId);
    return [createRole(role, `${login} NOINHERIT`), `CREATE DATABASE ${db} TEMPLATE ${options.template ?? "template0"}`, `REVOKE ALL ON DATABASE ${db} FROM PUBLIC`];
  }
  if (isolation === "schema") {
    return [createRole(role, `${login} NOINHERIT`), `GRANT CONNECT ON DATABASE ${naming.schemaDatabase} TO ${role}`];
  }
  return [createRole(role, `${login} INHERIT IN ROLE ${naming.sharedAppRole}`)];
}
