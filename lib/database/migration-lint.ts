// Statements in a migration that destroy data, found the way Atlas's lint finds them: DROP TABLE,
// DROP SCHEMA, DROP DATABASE, ALTER TABLE ... DROP [COLUMN], ALTER COLUMN ... TYPE unless it is a
// lossless widening (a narrower type loses or refuses values), TRUNCATE, and DELETE without WHERE.
//
// For a type change the lint knows the column's old type from the migrations before it: the ups in
// version order (a down NNNN sees all ups through NNNN, the state it reverts), then the file's own
// statements in order, through CREATE TABLE column definitions, ALTER TABLE ... ADD [COLUMN],
// ALTER COLUMN ... TYPE, RENAME [COLUMN] a TO b, RENAME TO, DROP [COLUMN] and DROP TABLE (names
// folded as PostgreSQL does: unquoted lower-cased). A change passes when it is to unbounded text
// (text, varchar) or widens the old type: varchar(n)/char(n) to varchar(m >= n); smallint to integer,
// bigint or numeric; integer to bigint or numeric; bigint to numeric; real to double precision;
// numeric(p,s) to numeric with no fewer integer or fraction digits; or keeps it. Any USING clause
// but a plain cast of the column to the new type computes new values and counts. Anything else
// counts: a narrowing, another family (text to integer, timestamptz to date) or an old type the
// lint does not know (a column it did not see created); the finding says the old type when known:
// `ALTER TABLE invoices ALTER COLUMN amount_cents TYPE integer (was bigint)`. destructiveStatementsByFile
// judges a directory's files so; destructiveStatements judges one file against the types it is
// given (none: only what the file itself creates).
//
// A file may hold a destructive statement on purpose (a down migration drops what its up created)
// when a marker comment right before the statement says so and why:
//
//     -- tenancy:destructive the down of 0003: invoices exist only from 0003 on
//     DROP TABLE invoices;
//
// `validate` reports a destructive statement without one; the plan lists every destructive
// statement a tenant would run, marked or not. The SQL is tokenized, not parsed (no maintained
// PostgreSQL parser fits a dependency-light program: libpg-query ships a 6 MB WASM build of the
// server's parser, pgsql-ast-parser rejects valid PostgreSQL it does not know): comments, string
// literals, quoted identifiers and dollar-quoted bodies are skipped as text, so a keyword inside
// one never counts. Statements inside a function body or DO block are not looked into.

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, posix } from "node:path";
import { columnDefinitions, isUnboundedText, lossless, parseType, plainCast, resolveTable, type ColumnType, type ColumnTypes } from "./column-types";
import { findTop, identName, joinTokens, qualifiedName, tokenize, topParts, type Token } from "./sql-tokens";

export const DESTRUCTIVE_MARKER = "tenancy:destructive";

export type DestructiveKind = "drop table" | "drop schema" | "drop database" | "drop column" | "column type change" | "truncate" | "delete without where";

export interface DestructiveStatement {
  kind: DestructiveKind;
  /** 1-based position of the statement's first keyword. */
  line: number;
  col: number;
  /** The statement's words, shortened: what a reviewer reads (`DROP TABLE invoices`). */
  text: string;
  /** The reason a marker comment before the statement gives; absent without a marker. */
  intended?: string;
}

const TEXT_WORDS = 8;

function textOf(tokens: readonly Token[]): string {
  const words = tokens.slice(0, TEXT_WORDS).map((t) => t.raw);
  let text = "";
  for (const w of words) text += text === "" || w === "." || text.endsWith(".") || w === "," || w === ")" || text.endsWith("(") ? w : ` ${w}`;
  return tokens.length > TEXT_WORDS ? `${text} …` : text;
}

type Found = { kind: DestructiveKind; at: Token; text?: string };

/** Where the table name starts in ALTER TABLE [IF EXISTS] [ONLY] name. */
function afterKeywords(tokens: readonly Token[], from: number, skip: readonly string[][]): number {
  let k = from;
  for (const words of skip) if (words.every((w, i) => tokens[k + i]?.value === w)) k += words.length;
  return k;
}

/**
 * The destructive kinds of one statement (an ALTER TABLE may hold several), judged against
 * `types`, which the statement then updates: what it creates, adds, renames, retypes and drops.
 */
function classify(tokens: readonly Token[], types: ColumnTypes): Found[] {
  const v = (k: number) => tokens[k]?.value;
  const first = v(0);
  if (first === "CREATE") {
    const table = afterKeywords(tokens, 1, [["GLOBAL"], ["LOCAL"], ["TEMPORARY"], ["TEMP"], ["UNLOGGED"]]);
    if (v(table) !== "TABLE") return [];
    const ifNotExists = v(table + 1) === "IF";
    const named = qualifiedName(tokens, afterKeywords(tokens, table + 1, [["IF", "NOT", "EXISTS"]]));
    if (!named || (ifNotExists && resolveTable(types, named.name) !== undefined)) return [];
    // CREATE TABLE ... AS / PARTITION OF / OF type: a table whose columns the lint does not know.
    let columns = new Map<string, ColumnType>();
    if (v(named.end) === "(") {
      let close = named.end;
      for (let depth = 0; close < tokens.length; close++) {
        if (v(close) === "(") depth++;
        else if (v(close) === ")" && --depth === 0) break;
      }
      columns = columnDefinitions(topParts(tokens.slice(named.end + 1, close), 0));
    }
    types.set(named.name, columns);
    return [];
  }
  if (first === "DROP") {
    const what = v(1) === "MATERIALIZED" ? undefined : v(1);
    if (what === "TABLE") {
      for (const part of topParts(tokens, afterKeywords(tokens, 2, [["IF", "EXISTS"]]))) {
        const named = qualifiedName(part, 0);
        const key = named && resolveTable(types, named.name);
        if (key !== undefined) types.delete(key);
      }
      return [{ kind: "drop table", at: tokens[0] }];
    }
    if (what === "SCHEMA") return [{ kind: "drop schema", at: tokens[0] }];
    if (what === "DATABASE") return [{ kind: "drop database", at: tokens[0] }];
    return [];
  }
  if (first === "TRUNCATE") return [{ kind: "truncate", at: tokens[0] }];
  // DELETE, also as the body of WITH ... DELETE: without a WHERE at its own level it empties the table.
  const del = findTop(tokens, 0, ["DELETE"]);
  if (del !== -1 && (first === "DELETE" || first === "WITH") && findTop(tokens, del + 1, ["WHERE"]) === -1) {
    return [{ kind: "delete without where", at: tokens[del] }];
  }
  if (first === "ALTER" && v(1) === "TABLE") {
    const named = qualifiedName(tokens, afterKeywords(tokens, 2, [["IF", "EXISTS"], ["ONLY"]]));
    if (!named) return [];
    const actions = named.end + (v(named.end) === "*" ? 1 : 0);
    const head = joinTokens(tokens.slice(0, actions));
    let table = resolveTable(types, named.name);
    const out: Found[] = [];
    for (const part of topParts(tokens, actions)) {
      const p = (k: number) => part[k]?.value;
      const columns = table === undefined ? undefined : types.get(table);
      const drop = part.findIndex((t) => t.value === "DROP");
      // DROP CONSTRAINT, DROP DEFAULT, DROP NOT NULL, DROP IDENTITY, DROP EXPRESSION keep the rows.
      if (drop !== -1 && !["CONSTRAINT", "DEFAULT", "NOT", "IDENTITY", "EXPRESSION"].includes(p(drop + 1) ?? "")) {
        const column = part.findIndex((t) => t.value === "ALTER");
        if (column === -1 || column > drop) {
          out.push({ kind: "drop column", at: part[drop] });
          const name = identName(part[afterKeywords(part, drop + 1, [["COLUMN"], ["IF", "EXISTS"]])]);
          if (name !== undefined) columns?.delete(name);
        }
      }
      if (p(0) === "ADD") {
        const at = afterKeywords(part, 1, [["COLUMN"]]);
        const isConstraint = at === 1 && ["CONSTRAINT", "PRIMARY", "UNIQUE", "FOREIGN", "CHECK", "EXCLUDE"].includes(p(1) ?? "");
        const ifNotExists = p(at) === "IF";
        const nameAt = afterKeywords(part, at, [["IF", "NOT", "EXISTS"]]);
        const name = identName(part[nameAt]);
        const type = parseType(part, nameAt + 1);
        if (!isConstraint && name !== undefined && type !== undefined && columns && !(ifNotExists && columns.has(name))) columns.set(name, type.type);
      }
      if (p(0) === "RENAME") {
        if (p(1) === "TO") {
          const to = identName(part[2]);
          if (to !== undefined && table !== undefined) {
            const renamed = table.includes(".") ? `${table.slice(0, table.lastIndexOf("."))}.${to}` : to;
            types.set(renamed, types.get(table)!);
            types.delete(table);
            table = renamed;
          }
        } else if (p(1) !== "CONSTRAINT") {
          const from = p(1) === "COLUMN" ? 2 : 1;
          const a = identName(part[from]);
          const b = p(from + 1) === "TO" ? identName(part[from + 2]) : undefined;
          if (a !== undefined && b !== undefined && columns) {
            const type = columns.get(a);
            columns.delete(a);
            if (type) columns.set(b, type);
          }
        }
      }
      // ALTER [COLUMN] <name> [SET DATA] TYPE <type> [COLLATE c] [USING expr].
      if (p(0) === "ALTER") {
        const nameAt = p(1) === "COLUMN" ? 2 : 1;
        const typeAt = p(nameAt + 1) === "TYPE" ? nameAt + 1 : p(nameAt + 1) === "SET" && p(nameAt + 2) === "DATA" && p(nameAt + 3) === "TYPE" ? nameAt + 3 : -1;
        const name = identName(part[nameAt]);
        const parsed = typeAt === -1 ? undefined : parseType(part, typeAt + 1);
        if (typeAt !== -1 && name !== undefined) {
          const using = findTop(part, typeAt + 1, ["USING"]);
          const old = columns?.get(name);
          const to = parsed?.type;
          const converts = to !== undefined && (using === -1 || plainCast(part.slice(using + 1), name, to.key));
          const keeps = converts && (isUnboundedText(to.key) || (old !== undefined && lossless(old.key, to.key)));
          if (!keeps) {
            const written = joinTokens(part.slice(0, parsed?.end ?? typeAt + 1)) + (using !== -1 ? " USING …" : "");
            out.push({ kind: "column type change", at: part[0], text: `${head} ${written} ${old ? `(was ${old.written})` : "(old type unknown)"}` });
          }
          if (to !== undefined) columns?.set(name, to);
          else columns?.delete(name);
        }
      }
    }
    return out;
  }
  return [];
}

/** The reason of a `-- tenancy:destructive <reason>` among `comments`, or undefined. */
function markerReason(comments: readonly string[]): string | undefined {
  for (const comment of comments) {
    const m = new RegExp(`^${DESTRUCTIVE_MARKER}(?:\\s+(.*))?$`).exec(comment.trim());
    if (m && (m[1] ?? "").trim() !== "") return m[1].trim();
  }
  return undefined;
}

function cloneTypes(types: ColumnTypes): ColumnTypes {
  return new Map([...types].map(([table, columns]) => [table, new Map(columns)]));
}

/** The destructive statements of `sql` and the column types after it, from the types before it. */
function lintFile(sql: string, before: ColumnTypes): { found: DestructiveStatement[]; after: ColumnTypes } {
  const types = cloneTypes(before);
  const found: DestructiveStatement[] = [];
  for (const statement of tokenize(sql)) {
    const intended = markerReason(statement.leading);
    for (const { kind, at, text } of classify(statement.tokens, types)) {
      found.push({ kind, line: at.line, col: at.col, text: text ?? textOf(statement.tokens), ...(intended !== undefined ? { intended } : {}) });
    }
  }
  return { found, after: types };
}

/**
 * Every destructive statement of `sql`, in file order. `before`: the column types the earlier
 * migrations left (columnTypesAfter); without it a type change is judged only against what the
 * file itself creates, and one whose old type is unknown counts unless it is to unbounded text.
 */
export function destructiveStatements(sql: string, before: ColumnTypes = new Map()): DestructiveStatement[] {
  return lintFile(sql, before).found;
}

/** The column types after running `sql` on `before` (the types its CREATE/ALTER/DROP TABLE leave). */
export function columnTypesAfter(sql: string, before: ColumnTypes = new Map()): ColumnTypes {
  return lintFile(sql, before).after;
}

const MIGRATION_FILE = /^(\d+)_.*?(\.down)?\.sql$/;

/**
 * The destructive statements of each migration file, by name, each judged against the column types
 * of the migrations before it: an up NNNN against ups below NNNN applied in version order, a down
 * NNNN against all ups through NNNN (the state it reverts). A file not named NNNN_name[.down].sql
 * is judged on its own.
 */
export function destructiveStatementsByFile(files: readonly { name: string; text: string }[]): Map<string, DestructiveStatement[]> {
  const out = new Map<string, DestructiveStatement[]>();
  const version = (name: string) => Number(MIGRATION_FILE.exec(name)![1]);
  const order = (a: { name: string }, b: { name: string }) => version(a.name) - version(b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const ups = files.filter((f) => MIGRATION_FILE.test(f.name) && !f.name.endsWith(".down.sql")).sort(order);
  const downs = files.filter((f) => f.name.endsWith(".down.sql") && MIGRATION_FILE.test(f.name)).sort(order);
  let types: ColumnTypes = new Map();
  let d = 0;
  for (const up of ups) {
    // A down of a version with no up of its own sees the ups below it.
    for (; d < downs.length && version(downs[d].name) < version(up.name); d++) out.set(downs[d].name, destructiveStatements(downs[d].text, types));
    const linted = lintFile(up.text, types);
    out.set(up.name, linted.found);
    types = linted.after;
    // Downs are judged after every up of their version (a duplicate version's too).
    const next = ups[ups.indexOf(up) + 1];
    if (next !== undefined && version(next.name) === version(up.name)) continue;
    for (; d < downs.length && version(downs[d].name) === version(up.name); d++) out.set(downs[d].name, destructiveStatements(downs[d].text, types));
  }
  for (; d < downs.length; d++) out.set(downs[d].name, destructiveStatements(downs[d].text, types));
  for (const f of files) if (!MIGRATION_FILE.test(f.name)) out.set(f.name, destructiveStatements(f.text));
  return out;
}

/** What `validate` says of a destructive statement that has no marker. */
export function unmarkedMessage(found: DestructiveStatement): string {
  return (
    `${found.text}: ${found.kind} destroys data; if that is intended, put a comment on the line before it: ` +
    `-- ${DESTRUCTIVE_MARKER} <why it is safe>`
  );
}

/** A destructive statement without a marker, located in its file (the shape of a catalog error). */
export interface UnmarkedStatement {
  file: string;
  line: number;
  col: number;
  path: string;
  message: string;
}

/**
 * `validate`'s rule: every destructive statement in the `.sql` files of `dir` (relative to `cwd`,
 * default `migrations`) carries a marker, each file judged against the column types of the
 * migrations before it (destructiveStatementsByFile). A project without the directory has nothing to check.
 */
export function unmarkedDestructive(cwd: string, dir = "migrations"): UnmarkedStatement[] {
  const full = join(cwd, dir);
  if (!existsSync(full)) return [];
  const names = readdirSync(full)
    .filter((name) => name.endsWith(".sql"))
    .sort();
  const found = destructiveStatementsByFile(names.map((name) => ({ name, text: readFileSync(join(full, name), "utf8") })));
  return names.flatMap((name) =>
    found
      .get(name)!
      .filter((d) => d.intended === undefined)
      .map((d) => ({ file: posix.join(dir, name), line: d.line, col: d.col, path: "", message: unmarkedMessage(d) })),
  );
}
