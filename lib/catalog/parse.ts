// YAML parsing that keeps source positions and refuses what could hurt or mislead: duplicate keys,
// alias bombs, deep nesting, oversized files, `__proto__` keys, YAML 1.1 semantics, and tags that
// would construct anything but plain data.
import { Document, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Node } from "yaml";
import { formatPath, type CatalogError } from "./errors";

/** A small budget of alias uses: catalogs have no need for anchors, a bomb needs thousands. */
const MAX_ALIAS_COUNT = 100;
/** Catalogs nest a few levels; a cap keeps every later recursive step (schema, merge) far from the stack limit. */
export const MAX_NESTING = 32;

export interface ParsedFile {
  file: string;
  doc: Document.Parsed;
  lines: LineCounter;
  value: unknown;
}

export type ParseResult = { ok: true; parsed: ParsedFile } | { ok: false; errors: CatalogError[] };

/** `limitSource` names the setting behind `maxBytes`, when the user can change it. */
export function parseYamlFile(file: string, text: string, maxBytes: number, limitSource?: string): ParseResult {
  const at = (line: number, col: number, message: string, path = ""): CatalogError => ({ file, line, col, path, message });
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > maxBytes) {
    return { ok: false, errors: [at(1, 1, `file is ${bytes} bytes; the limit is ${maxBytes}${limitSource ? ` (${limitSource})` : ""}`)] };
  }
  if (text.charCodeAt(0) === 0xfeff) {
    return { ok: false, errors: [at(1, 1, "file starts with a byte-order mark; save it as UTF-8 without BOM")] };
  }
  // Line by line: one pattern over the whole text backtracks exponentially on a "#####" banner.
  if (text.split(/\r\n|\r|\n/).every((line) => /^\s*(#.*)?$/.test(line))) {
    return { ok: false, errors: [at(1, 1, "file is empty; a catalog file holds one YAML mapping")] };
  }

  const lines = new LineCounter();
  // Duplicate keys are found by checkKeys, which can name the key, its path and the first occurrence.
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false, prettyErrors: true, strict: true, version: "1.2" });
  // The parser often reports a cascade at one spot; the first of them is the one to fix.
  const problems = [...doc.errors, ...doc.warnings].filter((p, i, all) => all.findIndex((q) => q.pos[0] === p.pos[0]) === i);
  if (problems.length > 0) {
    return {
      ok: false,
      errors: problems.map((p) => {
        // A problem found at the end of the file (an unclosed bracket) is shown where the text ends,
        // not on a line past it. Where the parser runs out of stack depends on the stack, so that
        // refusal is about the file as a whole.
        const end = text.trimEnd().length;
        const pos =
          p.code === "RESOURCE_EXHAUSTION" ? { line: 1, col: 1 } : p.pos[0] >= end ? lines.linePos(end) : (p.linePos?.[0] ?? { line: 1, col: 1 });
        return at(pos.line, pos.col, describeYamlProblem(p.code, p.message));
      }),
    };
  }
  // A %YAML 1.1 directive would bring back yes/no booleans, octal 010 and timestamps.
  if (doc.directives?.yaml.version !== "1.2") {
    return { ok: false, errors: [at(1, 1, `YAML ${doc.directives?.yaml.version} is not supported; catalog files are YAML 1.2, so remove the %YAML line`)] };
  }
  const keyErrors: CatalogError[] = [];
  checkKeys(doc.contents, [], lines, (pos, path, message) => keyErrors.push(at(pos.line, pos.col, message, formatPath(path))));
  if (keyErrors.length > 0) return { ok: false, errors: keyErrors };
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    const reason = error instanceof ReferenceError ? "too many alias expansions (possible alias bomb)" : String(error);
    return { ok: false, errors: [at(1, 1, `refused: ${reason}`)] };
  }
  // The byte limit is on what the file holds, and aliases multiply it: a 60 KB anchor used 99 times
  // is 6 MB of settings. So a file with aliases is measured again, expanded (as JSON).
  const expanded = hasAlias(doc) ? Buffer.byteLength(JSON.stringify(value) ?? "", "utf8") : 0;
  if (expanded > maxBytes) {
    return { ok: false, errors: [at(1, 1, `file expands to ${expanded} bytes through its YAML aliases; the limit is ${maxBytes}${limitSource ? ` (${limitSource})` : ""}`)] };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    const pos = doc.contents?.range ? lines.linePos(doc.contents.range[0]) : { line: 1, col: 1 };
    return { ok: false, errors: [at(pos.line, pos.col, `expected a mapping of keys to values, got ${kindOf(value)}`)] };
  }
  return { ok: true, parsed: { file, doc, lines, value } };
}

function hasAlias(doc: Document.Parsed): boolean {
  let found = false;
  visit(doc, {
    Alias() {
      found = true;
      return visit.BREAK;
    },
  });
  return found;
}

function describeYamlProblem(code: string, message: string): string {
  const first = message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
  switch (code) {
    case "TAB_AS_INDENT":
      return "tab used for indentation; YAML indents with spaces";
    case "TAG_RESOLVE_FAILED":
      return `unsupported tag ${first.replace(/^Unresolved tag: /, "")}; catalog files hold plain data (text, numbers, booleans, lists, mappings)`;
    case "BAD_DIRECTIVE":
      return `unsupported directive: ${first}`;
    case "MULTIPLE_DOCS":
      return "a second YAML document starts here; a catalog file holds one document, so remove the --- line";
    case "RESOURCE_EXHAUSTION":
      return `refused: nested more than ${MAX_NESTING} levels deep`;
    default:
      for (const [pattern, hint] of SYNTAX_HINTS) {
        const match = pattern.exec(first);
        if (match) return `YAML syntax error: ${hint(match)}`;
      }
      return `YAML syntax error: ${first}`;
  }
}

/** The parser's wording of the usual slips, said with how to fix them. */
const SYNTAX_HINTS: [RegExp, (match: RegExpExecArray) => string][] = [
  [/^Flow sequence in block collection/, () => "a [ list is not closed; end it with ] on the same line or indent its continuation"],
  [/^Flow map in block collection/, () => "a { mapping is not closed; end it with } on the same line or indent its continuation"],
  [/^All mapping items must start at the same column/, () => "keys of one mapping must start at the same column; this one is indented differently"],
  [/^Implicit map keys need to be followed by map values/, () => "expected key: value (a colon and a space after the key) or a list item (- value)"],
  [/^Missing closing (.)quote/, ([, quote]) => `a quoted value is not closed; add the closing ${quote}`],
  [/^Nested mappings are not allowed in compact mappings/, () => 'a value holds ": " or is indented too far; quote a value with a colon in it (name: "A: B")'],
  [/^Plain value cannot start with reserved character (.)/, ([, char]) => `a value cannot start with ${char} unless quoted ("${char}...")`],
];

type KeyProblem = (pos: { line: number; col: number }, path: PropertyKey[], message: string) => void;

/**
 * Nesting is bounded, and keys must be plain scalars, unique within their mapping, and never `__proto__` (which would
 * replace an object's prototype when merged, silently smuggling values past the strict schema).
 */
function checkKeys(node: unknown, path: PropertyKey[], lines: LineCounter, report: KeyProblem): void {
  if ((isSeq(node) || isMap(node)) && path.length >= MAX_NESTING) {
    report(lines.linePos(node.range?.[0] ?? 0), path, `refused: nested more than ${MAX_NESTING} levels deep`);
    return;
  }
  if (isSeq(node)) {
    node.items.forEach((item, i) => checkKeys(item, [...path, i], lines, report));
    return;
  }
  if (!isMap(node)) return;
  const first = new Map<string, number>();
  for (const pair of node.items) {
    const pos = lines.linePos((pair.key as Node | null)?.range?.[0] ?? node.range?.[0] ?? 0);
    if (!isScalar(pair.key)) {
      report(pos, path, "a key must be plain text, not a list or mapping");
      continue;
    }
    const key = String(pair.key.value);
    if (key === "__proto__") {
      report(pos, [...path, key], `key "__proto__" is not allowed`);
      continue;
    }
    const seen = first.get(key);
    if (seen !== undefined) {
      report(pos, [...path, key], `duplicate key "${key}" (first set on line ${seen}); each key may appear once in a mapping`);
      continue;
    }
    first.set(key, pos.line);
    checkKeys(pair.value, [...path, key], lines, report);
  }
}

export function kindOf(value: unknown): string {
  if (value === null || value === undefined) return "nothing";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") {
    // A URL's password must not reach a log through an error message.
    const shown = value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:\s]*):[^/@\s]*@/i, "$1:***@");
    // JSON quoting keeps a line break or control character from splitting the one-line message; an
    // invisible formatting character (a bidirectional control) is shown as its escape, not obeyed.
    return JSON.stringify(shown.length > 60 ? shown.slice(0, 57) + "..." : shown).replace(
      /[\p{Cf}\u115F\u1160\u3164\uFFA0\u2800]/gu,
      (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, "0")}`,
    );
  }
  return `${typeof value} ${String(value)}`;
}

/**
 * Where a path points in the source: the node at `path`, or for `key` the key itself inside the
 * mapping at `path`. Falls back to the nearest ancestor that exists (a missing field is reported at
 * the mapping that lacks it).
 */
export function locate(parsed: ParsedFile, path: readonly PropertyKey[], key?: string): { line: number; col: number } {
  let node: unknown = parsed.doc.contents;
  let best: Node | undefined = node as Node | undefined;
  for (const part of path) {
    const next = child(node, part);
    if (next === undefined) break;
    node = next;
    best = next as Node;
  }
  if (key !== undefined && isMap(node) && best === node) {
    const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === key);
    if (pair && isScalar(pair.key) && pair.key.range) return parsed.lines.linePos(pair.key.range[0]);
  }
  const offset = best?.range?.[0] ?? 0;
  return parsed.lines.linePos(offset);
}

/** Whether the document holds a node at `path`. */
export function has(parsed: ParsedFile, path: readonly PropertyKey[]): boolean {
  let node: unknown = parsed.doc.contents;
  for (const part of path) {
    node = child(node, part);
    if (node === undefined) return false;
  }
  return true;
}

function child(node: unknown, part: PropertyKey): unknown {
  if (isMap(node)) {
    const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(part));
    if (!pair) return undefined;
    // An empty value (`name:`) has no text of its own; point at its key instead.
    return isScalar(pair.value) && pair.value.value === null && pair.value.source === "" ? pair.key : (pair.value ?? pair.key);
  }
  if (isSeq(node) && typeof part === "number") return node.items[part];
  return undefined;
}
