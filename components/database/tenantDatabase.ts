import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { naming } from "../../lib/naming";
import { assertNoProblems, childOptions } from "../options";
import { databaseArgProblems, type TenantDatabaseArgs } from "./args";

export interface TenantDatabaseOptions extends pulumi.ComponentResourceOptions {
  /** Resources every child must come after (and be deleted before): the parent tenant. */
  after?: pulumi.Resource[];
}

/** The tenant's login role and, per isolation mode, its own database, its own schema, or a share of the common tables. */
export class TenantDatabase extends pulumi.ComponentResource {
  /** Login role of the tenant. */
  declare public readonly roleName: pulumi.Output<string>;
  /** Generated password of the role; a secret. */
  declare public readonly password: pulumi.Output<string>;
  /** Database the tenant's data lives in: its own, or the server's shared database. */
  declare public readonly databaseName: pulumi.Output<string>;
  /** The tenant's schema in the shared database (isolation `schema` only). */
  declare public readonly schemaName: pulumi.Output<string | undefined>;
  /** The resources that hold the tenant's data or grant access to it, for whatever must run after them. */
  declare public readonly ready: pulumi.Resource[];

  constructor(name: string, args: TenantDatabaseArgs, opts: TenantDatabaseOptions = {}) {
    const { after = [], ...componentOpts } = opts;
    super("tenancy:database:TenantDatabase", name, {}, componentOpts);
    assertNoProblems("TenantDatabase", name, databaseArgProblems(args));
    const id = args.tenantId;
    const child = (extra: pulumi.CustomResourceOptions = {}) => childOptions(this, after, { provider: args.provider, ...extra });
    const data = args.protection;

    const password = new random.RandomPassword(
      naming.resource(id, "db-password"),
      // No punctuation: the password goes into connection URLs unescaped.
      { length: 40, special: false },
      childOptions(this, after),
    );
    const role = new postgresql.Role(
      naming.resource(id, "role"),
      { name: naming.role(id), login: !args.suspended, password: password.result },
      // A retained database or schema is owned by this role, so the role must be retained with it:
      // dropping it would reassign or drop what it owns.
      child({ retainOnDelete: data.retainOnDelete }),
    );
    const ready: pulumi.Resource[] = [role];

    let databaseName: pulumi.Output<string>;
    let schemaName: pulumi.Output<string | undefined> = pulumi.output(undefined);
    switch (args.isolation) {
      case "database": {
        const database = new postgresql.Database(
          naming.resource(id, "database"),
          { name: naming.database(id), owner: role.name },
          child({ protect: data.protect, retainOnDelete: data.retainOnDelete }),
        );
        // Every role may connect to a new database through PUBLIC; only the owner should.
        const revoke = new postgresql.Grant(
          naming.resource(id, "revoke-public-connect"),
          { database: database.name, role: "public", objectType: "database", privileges: [] },
          child(),
        );
        databaseName = database.name;
        ready.push(database, revoke);
        break;
      }
      case "schema": {
        const schema = new postgresql.Schema(
          naming.resource(id, "schema"),
          { name: naming.schema(id), database: args.server.sharedDatabase, owner: role.name },
          child({ protect: data.protect, retainOnDelete: data.retainOnDelete }),
        );
        // Explicit, so the tenant can still connect if PUBLIC's CONNECT on the shared database is revoked.
        const connect = new postgresql.Grant(
          naming.resource(id, "connect"),
          { database: args.server.sharedDatabase, role: role.name, objectType: "database", privileges: ["CONNECT"] },
          child(),
        );
        databaseName = pulumi.output(args.server.sharedDatabase);
        schemaName = schema.name;
        ready.push(schema, connect);
        break;
      }
      case "shared": {
        // Membership of the application role is the tenant's only access; row-level security keyed on
        // the role name keeps its rows apart (the policies come with the migrations).
        const membership = new postgresql.GrantRole(
          naming.resource(id, "app-role"),
          { role: role.name, grantRole: naming.sharedAppRole },
          child(),
        );
        databaseName = pulumi.output(args.server.sharedDatabase);
        ready.push(membership);
        break;
      }
    }

    this.roleName = role.name;
    this.password = pulumi.secret(password.result);
    this.databaseName = databaseName;
    this.schemaName = schemaName;
    this.ready = ready;
    this.registerOutputs({ roleName: this.roleName, password: this.password, databaseName, schemaName });
  }
}
