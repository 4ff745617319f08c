// One tenant's place on a database server, as the runner and the providers take it, and the checks
// on it. Every name in it comes from lib/naming.ts (through lib/database/layout.ts).
import { IDENTIFIER } from "../../lib/database/sql";
import { SSL_MODES, type Connection } from "./connection";
import type { CheckFailure } from "../kit";

export type Isolation = "database" | "schema" | "shared";
export const ISOLATION_MODES: readonly Isolation[] = ["database", "schema", "shared"];

export interface Target extends Connection {
  isolation: Isolation;
  tenantId: string;
  /** Schema that holds the tables: the tenant's schema (database and schema modes) or the shared schema. */
  schema: string;
  /** The tenant's login role. */
  role: string;
  /** Shared mode: owner of the shared tables, never granted to a tenant. */
  ownerRole: string;
  /** Shared mode: group role of the tenant roles, to which the policies apply. */
  appRole: string;
}

/**
 * A target as the providers hold it: with the server's name from tenancy:databaseServers, so that
 * another server (a tenant move) is told apart from the same server at a new address (an update).
 */
export interface ServerTarget extends Target {
  server: string;
}

/** The place keys of a target: a change of any of them is a tenant move (see providers/kit.ts). */
export const TARGET_PLACE_KEYS = ["server", "database", "schema", "isolation", "tenantId"] as const;
/** How the place is reached, and the roles around it: updates. */
export const TARGET_UPDATE_KEYS = ["host", "port", "user", "password", "sslmode", "ca", "role", "ownerRole", "appRole"] as const;

const SERVER_NAME = /^[a-z][a-z0-9-]{0,62}$/;

/** Every problem with a target, as sentences starting with the key; empty when the target is usable. */
export function targetProblems(target: Partial<Target>): string[] {
  const problems: string[] = [];
  const text = (key: keyof Target) => {
    if (typeof target[key] !== "string" || (target[key] as string).length === 0) problems.push(`${key} must be a non-empty string`);
  };
  const ident = (key: keyof Target) => {
    if (typeof target[key] !== "string" || !IDENTIFIER.test(target[key] as string)) {
      problems.push(`${key} must be a lowercase PostgreSQL identifier (letters, digits, _; at most 63), got ${JSON.stringify(target[key])}`);
    }
  };
  text("host");
  text("user");
  text("password");
  text("tenantId");
  if (!Number.isInteger(target.port) || (target.port as number) < 1 || (target.port as number) > 65535) {
    problems.push(`port must be a whole number 1-65535, got ${JSON.stringify(target.port)}`);
  }
  if (!SSL_MODES.includes(target.sslmode as never)) problems.push(`sslmode must be one of ${SSL_MODES.join(", ")}, got ${JSON.stringify(target.sslmode)}`);
  problems.push(...caProblems(target));
  if (!ISOLATION_MODES.includes(target.isolation as never)) {
    problems.push(`isolation must be one of ${ISOLATION_MODES.join(", ")}, got ${JSON.stringify(target.isolation)}`);
  }
  for (const key of ["database", "schema", "role", "ownerRole", "appRole"] as const) ident(key);
  return problems;
}

/** The CA: verify-full cannot check a certificate without one; any CA given must be PEM. */
export function caProblems(connection: Partial<Pick<Connection, "sslmode" | "ca">>): string[] {
  if (connection.ca !== undefined && (typeof connection.ca !== "string" || !connection.ca.includes("-----BEGIN CERTIFICATE-----"))) {
    return ["ca must be the PEM text of the CA certificate that signs the server's certificate (-----BEGIN CERTIFICATE-----)"];
  }
  if (connection.sslmode === "verify-full" && !connection.ca) {
    return ["sslmode verify-full needs ca: the PEM of the CA certificate that signs the server's certificate (tenancy:databaseServers.<name>.sslrootcert)"];
  }
  return [];
}

/** targetProblems plus the server name. */
export function serverTargetProblems(target: Partial<ServerTarget>): string[] {
  const problems = targetProblems(target);
  if (typeof target.server !== "string" || !SERVER_NAME.test(target.server)) {
    problems.push(`server must be the server's name in tenancy:databaseServers (a lowercase word), got ${JSON.stringify(target.server)}`);
  }
  return problems;
}

/** Problems as check failures, located by the key each sentence starts with (under `prefix`, if any). */
export function locatedFailures(problems: readonly string[], prefix = ""): CheckFailure[] {
  return problems.map((reason) => ({ property: `${prefix}${reason.split(" ")[0]}`, reason }));
}

export function checkTarget<T extends Target>(target: Partial<T>): T {
  const problems = targetProblems(target);
  if (problems.length > 0) throw new Error(`invalid migration target: ${problems.join("; ")}`);
  return target as T;
}
