import * as postgresql from "@pulumi/postgresql";
import type * as pulumi from "@pulumi/pulumi";
import { ISOLATIONS } from "../../lib/catalog";
import { isTenantId } from "../../lib/catalog/formats";
import type { MigrationSets } from "../../lib/database/migrations";
import type { DatabaseConnectionArgs } from "./resources";
import type { DataProtection } from "../options";

export type Isolation = (typeof ISOLATIONS)[number];

export interface TenantDatabaseArgs {
  tenantId: string;
  isolation: Isolation;
  /** The @pulumi/postgresql provider connected to the tenant's server as its admin. */
  provider: postgresql.Provider;
  /**
   * The server's shared objects (DatabaseServer), which schema and shared tenants live in, when
   * this stack manages them; the tenant's resources are created after it.
   */
  server?: pulumi.Resource;
  /** Admin connection the migrations and the seed run through (password secret). */
  connection: DatabaseConnectionArgs;
  /** Highest migration version the tenant's rollout ring allows. */
  maxMigration: number;
  /** The program's `migrationSets()`, so the migration files are read and hashed once per run, not per tenant. */
  migrationSets?: MigrationSets;
  /** The tenant's profile row, written by the seed. */
  profile: { name: string; friendlyName: string; settings: Record<string, unknown> };
  /** A suspended tenant's role keeps its grants but cannot log in. */
  suspended: boolean;
  /**
   * What exists already of a tenant that ran before tenancy (`adopt:`): its database (isolation
   * database) or schema (isolation schema) is imported instead of created, and its tables are
   * recorded at `migrationVersion` instead of migrated from nothing.
   */
  adopt?: { database?: boolean; schema?: boolean; migrationVersion?: number };
  protection: DataProtection;
}

/** Every problem with the arguments, empty when they are usable. */
export function databaseArgProblems(args: Omit<TenantDatabaseArgs, "provider" | "connection" | "profile">): string[] {
  const problems: string[] = [];
  if (!isTenantId(args.tenantId)) problems.push(`tenantId ${JSON.stringify(args.tenantId)} is not a tenant id`);
  if (!(ISOLATIONS as readonly string[]).includes(args.isolation)) {
    problems.push(`isolation ${JSON.stringify(args.isolation)} is not one of ${ISOLATIONS.join("|")}`);
  } else if (args.isolation === "database" && args.server) {
    problems.push("isolation database takes no server: its tenant owns a database of its own");
  }
  if (!Number.isInteger(args.maxMigration) || args.maxMigration < 0) problems.push(`maxMigration must be a whole number >= 0, got ${args.maxMigration}`);
  const adopt = args.adopt ?? {};
  if (adopt.database && args.isolation !== "database") problems.push(`adopt.database: isolation ${args.isolation} has no database of its own`);
  if (adopt.schema && args.isolation === "shared") problems.push("adopt.schema: isolation shared has no schema of its own");
  if (adopt.migrationVersion !== undefined && (!Number.isInteger(adopt.migrationVersion) || adopt.migrationVersion < 0 || adopt.migrationVersion > args.maxMigration)) {
    problems.push(`adopt.migrationVersion must be a whole number from 0 to maxMigration (${args.maxMigration}), got ${adopt.migrationVersion}`);
  }
  return problems;
}
