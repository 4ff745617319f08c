// Statements in a migration that destroy data, found the way Atlas's lint finds them: DROP TABLE,
// DROP SCHEMA, DROP DATABASE, ALTER TABLE ... DROP [COLUMN], ALTER COLUMN ... TYPE (a narrower
// type loses or refuses values; the lint does not know the column's old type, so every change but
// one to unbounded text counts), TRUNCATE, and DELETE without WHERE. A file may hold one on
// purpose (a down migration drops what its up created) when a marker comment right before the
// statement says so and why:
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

interface Token {
  /** Upper-cased for words; the character for punctuation; `'` for any quoted literal. */
  value: string;
  /** The word as written (identifiers keep their case in `text`). */
  raw: string;
  line: number;
  col: number;
}

interface Statement {
  tokens: Token[];
  /** Comments between the previous statement's end and this statement's first token. */
  leading: string[];
}

/** Splits `sql` into statements of tokens, skipping comments, literals and quoted bodies. */
export function tokenize(sql: string): Statement[] {
  const statements: Statement[] = [];
  let tokens: Token[] = [];
  let leading: string[] = [];
  let line = 1;
  let lineStart = 0;
  let i = 0;
  const advance = (to: number) => {
    for (let k = i; k < to && k < sql.length; k++) {
      if (sql[k] === "\n") {
        line++;
        lineStart = k + 1;
      }
    }
    i = Math.min(to, sql.length);
  };
  const push = (value: string, raw: string, startLine: number, startCol: number) => tokens.push({ value, raw, line: startLine, col: startCol });
  // A comment after a statement's `;` on the same line belongs to that statement, not the next.
  let endedOnLine = 0;
  const lead = (text: string, startLine: number) => {
    if (tokens.length === 0 && startLine !== endedOnLine) leading.push(text.trim());
  };
  while (i < sql.length) {
    const c = sql[i];
    const startLine = line;
    const startCol = i - lineStart + 1;
    if (c === "-" && sql[i + 1] === "-") {
      const end = sql.indexOf("\n", i);
      const text = sql.slice(i + 2, end === -1 ? sql.length : end);
      lead(text, startLine);
      advance(end === -1 ? sql.length : end);
    } else if (c === "/" && sql[i + 1] === "*") {
      // PostgreSQL block comments nest.
      let depth = 0;
      let k = i;
      while (k < sql.length) {
        if (sql[k] === "/" && sql[k + 1] === "*") {
          depth++;
          k += 2;
        } else if (sql[k] === "*" && sql[k + 1] === "/") {
          depth--;
          k += 2;
          if (depth === 0) break;
        } else k++;
      }
      lead(sql.slice(i + 2, Math.max(i + 2, k - 2)), startLine);
      advance(k);
    } else if (c === "'" || ((c === "E" || c === "e") && sql[i + 1] === "'")) {
      // '' is a quote inside a literal; in an E'' literal a backslash escapes the next character.
      const escapes = c !== "'";
      let k = i + (escapes ? 2 : 1);
      while (k < sql.length) {
        if (escapes && sql[k] === "\\") k += 2;
        else if (sql[k] === "'" && sql[k + 1] === "'") k += 2;
        else if (sql[k] === "'") break;
        else k++;
      }
      advance(k + 1);
      push("'", "'…'", startLine, startCol);
    } else if (c === '"') {
      let k = i + 1;
      while (k < sql.length) {
        if (sql[k] === '"' && sql[k + 1] === '"') k += 2;
        else if (sql[k] === '"') break;
        else k++;
      }
      const raw = sql.slice(i, k + 1);
      advance(k + 1);
      push("IDENT", raw, startLine, startCol);
    } else if (c === "$" && /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.test(sql.slice(i, i + 64))) {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i, i + 64))![0];
      const end = sql.indexOf(tag, i + tag.length);
      advance(end === -1 ? sql.length : end + tag.length);
      push("'", "$…$", startLine, startCol);
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(sql.slice(i, i + 256))!;
      advance(i + m[0].length);
      push(m[0].toUpperCase(), m[0], startLine, startCol);
    } else if (c === ";") {
      if (tokens.length > 0) statements.push({ tokens, leading });
      tokens = [];
      leading = [];
      endedOnLine = line;
      advance(i + 1);
    } else if (/\s/.test(c)) {
      advance(i + 1);
    } else {
      // Numbers, operators, parentheses, commas, dots: one token per character is enough here.
      advance(i + 1);
      push(c, c, startLine, startCol);
    }
  }
  if (tokens.length > 0) statements.push({ tokens, leading });
  return statements;
}

/** Index of the first token at parenthesis depth 0, at or after `from`, with a value in `values`. */
function findTop(tokens: readonly Token[], from: number, values: readonly string[]): number {
  let depth = 0;
  for (let k = from; k < tokens.length; k++) {
    const v = tokens[k].value;
    if (v === "(") depth++;
    else if (v === ")") depth--;
    else if (depth === 0 && values.includes(v)) return k;
  }
  return -1;
}

/** Top-level comma-separated parts of tokens[from..]. */
function topParts(tokens: readonly Token[], from: number): Token[][] {
  const parts: Token[][] = [[]];
  let depth = 0;
  for (let k = from; k < tokens.length; k++) {
    const v = tokens[k].value;
    if (v === "(") depth++;
    else if (v === ")") depth--;
    if (depth === 0 && v === ",") parts.push([]);
    else parts[parts.length - 1].push(tokens[k]);
  }
  return parts;
}

const TEXT_WORDS = 8;

function textOf(tokens: readonly Token[]): string {
  const words = tokens.slice(0, TEXT_WORDS).map((t) => t.raw);
  let text = "";
  for (const w of words) text += text === "" || w === "." || text.endsWith(".") || w === "," || w === ")" || text.endsWith("(") ? w : ` ${w}`;
  return tokens.length > TEXT_WORDS ? `${text} …` : text;
}

/** The destructive kinds of one statement (an ALTER TABLE may hold several). */
function classify(tokens: readonly Token[]): { kind: DestructiveKind; at: Token }[] {
  const v = (k: number) => tokens[k]?.value;
  const first = v(0);
  if (first === "DROP") {
    const what = v(1) === "MATERIALIZED" ? undefined : v(1);
    if (what === "TABLE") return [{ kind: "drop table", at: tokens[0] }];
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
    const out: { kind: DestructiveKind; at: Token }[] = [];
    for (const part of topParts(tokens, 2)) {
      const p = (k: number) => part[k]?.value;
      const drop = part.findIndex((t) => t.value === "DROP");
      // DROP CONSTRAINT, DROP DEFAULT, DROP NOT NULL, DROP IDENTITY, DROP EXPRESSION keep the rows.
      if (drop !== -1 && !["CONSTRAINT", "DEFAULT", "NOT", "IDENTITY", "EXPRESSION"].includes(p(drop + 1) ?? "")) {
        const column = part.findIndex((t) => t.value === "ALTER");
        if (column === -1 || column > drop) out.push({ kind: "drop column", at: part[drop] });
      }
      // ALTER [COLUMN] <name> [SET DATA] TYPE <type>: TYPE after the name (a column may be called "type").
      const alter = part.findIndex((t) => t.value === "ALTER");
      const name = alter + (p(alter + 1) === "COLUMN" ? 2 : 1);
      const type = part.findIndex((t, k) => k > name && t.value === "TYPE");
      if (alter !== -1 && type !== -1 && !widensToText(part.slice(type + 1))) out.push({ kind: "column type change", at: part[alter] });
    }
    return out;
  }
  return [];
}

/**
 * Whether the words after TYPE make the column unbounded text: every value converts to text
 * without loss, so that change is the one type change that cannot narrow. A USING clause computes
 * new values, which can drop the old ones, so it never counts as one.
 */
function widensToText(rest: readonly Token[]): boolean {
  const words = rest.map((t) => t.value);
  if (words.includes("USING")) return false;
  if (words[0] === "TEXT") return words.length === 1 || words[1] === "COLLATE";
  const afterVarchar = words[0] === "VARCHAR" ? 1 : words[0] === "CHARACTER" && words[1] === "VARYING" ? 2 : 0;
  return afterVarchar > 0 && (words.length === afterVarchar || words[afterVarchar] === "COLLATE");
}

/** The reason of a `-- tenancy:destructive <reason>` among `comments`, or undefined. */
function markerReason(comments: readonly string[]): string | undefined {
  for (const comment of comments) {
    const m = new RegExp(`^${DESTRUCTIVE_MARKER}(?:\\s+(.*))?$`).exec(comment.trim());
    if (m && (m[1] ?? "").trim() !== "") return m[1].trim();
  }
  return undefined;
}

/** Every destructive statement of `sql`, in file order. */
export function destructiveStatements(sql: string): DestructiveStatement[] {
  const out: DestructiveStatement[] = [];
  for (const statement of tokenize(sql)) {
    const intended = markerReason(statement.leading);
    for (const { kind, at } of classify(statement.tokens)) {
      out.push({ kind, line: at.line, col: at.col, text: textOf(statement.tokens), ...(intended !== undefined ? { intended } : {}) });
    }
  }
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
 * default `migrations`) carries a marker. A project without the directory has nothing to check.
 */
export function unmarkedDestructive(cwd: string, dir = "migrations"): UnmarkedStatement[] {
  const full = join(cwd, dir);
  if (!existsSync(full)) return [];
  return readdirSync(full)
    .filter((name) => name.endsWith(".sql"))
    .sort()
    .flatMap((name) =>
      destructiveStatements(readFileSync(join(full, name), "utf8"))
        .filter((d) => d.intended === undefined)
        .map((d) => ({ file: posix.join(dir, name), line: d.line, col: d.col, path: "", message: unmarkedMessage(d) })),
    );
}
