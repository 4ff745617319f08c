// `tenancy plan --sizes <file.json>`: each tenant's size in bytes (rows and objects), from wherever the
// operator measures it, so the plan can estimate a move's maintenance (lib/plan/move-estimate.ts).
// The plan needs no credentials, so it reads sizes from a file instead of asking the services.
// Every problem of the file at once, each located as `file:line:col id: message`, and thrown once.
import { LineCounter, parseDocument, isMap, isScalar } from "yaml";
import { didYouMean } from "../catalog/errors";

const WANTED = `--sizes takes a JSON object of tenant id to size in bytes, such as { "acme": 2147483648 }, or what \`tenancy status --format json\` prints`;

/** `tenancy status --format json`: each tenant's database and storage bytes, where they were reachable. */
interface StatusJson {
  tenants: { expected?: { id?: unknown }; database?: { reachable?: boolean; bytes?: unknown }; storage?: { reachable?: boolean; bytes?: unknown } }[];
}

function isStatusJson(value: object): value is StatusJson {
  return Array.isArray((value as Partial<StatusJson>).tenants);
}

/** The sizes a status report measured: rows and objects of each tenant both parts of which it reached. */
function statusSizes(status: StatusJson, file: string, known: readonly string[]): Map<string, number> {
  const sizes = new Map<string, number>();
  const ids = new Set(known);
  for (const [i, t] of status.tenants.entries()) {
    const id = t?.expected?.id;
    if (typeof id !== "string") throw new Error(`${file}: tenants[${i}] has no expected.id; ${WANTED}`);
    const [db, storage] = [t.database, t.storage];
    if (!ids.has(id) || !db?.reachable || !storage?.reachable || typeof db.bytes !== "number" || typeof storage.bytes !== "number") continue;
    sizes.set(id, db.bytes + storage.bytes);
  }
  return sizes;
}

/** `text` parsed as YAML (JSON is YAML) for where things are: JSON.parse keeps no positions, and only the last of two equal keys. */
function located(text: string) {
  const lines = new LineCounter();
  return { doc: parseDocument(text, { lineCounter: lines, uniqueKeys: false }), lines };
}

/**
 * The sizes in `text` (the file at `file`), by tenant id. `known`: the tenant ids of the catalog, now
 * and at the base; an id outside them is a typo or a stale inventory, and a typo would silently leave
 * its tenant without an estimate, so it is an error.
 */
export function parseSizes(text: string, file: string, known: readonly string[]): Map<string, number> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    // V8 says where: "... in JSON at position 11".
    const at = /at position (\d+)/.exec((error as Error).message);
    const { line, col } = located(text).lines.linePos(at ? Number(at[1]) : text.length);
    throw new Error(`${file}:${line}:${col}: not JSON (${(error as Error).message}); ${WANTED}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`${file}:1:1: ${value === null ? "null" : Array.isArray(value) ? "an array" : `a ${typeof value}`}, not a JSON object; ${WANTED}`);
  }
  // A status report covers a whole cell, and other cells' tenants: only the catalog's are taken.
  if (isStatusJson(value)) return statusSizes(value, file, known);
  const { doc, lines } = located(text);
  const problems: string[] = [];
  const sizes = new Map<string, number>();
  const ids = new Set(known);
  const seen = new Set<string>();
  for (const pair of isMap(doc.contents) ? doc.contents.items : []) {
    if (!isScalar(pair.key)) continue;
    const id = String(pair.key.value);
    const { line, col } = lines.linePos(pair.key.range?.[0] ?? 0);
    const at = `${file}:${line}:${col} ${id}`;
    // This entry's value: JSON.parse kept only the last of a repeated id.
    const bytes = isScalar(pair.value) ? pair.value.value : (pair.value as { toJSON(): unknown } | null)?.toJSON();
    if (seen.has(id)) problems.push(`${at}: given twice; give each tenant one size`);
    else if (!ids.has(id)) problems.push(`${at}: no tenant ${id} in the catalog (now or at the base)${didYouMean(id, [...ids])}; sizes are by tenant id`);
    else if (typeof bytes !== "number" || !Number.isSafeInteger(bytes) || bytes < 0) {
      problems.push(`${at}: ${JSON.stringify(bytes)} is not a size; a size is a whole number of bytes, 0 or more, such as 2147483648 for 2 GiB`);
    }
    if (!seen.has(id) && typeof bytes === "number") sizes.set(id, bytes);
    seen.add(id);
  }
  if (problems.length > 0) throw new Error(`${problems.length} problem(s) in ${file}; ${WANTED}:\n${problems.join("\n")}`);
  return sizes;
}
