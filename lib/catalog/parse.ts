// YAML parsing that keeps source positions and refuses what could hurt: duplicate keys,
// alias bombs, oversized files, tags that would construct anything but plain data.
import { Document, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node } from "yaml";
import type { CatalogError } from "./errors";

/** A small budget of alias uses: catalogs have no need for anchors, a bomb needs thousands. */
const MAX_ALIAS_COUNT = 100;

export interface ParsedFile {
  file: string;
  doc: Document.Parsed;
  lines: LineCounter;
  value: unknown;
}

export type ParseResult = { ok: true; parsed: ParsedFile } | { ok: false; errors: CatalogError[] };

export function parseYamlFile(file: string, text: string, maxBytes: number): ParseResult {
  const at = (line: number, col: number, message: string): CatalogError => ({ file, line, col, path: "", message });
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > maxBytes) {
    return { ok: false, errors: [at(1, 1, `file is ${bytes} bytes; the limit is ${maxBytes} (limits.max_file_bytes in _defaults.yaml)`)] };
  }
  if (text.charCodeAt(0) === 0xfeff) {
    return { ok: false, errors: [at(1, 1, "file starts with a byte-order mark; save it as UTF-8 without BOM")] };
  }
  if (text.trim() === "" || /^(\s*#.*\n?)*\s*$/.test(text)) {
    return { ok: false, errors: [at(1, 1, "file is empty; a catalog file holds one YAML mapping")] };
  }

  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: true, strict: true, version: "1.2" });
  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length > 0) {
    return {
      ok: false,
      errors: problems.map((p) => {
        const pos = p.linePos?.[0] ?? { line: 1, col: 1 };
        return at(pos.line, pos.col, describeYamlProblem(p.code, p.message));
      }),
    };
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    const reason = error instanceof ReferenceError ? "too many alias expansions (possible alias bomb)" : String(error);
    return { ok: false, errors: [at(1, 1, `refused: ${reason}`)] };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    const pos = doc.contents?.range ? lines.linePos(doc.contents.range[0]) : { line: 1, col: 1 };
    return { ok: false, errors: [at(pos.line, pos.col, `expected a mapping of keys to values, got ${kindOf(value)}`)] };
  }
  return { ok: true, parsed: { file, doc, lines, value } };
}

function describeYamlProblem(code: string, message: string): string {
  const first = message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
  switch (code) {
    case "DUPLICATE_KEY":
      return "duplicate key: each key may appear once in a mapping";
    case "TAB_AS_INDENT":
      return "tab used for indentation; YAML indents with spaces";
    case "TAG_RESOLVE_FAILED":
      return `unsupported tag: ${first}`;
    default:
      return `YAML syntax error: ${first}`;
  }
}

export function kindOf(value: unknown): string {
  if (value === null || value === undefined) return "nothing";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return `"${value.length > 60 ? value.slice(0, 57) + "..." : value}"`;
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
    return pair ? (pair.value ?? pair.key) : undefined;
  }
  if (isSeq(node) && typeof part === "number") return node.items[part];
  return undefined;
}
