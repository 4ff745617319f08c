// Located, plain-sentence errors, formatted like a compiler's: `tenants/acme.yaml:12:5 path: message`.
import { closest, distance } from "fastest-levenshtein";

export interface CatalogError {
  /** Path of the file as the user names it, such as `tenants/acme.yaml`. */
  file: string;
  /** 1-based line and column of the offending node. */
  line: number;
  col: number;
  /** Dot path inside the document (`database.isolation`, `domains.custom[1]`), or `` for the file as a whole. */
  path: string;
  message: string;
}

export function formatError(error: CatalogError): string {
  const where = `${error.file}:${error.line}:${error.col}`;
  return error.path ? `${where} ${error.path}: ${error.message}` : `${where} ${error.message}`;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    // A key that a dot path cannot show plainly (a dot, a space, a line break, nothing) is quoted.
    else if (!PLAIN_KEY.test(String(part))) out += `[${JSON.stringify(String(part))}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}
const PLAIN_KEY = /^[^\p{Cc}\s.[\]"]+$/u;

/** A "did you mean" suffix for a misspelt word, or "" when nothing is close enough to be a likely typo. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  if (candidates.length === 0) return "";
  const best = closest(word, candidates as string[]);
  // A word shorter than the edit needed to reach a candidate shares nothing with it ("1" is not a typo of "id").
  const limit = Math.min(Math.max(2, Math.floor(best.length / 3)), word.length - 1);
  return distance(word, best) <= limit ? `; did you mean "${best}"?` : "";
}

/** Errors sorted by file, line, column and text, without repeats, so reports are stable across runs. */
export function sortErrors(errors: readonly CatalogError[]): CatalogError[] {
  const seen = new Set<string>();
  const unique = errors.filter((e) => {
    const key = formatError(e);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return unique.sort(
    (a, b) =>
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
      a.line - b.line ||
      a.col - b.col ||
      (a.message < b.message ? -1 : a.message > b.message ? 1 : 0),
  );
}

/** Thrown by the program when the catalog is invalid: carries every error so one run shows them all. */
export class CatalogInvalidError extends Error {
  constructor(readonly errors: readonly CatalogError[]) {
    super(`the tenant catalog has ${errors.length} error(s):\n${errors.map(formatError).join("\n")}`);
    this.name = "CatalogInvalidError";
  }
}
