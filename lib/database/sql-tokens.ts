// The SQL tokenizer the migration lint reads with (migration-lint.ts, column-types.ts): statements of
// tokens, with comments, string literals, quoted identifiers and dollar-quoted bodies skipped as
// text, so a keyword inside one never counts; and the small readers of token lists they share.
export interface Token {
  /** Upper-cased for words; the character for punctuation; `'` for any quoted literal. */
  value: string;
  /** The word as written (identifiers keep their case in `text`). */
  raw: string;
  line: number;
  col: number;
}

export interface Statement {
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
export function findTop(tokens: readonly Token[], from: number, values: readonly string[]): number {
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
export function topParts(tokens: readonly Token[], from: number): Token[][] {
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

/** Tokens as a reviewer writes them: a space between two words, none around punctuation. */
export function joinTokens(tokens: readonly Token[]): string {
  let text = "";
  let wordBefore = false;
  for (const t of tokens) {
    const word = /^[A-Za-z_"]/.test(t.raw) || t.value === "'";
    text += text !== "" && word && wordBefore ? ` ${t.raw}` : t.raw;
    wordBefore = word;
  }
  return text;
}

/** A name as PostgreSQL folds it: unquoted lower-cased, quoted as written. */
export function identName(t: Token | undefined): string | undefined {
  if (!t) return undefined;
  if (t.value === "IDENT") return t.raw.slice(1, -1).replace(/""/g, '"');
  return /^[A-Za-z_]/.test(t.raw) ? t.raw.toLowerCase() : undefined;
}

/** A possibly schema-qualified name at tokens[from]: its normalized parts joined by `.`, and the index after it. */
export function qualifiedName(tokens: readonly Token[], from: number): { name: string; end: number } | undefined {
  const first = identName(tokens[from]);
  if (first === undefined) return undefined;
  const parts = [first];
  let k = from + 1;
  while (tokens[k]?.value === "." && identName(tokens[k + 1]) !== undefined) {
    parts.push(identName(tokens[k + 1])!);
    k += 2;
  }
  return { name: parts.join("."), end: k };
}

