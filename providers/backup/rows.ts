// A tenant's rows, table by table: read out of a place (an export, a restore's quarantine) and written
// into a place (a restore, a clone). The tables and columns always come from the destination's or the
// live place's own catalog, which the platform's migrations made, never from a restored dump.
//
// Values travel as PostgreSQL's text form (every type parser is the identity), and are written as
// parameters of unknown type, which the server reads as the column's type: what was read is what
// is written, whatever the type. tenant_id is rewritten to the destination's tenant (a clone).
import type { Client } from "pg";
import { quoteIdent as q } from "../../lib/database/sql";
import { BOOKKEEPING } from "../postgres/grants";
import type { Target } from "../postgres/target";

export interface TableShape {
  name: string;
  /** Columns written by an INSERT (stored generated columns left out), in their order. */
  columns: string[];
  /** Identity columns, whose sequences follow the copied values. */
  identity: string[];
}

/** Rows per cursor fetch and per INSERT. */
const BATCH = 500;

/** Every value as text, exactly as PostgreSQL prints it. */
const AS_TEXT = { getTypeParser: () => (value: string) => value };

/** The application tables of `schema` (the runner's bookkeeping left out), referenced tables first. */
export async function tablesInOrder(client: Client, schema: string): Promise<TableShape[]> {
  const { rows } = await client.query(
    // ::text everywhere: node-pg parses text[] into arrays, but name[] would arrive as one string.
    `SELECT c.relname::text AS name,
            array_agg(a.attname::text ORDER BY a.attnum) FILTER (WHERE a.attgenerated = '') AS columns,
            coalesce(array_agg(a.attname::text ORDER BY a.attnum) FILTER (WHERE a.attidentity <> ''), '{}') AS identity,
            coalesce((SELECT array_agg(DISTINCT r.relname::text) FROM pg_constraint f JOIN pg_class r ON r.oid = f.confrelid
                       WHERE f.conrelid = c.oid AND f.contype = 'f' AND f.confrelid <> c.oid), '{}') AS refs
       FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE c.relnamespace = $1::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relname = ANY($2)
      GROUP BY c.oid, c.relname ORDER BY c.relname`,
    [schema, BOOKKEEPING],
  );
  const pending = new Map<string, { shape: TableShape; refs: string[] }>(rows.map((r) => [r.name, { shape: { name: r.name, columns: r.columns, identity: r.identity }, refs: r.refs }]));
  const ordered: TableShape[] = [];
  while (pending.size > 0) {
    const ready = [...pending.values()].filter((t) => t.refs.every((ref) => !pending.has(ref)));
    // A cycle of foreign keys: what is left goes in name order, and the first failing INSERT says which.
    for (const t of ready.length > 0 ? ready : [...pending.values()]) {
      ordered.push(t.shape);
      pending.delete(t.shape.name);
    }
  }
  return ordered;
}

/**
 * The rows of one table, a batch at a time, as text, in a cursor of the caller's transaction;
 * `tenantId` limits them to one tenant (shared mode, where the table holds every tenant's rows).
 */
export async function* readRows(client: Client, schema: string, table: TableShape, tenantId?: string): AsyncGenerator<string[][]> {
  const cursor = `tenancy_rows_${table.name}`;
  const filter = tenantId === undefined ? "" : " WHERE tenant_id = $1";
  await client.query(`DECLARE ${q(cursor)} NO SCROLL CURSOR FOR SELECT ${table.columns.map(q).join(", ")} FROM ${q(schema)}.${q(table.name)} t${filter} ORDER BY ${table.columns.map(q).join(", ")}`, tenantId === undefined ? [] : [tenantId]);
  try {
    for (;;) {
      const { rows } = await client.query({ text: `FETCH ${BATCH} FROM ${q(cursor)}`, rowMode: "array", types: AS_TEXT });
      if (rows.length === 0) return;
      yield rows as string[][];
    }
  } finally {
    await client.query(`CLOSE ${q(cursor)}`).catch(() => undefined);
  }
}

/** Inserts rows (text values in `table.columns` order) into the destination, tenant_id rewritten to its tenant. */
export async function insertRows(client: Client, target: Pick<Target, "schema" | "tenantId">, table: TableShape, rows: readonly (string | null)[][]): Promise<void> {
  if (rows.length === 0) return;
  const tenantColumn = table.columns.indexOf("tenant_id");
  const values: (string | null)[] = [];
  const tuples = rows.map((row) => {
    const placed = row.map((v, i) => (i === tenantColumn ? target.tenantId : v));
    values.push(...placed);
    return `(${placed.map((_, i) => `$${values.length - placed.length + i + 1}`).join(", ")})`;
  });
  const overriding = table.identity.length > 0 ? " OVERRIDING SYSTEM VALUE" : "";
  await client.query(`INSERT INTO ${q(target.schema)}.${q(table.name)} (${table.columns.map(q).join(", ")})${overriding} VALUES ${tuples.join(", ")}`, values);
}

/** Moves each identity sequence past the highest value now in its column, never back (shared sequences serve every tenant). */
export async function advanceSequences(client: Client, schema: string, table: TableShape): Promise<void> {
  for (const column of table.identity) {
    const qualified = `${q(schema)}.${q(table.name)}`;
    await client.query(
      `SELECT setval(s::regclass, greatest(m.v, coalesce(pg_sequence_last_value(s::regclass), 0)))
         FROM pg_get_serial_sequence($1, $2) AS s, (SELECT max(${q(column)}) AS v FROM ${qualified}) AS m
        WHERE s IS NOT NULL AND m.v IS NOT NULL`,
      [qualified, column],
    );
  }
}

/** Deletes the tenant's rows from every table, referencing tables first; in shared mode only its own. */
export async function deleteRows(client: Client, target: Pick<Target, "schema" | "tenantId" | "isolation">, tables: readonly TableShape[]): Promise<void> {
  for (const table of [...tables].reverse()) {
    const shared = target.isolation === "shared";
    await client.query(`DELETE FROM ${q(target.schema)}.${q(table.name)}${shared ? " WHERE tenant_id = $1" : ""}`, shared ? [target.tenantId] : []);
  }
}

/** Rows per table that the tenant has in a place (shared mode: its own only). */
export async function countRows(client: Client, target: Pick<Target, "schema" | "tenantId" | "isolation">, tables: readonly TableShape[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of tables) {
    const shared = target.isolation === "shared";
    const { rows } = await client.query(`SELECT count(*)::int AS n FROM ${q(target.schema)}.${q(table.name)}${shared ? " WHERE tenant_id = $1" : ""}`, shared ? [target.tenantId] : []);
    counts[table.name] = rows[0].n;
  }
  return counts;
}
