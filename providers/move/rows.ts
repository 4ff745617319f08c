// A tenant's rows, copied from its old place into its new one during a move, and the checksums that
// prove the copy. The old place is read in one REPEATABLE READ snapshot while the tenant's logins are
// refused (move.ts); in shared mode as the tenant's own role, so row-level security selects its rows
// as well as the tenant_id filter. The new place is written in one transaction that first removes the
// tenant's rows a failed attempt left there (the new place is not serving yet: the state still says
// the tenant lives in the old one), and commits only when every table's count and checksum equal the
// old place's: a copy is either whole and verified, or not there.
//
// The tables and columns come from the new place's catalog, which the platform's migrations made
// (both places must be at the same migration version). Seeded tables are the seed's (TenantSeed wrote
// them in the new place from the catalog) and the runner's bookkeeping is its own: neither is copied.
import type { Client } from "pg";
import { pipeline } from "node:stream/promises";
import { from as copyFrom, to as copyTo } from "pg-copy-streams";
import { literal, quoteIdent as q } from "../../lib/database/sql";
import { connect } from "../postgres/connection";
import { SEEDED_TABLES } from "../postgres/grants";
import { appliedVersion, withTarget } from "../postgres/runner";
import type { Target } from "../postgres/target";
import { advanceSequences, deleteRows, insertRows, readRows, tablesInOrder, type TableShape } from "../backup/rows";

/** Rows and a checksum of their text, per table: what a copy must keep. */
export type RowChecksums = Record<string, { rows: number; checksum: string }>;

/** The application tables a move copies: the new place's, seeded ones left out. */
async function copiedTables(client: Client, target: Target): Promise<TableShape[]> {
  return (await tablesInOrder(client, target.schema)).filter((t) => !SEEDED_TABLES.includes(t.name));
}

/**
 * The checksum of one table's rows of the tenant: the md5 of each row's text (every column the copy
 * writes, in their order), its two halves summed over the rows as exact numerics. A sum needs no
 * sort and no one value holding the whole table (string_agg stops at 1 GB, so a big tenant could not
 * move), and a row that differs, is missing or is doubled changes it.
 */
async function tableChecksum(client: Client, target: Target, table: TableShape): Promise<{ rows: number; checksum: string }> {
  const shared = target.isolation === "shared";
  const row = `ROW(${table.columns.map((c) => `t.${q(c)}`).join(", ")})::text`;
  const half = (from: number) => `coalesce(sum(('x' || substr(h, ${from}, 16))::bit(64)::bigint::numeric), 0)::text`;
  const { rows } = await client.query(
    `SELECT count(*)::int AS rows, ${half(1)} || ':' || ${half(17)} AS checksum
       FROM (SELECT md5(${row}) AS h FROM ${q(target.schema)}.${q(table.name)} t${shared ? " WHERE t.tenant_id = $1" : ""}) s`,
    shared ? [target.tenantId] : [],
  );
  return rows[0];
}

async function checksums(client: Client, target: Target, tables: readonly TableShape[]): Promise<RowChecksums> {
  const out: RowChecksums = {};
  for (const table of tables) out[table.name] = await tableChecksum(client, target, table);
  return out;
}

/** Differences between two sets of checksums, as sentences; empty when equal. */
export function checksumDifferences(from: RowChecksums, to: RowChecksums): string[] {
  const tables = [...new Set([...Object.keys(from), ...Object.keys(to)])].sort();
  return tables
    .filter((t) => from[t]?.rows !== to[t]?.rows || from[t]?.checksum !== to[t]?.checksum)
    .map((t) => `${t}: ${from[t]?.rows ?? "no"} row(s) in the old place (checksum ${from[t]?.checksum ?? "-"}), ${to[t]?.rows ?? "no"} in the new (checksum ${to[t]?.checksum ?? "-"})`);
}

/** Both places at the same migration version, or the copy cannot be column for column. */
async function sameVersion(from: Target, to: Target): Promise<void> {
  const [a, b] = [await appliedVersion(from), await appliedVersion(to)];
  if (a !== b) {
    throw new Error(
      `the old place is at migration version ${a ?? "none"} and the new one at ${b ?? "none"}: a move copies between places at the same version; ` +
        `deploy the migration change and the move in separate changes`,
    );
  }
}

/** Opens the old place read-only in one snapshot, as the tenant's role in shared mode. */
async function openSource(from: Target): Promise<Client> {
  const client = await connect(from, "tenancy-move");
  try {
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    if (from.isolation === "shared") await client.query(`SET LOCAL ROLE ${q(from.role)}`);
    return client;
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
}

/**
 * One table's rows of the tenant, streamed from the old place into the new one with COPY: rows leave
 * and arrive in PostgreSQL's text format without passing through values in between, about twice as
 * fast as INSERTs (bench/move.ts). COPY FROM writes identity columns as given, as INSERT ... OVERRIDING
 * SYSTEM VALUE does. Returns the rows written.
 */
async function copyTable(source: Client, from: Target, client: Client, to: Target, table: TableShape): Promise<number> {
  const columns = table.columns.map(q).join(", ");
  const filter = from.isolation === "shared" ? ` WHERE tenant_id = ${literal(from.tenantId)}` : "";
  const out = source.query(copyTo(`COPY (SELECT ${columns} FROM ${q(from.schema)}.${q(table.name)}${filter}) TO STDOUT`));
  const into = client.query(copyFrom(`COPY ${q(to.schema)}.${q(table.name)} (${columns}) FROM STDIN`));
  await pipeline(out, into);
  return into.rowCount;
}

/**
 * The same with INSERTs, for a shared new place: its tables force row-level security on their owner
 * too, and PostgreSQL refuses COPY FROM into such a table.
 */
async function insertTable(source: Client, from: Target, client: Client, to: Target, table: TableShape): Promise<number> {
  let rows = 0;
  for await (const batch of readRows(source, from.schema, table, from.isolation === "shared" ? from.tenantId : undefined)) {
    await insertRows(client, to, table, batch);
    rows += batch.length;
  }
  return rows;
}

/**
 * Copies the tenant's rows from `from` into `to` and verifies them there before committing; returns
 * the rows copied per table and the checksums both places agree on. Throws, with nothing committed
 * in the new place and nothing changed in the old one, when they do not agree.
 */
export async function copyRows(from: Target, to: Target): Promise<{ rows: Record<string, number>; checksums: RowChecksums }> {
  await sameVersion(from, to);
  const source = await openSource(from);
  try {
    const copied = await withTarget(to, async (client) => {
      const tables = await copiedTables(client, to);
      const expected = await checksums(source, from, tables);
      await deleteRows(client, to, tables);
      const rows: Record<string, number> = {};
      for (const table of tables) {
        rows[table.name] = to.isolation === "shared" ? await insertTable(source, from, client, to, table) : await copyTable(source, from, client, to, table);
        await advanceSequences(client, to.schema, table);
      }
      const found = await checksums(client, to, tables);
      const differences = checksumDifferences(expected, found);
      // Thrown inside the transaction: it rolls back, so no partial copy is ever committed.
      if (differences.length > 0) throw new Error(`the copy does not verify, so it was rolled back: ${differences.join("; ")}`);
      return { rows, checksums: expected };
    });
    await source.query("COMMIT");
    return copied;
  } finally {
    await source.end().catch(() => undefined);
  }
}

/** What tableChecksum gives an empty table. */
const NO_ROWS = "0:0";

/**
 * The checksums of the tenant's rows in `place` now, in a fresh snapshot, over the tables `tablesOf`
 * has; with `missingIsEmpty`, a table gone from `place` counts as holding no row.
 */
async function checksumsNow(place: Target, tablesOf: Target, missingIsEmpty: boolean): Promise<RowChecksums> {
  const tables = await withTarget(tablesOf, (client) => copiedTables(client, tablesOf));
  const client = await openSource(place);
  try {
    const sums: RowChecksums = {};
    for (const table of tables) {
      const present = !missingIsEmpty || (await client.query(`SELECT to_regclass($1) IS NOT NULL AS present`, [`${q(place.schema)}.${q(table.name)}`])).rows[0].present;
      sums[table.name] = present ? await tableChecksum(client, place, table) : { rows: 0, checksum: NO_ROWS };
    }
    await client.query("COMMIT");
    return sums;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The checksums of the tenant's rows left in its old place, over the new place's tables, on a rerun
 * from the record: a table that is gone (the move emptied the tenant's schema) holds none.
 */
export function remainingChecksums(place: Target, tablesOf: Target): Promise<RowChecksums> {
  return checksumsNow(place, tablesOf, true);
}

/** The checksums of the tenant's rows in a place now (a fresh snapshot), over its own tables. */
export function placeChecksums(place: Target): Promise<RowChecksums> {
  return checksumsNow(place, place, false);
}
