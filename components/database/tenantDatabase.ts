import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import { naming } from "../../lib/naming";
import { assertNoProblems, childOptions } from "../options";
import { databaseArgProblems, type TenantDatabaseArgs } from "./args";
import { TenantMigrations, TenantPassword, TenantSeed, TenantSuspension, tenantSuspensionArgs } from "./resources";

export interface TenantDatabaseOptions extends pulumi.ComponentResourceOptions {
  /** Resources every child must come after (and be deleted before): the parent tenant. */
  after?: pulumi.Resource[];
}

/**
 * The tenant's login role and, per isolation mode, its own database, its own schema, or a share of
 * the common tables. Mirrors `provisionSql` in lib/database/layout.ts, whose isolation tests prove
 * these grants keep tenants apart.
 */
export class TenantDatabase extends pulumi.ComponentResource {
  /** Login role of the tenant. */
  declare public readonly roleName: pulumi.Output<string>;
  /** Generated password of the role; a secret. */
  declare public readonly password: pulumi.Output<string>;
  /** Database the tenant's data lives in: its own, or one of the server's shared databases. */
  declare public readonly databaseName: pulumi.Output<string>;
  /** The tenant's schema (isolation `schema` only). */
  declare public readonly schemaName: pulumi.Output<string | undefined>;

  constructor(name: string, args: TenantDatabaseArgs, opts: TenantDatabaseOptions = {}) {
    const { after = [], ...componentOpts } = opts;
    super("tenancy:database:TenantDatabase", name, {}, componentOpts);
    assertNoProblems("TenantDatabase", name, databaseArgProblems(args));
    const id = args.tenantId;
    const onServer = [...after, ...(args.server ? [args.server] : [])];
    const child = (extra: pulumi.CustomResourceOptions = {}) => childOptions(this, onServer, { provider: args.provider, ...extra });
    const data = args.protection;
    const adopt = args.adopt ?? {};
    // Named by server (naming.serverResource); the alias is the name they had before, so a stack
    // deployed then renames them in its state, changing nothing on the server.
    const onServerName = (part: string) => naming.serverResource(id, part, args.connection.name);
    const renamed = (part: string): pulumi.CustomResourceOptions => ({ aliases: [{ name: naming.resource(id, part) }] });

    // Letters and digits only: the password goes into connection URLs unescaped.
    const password = new TenantPassword(naming.resource(id, "db-password"), { length: 40 }, childOptions(this, after));
    const role = new postgresql.Role(
      onServerName("role"),
      {
        name: naming.role(id),
        login: !args.suspended,
        password: password.password,
        // Shared tenants reach the tables only through the application role; the others inherit nothing.
        ...(args.isolation === "shared" ? { roles: [naming.sharedAppRole] } : { inherit: false }),
      },
      // Retained with the tenant's data: the role holds the grants on it, and dropping it would
      // drop what the tenant made (TenantSuspension's delete releases it everywhere otherwise).
      child({ retainOnDelete: data.retainOnDelete, ...renamed("role") }),
    );
    const ready: pulumi.Resource[] = [role];
    // A non-superuser admin acts as the tenant role in shared mode, for the backup's pg_dump --role
    // (row-level security then selects the tenant's rows). Database mode no longer needs it (the
    // admin owns the database) and keeps it so that no stack sees a resource go; harmless either
    // way: the admin gains the tenant's rights, the tenant nothing. Schema mode needs none.
    const member =
      args.isolation === "schema"
        ? undefined
        : new postgresql.GrantRole(onServerName("admin-member"), { role: args.connection.user, grantRole: role.name }, child(renamed("admin-member")));
    if (member) ready.push(member);

    let databaseName: pulumi.Output<string>;
    let schemaName: pulumi.Output<string | undefined> = pulumi.output(undefined);
    switch (args.isolation) {
      case "database": {
        // Owned by the admin, never by the tenant: an owner can give the database settings every
        // later session takes (ALTER DATABASE ... SET role), and create schemas and functions in it.
        // The tenant gets CONNECT and TEMPORARY from TenantMigrations. (A stack whose databases its
        // tenants owned sees an update of `owner`, in place: ALTER DATABASE ... OWNER TO.)
        const database = new postgresql.Database(
          onServerName("database"),
          { name: naming.database(id), owner: args.connection.user },
          // After the role (dropped before it), and the admin's membership, as before. An adopted
          // database is imported by its name: read, never created (its owner must be the admin already).
          child({
            protect: data.protect,
            retainOnDelete: data.retainOnDelete,
            dependsOn: [role, ...(member ? [member] : [])],
            ...(adopt.database ? { import: naming.database(id) } : {}),
            ...renamed("database"),
          }),
        );
        // Every role may connect to a new database through PUBLIC; an empty privilege list revokes it.
        const revoke = new postgresql.Grant(
          onServerName("revoke-public"),
          { database: database.name, role: "public", objectType: "database", privileges: [] },
          child(renamed("revoke-public")),
        );
        databaseName = database.name;
        ready.push(database, revoke);
        break;
      }
      case "schema": {
        const schema = new postgresql.Schema(
          onServerName("schema"),
          // Owned by the admin, not the tenant: a schema owner may drop the tables the migrations create.
          { name: naming.schema(id), database: naming.schemaDatabase },
          // An adopted schema is imported (id <database>.<schema>): read, never created.
          child({ protect: data.protect, retainOnDelete: data.retainOnDelete, ...(adopt.schema ? { import: `${naming.schemaDatabase}.${naming.schema(id)}` } : {}), ...renamed("schema") }),
        );
        const connect = new postgresql.Grant(
          onServerName("connect"),
          { database: naming.schemaDatabase, role: role.name, objectType: "database", privileges: ["CONNECT"] },
          child(renamed("connect")),
        );
        const usage = new postgresql.Grant(
          onServerName("schema-usage"),
          { database: naming.schemaDatabase, schema: schema.name, role: role.name, objectType: "schema", privileges: ["USAGE"] },
          child(renamed("schema-usage")),
        );
        databaseName = pulumi.output(naming.schemaDatabase);
        schemaName = schema.name;
        ready.push(schema, connect, usage);
        break;
      }
      case "shared":
        // Membership of the application role (above) is all: row-level security keyed on the role
        // keeps the rows apart (the policies come with the migrations).
        databaseName = pulumi.output(naming.sharedDatabase);
        break;
    }

    // The tables, then the profile row. Their delete removes the tenant's schema or rows (schema and
    // shared modes), so they carry the data resources' protection: otherwise a protected or retained
    // schema would be emptied by its migrations' delete, which runs first.
    // A protected tenant's place is not movable: a move ends with the old place's resources deleted,
    // which protection refuses, so the place change is refused before anything runs (providers/kit.ts).
    const target = { server: args.connection, tenantId: id, isolation: args.isolation, movable: !data.protect };
    const migrations = new TenantMigrations(
      naming.resource(id, "migrations"),
      { ...target, maxVersion: args.maxMigration, sets: args.migrationSets, ...(adopt.migrationVersion ? { baselineVersion: adopt.migrationVersion } : {}) },
      childOptions(this, [...onServer, ...ready], { protect: data.protect, retainOnDelete: data.retainOnDelete }),
    );
    new TenantSeed(
      naming.resource(id, "seed"),
      { ...target, name: args.profile.name, friendlyName: args.profile.friendlyName, settings: args.profile.settings },
      childOptions(this, [...onServer, migrations], { protect: data.protect, retainOnDelete: data.retainOnDelete }),
    );
    // The Role's `login` refuses new sessions; this ends the ones already open when the tenant is
    // suspended. It comes after everything else of the database, so it is deleted before all of it:
    // its delete ends the role's sessions and releases the role in every other database (unless
    // the data is retained) while nothing else is changing the same grants.
    new TenantSuspension(
      naming.resource(id, "suspension"),
      tenantSuspensionArgs({ id, status: args.suspended ? "suspended" : "active" }, args.connection, { retained: data.retainOnDelete }),
      childOptions(this, [...onServer, ...ready, migrations]),
    );

    this.roleName = role.name;
    this.password = pulumi.secret(password.password);
    this.databaseName = databaseName;
    this.schemaName = schemaName;
    this.registerOutputs({ roleName: this.roleName, password: this.password, databaseName, schemaName });
  }
}
