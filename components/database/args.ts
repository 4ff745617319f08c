import * as postgresql from "@pulumi/postgresql";
import { ISOLATIONS } from "../../lib/catalog";
import { isTenantId } from "../../lib/catalog/formats";
import type { DataProtection } from "../options";

export type Isolation = (typeof ISOLATIONS)[number];

export interface TenantDatabaseArgs {
  tenantId: string;
  isolation: Isolation;
  /** The database server, as named in `tenancy:databaseServers`. */
  server: { name: string; sharedDatabase: string };
  /** The @pulumi/postgresql provider connected to that server as its admin. */
  provider: postgresql.Provider;
  /** A suspended tenant's role keeps its grants but cannot log in. */
  suspended: boolean;
  protection: DataProtection;
}

const PG_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** Every problem with the arguments, empty when they are usable. */
export function databaseArgProblems(args: Omit<TenantDatabaseArgs, "provider">): string[] {
  const problems: string[] = [];
  if (!isTenantId(args.tenantId)) problems.push(`tenantId ${JSON.stringify(args.tenantId)} is not a tenant id`);
  if (!(ISOLATIONS as readonly string[]).includes(args.isolation)) {
    problems.push(`isolation ${JSON.stringify(args.isolation)} is not one of ${ISOLATIONS.join("|")}`);
  }
  if (!args.server.name) problems.push("server.name is empty");
  if (args.isolation !== "database" && !PG_IDENTIFIER.test(args.server.sharedDatabase)) {
    problems.push(`server.sharedDatabase ${JSON.stringify(args.server.sharedDatabase)} must be a PostgreSQL identifier for isolation ${args.isolation}`);
  }
  return problems;
}
