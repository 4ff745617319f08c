// Column types as the migration lint tracks them across the migrations (migration-lint.ts): a type
// as written reduced to what the widening rules compare, the rules themselves (which change of a
// column's type keeps every value), and the readers of CREATE TABLE column lists and type names.
import { identName, joinTokens, type Token } from "./sql-tokens";

/** A column type reduced to what the widening rules compare: `varchar` with [20], `numeric` with [10, 2]. */
export interface TypeKey {
  /** Lower-case canonical name (`integer` for int/int4/serial, `varchar` for character varying, ...). */
  base: string;
  /** The numbers in its parentheses; undefined without any (or when one is not a number). */
  args?: number[];
  array: boolean;
}

export interface ColumnType {
  /** The type as the migration wrote it (`char(3)`, `bigint`): what a finding quotes. */
  written: string;
  key: TypeKey;
}

/**
 * The column types known after some migrations: table to column to type. Tables are keyed by their
 * normalized name (`invoices`, `billing.invoices`); a table or column missing here is one whose
 * type the lint does not know (created by something it does not read, or not created at all).
 */
export type ColumnTypes = Map<string, Map<string, ColumnType>>;

const lastPart = (name: string) => name.slice(name.lastIndexOf(".") + 1);

/**
 * The key of table `name` in `types`: the same name, else the one table of that name when one of
 * the two is not schema-qualified (`public.t` and `t` under the default search path); none when
 * unknown or ambiguous.
 */
export function resolveTable(types: ColumnTypes, name: string): string | undefined {
  if (types.has(name)) return name;
  const candidates = [...types.keys()].filter((k) => lastPart(k) === lastPart(name) && (!k.includes(".") || !name.includes(".")));
  return candidates.length === 1 ? candidates[0] : undefined;
}

/** Words that end a column's type in a column definition or ALTER COLUMN ... TYPE. */
const AFTER_TYPE = new Set([
  "COLLATE", "USING", "NOT", "NULL", "DEFAULT", "PRIMARY", "UNIQUE", "CHECK", "REFERENCES", "CONSTRAINT",
  "GENERATED", "COMPRESSION", "STORAGE", "DEFERRABLE", "INITIALLY", "NO",
]);

/** The type written at tokens[from..]: up to the first word that starts a clause after it. */
export function parseType(tokens: readonly Token[], from: number): { type: ColumnType; end: number } | undefined {
  let depth = 0;
  let k = from;
  for (; k < tokens.length; k++) {
    const v = tokens[k].value;
    if (v === "(") depth++;
    else if (v === ")") {
      if (depth === 0) break;
      depth--;
    } else if (depth === 0 && (AFTER_TYPE.has(v) || v === "," || v === "'" || v === ":")) break;
  }
  if (k === from) return undefined;
  const written = tokens.slice(from, k);
  return { type: { written: joinTokens(written), key: typeKey(written) }, end: k };
}

const TYPE_ALIASES: Record<string, string> = {
  INT: "integer", INT4: "integer", INTEGER: "integer", SERIAL: "integer", SERIAL4: "integer",
  SMALLINT: "smallint", INT2: "smallint", SMALLSERIAL: "smallint", SERIAL2: "smallint",
  BIGINT: "bigint", INT8: "bigint", BIGSERIAL: "bigint", SERIAL8: "bigint",
  REAL: "real", FLOAT4: "real", "DOUBLE PRECISION": "double precision", FLOAT8: "double precision",
  NUMERIC: "numeric", DECIMAL: "numeric", DEC: "numeric",
  VARCHAR: "varchar", "CHARACTER VARYING": "varchar", "CHAR VARYING": "varchar",
  CHAR: "char", CHARACTER: "char", TEXT: "text",
  TIMESTAMPTZ: "timestamp with time zone", TIMESTAMP: "timestamp without time zone", TIMETZ: "time with time zone",
  TIME: "time without time zone", BOOL: "boolean",
};

function typeKey(written: readonly Token[]): TypeKey {
  let tokens = written;
  if (identName(tokens[0]) === "pg_catalog" && tokens[1]?.value === ".") tokens = tokens.slice(2);
  const words: string[] = [];
  let args: number[] | undefined;
  let array = false;
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k];
    if (t.value === "(") {
      let close = k + 1;
      while (close < tokens.length && tokens[close].value !== ")") close++;
      if (args === undefined && words.length > 0 && !array) {
        const numbers = tokens.slice(k + 1, close).map((a) => a.raw).join("").split(",").map(Number);
        args = numbers.every((n) => Number.isInteger(n)) ? numbers : [NaN];
      }
      k = close;
    } else if (t.value === "[" || t.value === "ARRAY") {
      array = true;
    } else if (!array && t.value !== "]" && !/^[0-9]$/.test(t.value)) {
      words.push(t.value === "IDENT" ? t.raw : t.value === "." ? "." : t.value);
    }
  }
  let name = words.join(" ").replace(/ \. /g, ".");
  if (name.endsWith(" WITHOUT TIME ZONE")) name = name.slice(0, -" WITHOUT TIME ZONE".length);
  if (name === "FLOAT") name = args !== undefined && args[0] <= 24 ? "REAL" : "DOUBLE PRECISION";
  let base = TYPE_ALIASES[name] ?? name.toLowerCase();
  if (name === "TIMESTAMP WITH TIME ZONE") base = "timestamp with time zone";
  if (name === "TIME WITH TIME ZONE") base = "time with time zone";
  if (name === "FLOAT" || name === "REAL" || name === "DOUBLE PRECISION") args = undefined;
  // char without a length is char(1).
  if (base === "char" && args === undefined) args = [1];
  if (args?.some((n) => Number.isNaN(n))) return { base: `${base}(?)`, array };
  return { base, ...(args !== undefined ? { args } : {}), array };
}

const sameKey = (a: TypeKey, b: TypeKey) => a.base === b.base && a.array === b.array && JSON.stringify(a.args ?? []) === JSON.stringify(b.args ?? []);

/** Unbounded text: every value of any type converts to it without loss. */
export const isUnboundedText = (t: TypeKey) => !t.array && (t.base === "text" || (t.base === "varchar" && t.args === undefined));

const INTEGER_RANK: Record<string, number> = { smallint: 1, integer: 2, bigint: 3 };
/** Decimal digits an integer type needs (32767, 2147483647, 9223372036854775807). */
const INTEGER_DIGITS: Record<string, number> = { smallint: 5, integer: 10, bigint: 19 };

/** Whether every value of `from` converts to `to` unchanged: a widening (or the same type); to unbounded text is checked apart. */
export function lossless(from: TypeKey, to: TypeKey): boolean {
  if (sameKey(from, to)) return true;
  if (from.array || to.array) return false;
  if ((from.base === "varchar" || from.base === "char") && from.args?.length === 1 && to.base === "varchar") {
    return to.args === undefined || (to.args.length === 1 && to.args[0] >= from.args[0]);
  }
  if (from.base in INTEGER_RANK) {
    if (to.base in INTEGER_RANK) return INTEGER_RANK[to.base] > INTEGER_RANK[from.base];
    if (to.base === "numeric") return to.args === undefined || to.args[0] - (to.args[1] ?? 0) >= INTEGER_DIGITS[from.base];
    return false;
  }
  if (from.base === "real") return to.base === "double precision";
  if (from.base === "numeric" && to.base === "numeric") {
    if (to.args === undefined) return true;
    if (from.args === undefined) return false;
    const [p, s = 0] = from.args;
    const [p2, s2 = 0] = to.args;
    return p2 >= p && p2 - s2 >= p - s && s2 >= s;
  }
  return false;
}

/**
 * Whether a USING expression only casts the column to the new type (`c`, `c::t`, `(c)::t`,
 * `CAST(c AS t)`): then the change converts the values as it would without one.
 */
export function plainCast(using: readonly Token[], column: string, to: TypeKey): boolean {
  const isColumn = (t: Token | undefined) => identName(t) === column;
  const castTo = (from: number, end: number) => {
    const parsed = parseType(using, from);
    return parsed !== undefined && parsed.end === end && sameKey(parsed.type.key, to);
  };
  if (using.length === 1) return isColumn(using[0]);
  let k = 0;
  if (using[0].value === "(" && isColumn(using[1]) && using[2]?.value === ")") k = 3;
  else if (isColumn(using[0])) k = 1;
  if (k > 0) return using[k]?.value === ":" && using[k + 1]?.value === ":" && castTo(k + 2, using.length);
  return (
    using[0].value === "CAST" && using[1]?.value === "(" && isColumn(using[2]) && using[3]?.value === "AS" &&
    using[using.length - 1].value === ")" && castTo(4, using.length - 1)
  );
}

/** The column definitions of a CREATE TABLE's parenthesized list. */
export function columnDefinitions(parts: readonly Token[][]): Map<string, ColumnType> {
  const columns = new Map<string, ColumnType>();
  for (const part of parts) {
    const first = part[0]?.value;
    if (first === undefined || ["CONSTRAINT", "PRIMARY", "UNIQUE", "FOREIGN", "CHECK", "LIKE"].includes(first)) continue;
    if (first === "EXCLUDE" && (part[1]?.value === "USING" || part[1]?.value === "(")) continue;
    const name = identName(part[0]);
    const type = parseType(part, 1);
    if (name !== undefined && type !== undefined) columns.set(name, type.type);
  }
  return columns;
}
