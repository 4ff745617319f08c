import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import { naming } from "../../lib/naming";

export interface DatabaseServerArgs {
  /** The admin the provider connects as; it runs the migrations, so it needs the owner role. */
  adminUser: string;
  provider: postgresql.Provider;
}

/**
 * What one database server holds for all its schema and shared tenants: the owner and application
 * roles and the two shared databases. Mirrors `serverProvisionSql` in lib/database/layout.ts.
 * Everything here is retained on delete: it holds many tenants' data, and it leaves the stack only
 * when its last schema or shared tenant does, when dropping it is a deliberate, manual act.
 */
export class DatabaseServer extends pulumi.ComponentResource {
  constructor(name: string, args: DatabaseServerArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("tenancy:database:DatabaseServer", name, {}, opts);
    const options = { parent: this, provider: args.provider, retainOnDelete: true };
    const logical = (part: string) => `${name}-${part}`;
    const owner = new postgresql.Role(logical("owner-role"), { name: naming.sharedOwnerRole, login: false }, options);
    const app = new postgresql.Role(logical("app-role"), { name: naming.sharedAppRole, login: false }, options);
    const adminIsOwner = new postgresql.GrantRole(logical("admin-owner"), { role: args.adminUser, grantRole: owner.name }, options);
    const schemas = new postgresql.Database(logical("schema-database"), { name: naming.schemaDatabase, owner: args.adminUser }, options);
    const shared = new postgresql.Database(logical("shared-database"), { name: naming.sharedDatabase, owner: owner.name }, { ...options, dependsOn: [adminIsOwner] });
    for (const [part, database] of [["schema-database", schemas], ["shared-database", shared]] as const) {
      new postgresql.Grant(logical(`${part}-revoke-public`), { database: database.name, role: "public", objectType: "database", privileges: [] }, options);
    }
    new postgresql.Grant(logical("shared-database-app-connect"), { database: shared.name, role: app.name, objectType: "database", privileges: ["CONNECT"] }, options);
    this.registerOutputs({});
  }
}
