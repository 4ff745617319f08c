// The tables a migration version leaves in a tenant's schema, read from the migrations' SQL. Used by
// `tenancy status` (a table missing from a schema was dropped outside the migrations) and by the
// runner's baseline of an adopted schema (its tables must be those of the version it is said to be at).
import type { Migration } from "./migrations";

const TABLE_CREATE = /\bCREATE\s+(?:UNLOGGED\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?("?)([A-Za-z_][A-Za-z0-9_]*)\1/gi;
const TABLE_DROP = /\bDROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?("?)([A-Za-z_][A-Za-z0-9_]*)\1/gi;
const TABLE_RENAME = /\bALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?("?)([A-Za-z_][A-Za-z0-9_]*)\1\s+RENAME\s+TO\s+("?)([A-Za-z_][A-Za-z0-9_]*)\3/gi;

/**
 * The tables migrations 1..version leave in a tenant's schema, read from their SQL (CREATE, DROP
 * and RENAME of unqualified tables, in order; names folded to lower case unless quoted). A table
 * among these that the schema lacks was dropped outside the migrations.
 */
export function expectedTables(migrations: readonly Pick<Migration, "version" | "sql">[], version: number): string[] {
  const tables = new Set<string>();
  const name = (quote: string, raw: string) => (quote ? raw : raw.toLowerCase());
  for (const m of migrations) {
    if (m.version > version) break;
    const sql = m.sql.replace(/--[^\n]*/g, "");
    type Step = { at: number; apply: () => void };
    const steps: Step[] = [];
    for (const x of sql.matchAll(TABLE_CREATE)) steps.push({ at: x.index, apply: () => tables.add(name(x[1], x[2])) });
    for (const x of sql.matchAll(TABLE_DROP)) steps.push({ at: x.index, apply: () => tables.delete(name(x[1], x[2])) });
    for (const x of sql.matchAll(TABLE_RENAME)) {
      steps.push({ at: x.index, apply: () => tables.delete(name(x[1], x[2])) && tables.add(name(x[3], x[4])) });
    }
    for (const step of steps.sort((a, b) => a.at - b.at)) step.apply();
  }
  return [...tables].sort();
}

