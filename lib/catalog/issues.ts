// Turns zod issues into located catalog errors with plain sentences.
import { z } from "zod";
import { didYouMean, formatPath, type CatalogError } from "./errors";
import { has, kindOf, locate, type ParsedFile } from "./parse";

type Issue = z.core.$ZodIssue & { input?: unknown };

/** Where a value may have come from: the file itself, or a fallback document under a prefix (`_defaults.yaml` `tenant:`). */
export interface Origin {
  parsed: ParsedFile;
  prefix: readonly PropertyKey[];
}

/**
 * Located errors for a failed parse. `origins` are tried in order: the first one that holds the
 * offending path gets the error; a value no origin holds is reported as missing in the first.
 */
export function issuesToErrors(schema: z.ZodType, issues: readonly Issue[], origins: readonly Origin[]): CatalogError[] {
  const errors: CatalogError[] = [];
  /** `message` learns whether the file holds the value: an empty `name:` is not the same mistake as no `name` at all. */
  const report = (path: PropertyKey[], message: (present: boolean) => string, key?: string) => {
    const full = key === undefined ? path : [...path, key];
    const origin = origins.find((o) => has(o.parsed, [...o.prefix, ...full])) ?? origins[0];
    const found = has(origin.parsed, [...origin.prefix, ...full]);
    const pos = locate(origin.parsed, [...origin.prefix, ...(found && key === undefined ? full : path)], found ? key : undefined);
    errors.push({ file: origin.parsed.file, line: pos.line, col: pos.col, path: formatPath([...origin.prefix, ...full]), message: message(found) });
  };

  for (const issue of issues) {
    const path = issue.path as PropertyKey[];
    if (issue.code === "unrecognized_keys") {
      const known = knownKeys(schema, path);
      for (const key of issue.keys) {
        const hint = didYouMean(key, known) || misplaced(schema, path, key);
        report(path, () => `unknown key ${JSON.stringify(key)}${hint}${known.length ? ` (allowed: ${known.join(", ")})` : ""}`, key);
      }
      continue;
    }
    if (issue.code === "invalid_key") {
      // A bad key of a record (a ring name, say) is reported at the key, with what the key should be.
      const key = String(path[path.length - 1]);
      const why = issue.issues.map((inner) => inner.message).join("; ");
      report(path.slice(0, -1), () => `invalid key ${JSON.stringify(key)}: ${why}`, key);
      continue;
    }
    if (issue.code === "invalid_union") {
      // The only unions in the schema are free-form JSON values (settings); zod reports the whole
      // value, so point at the leaf that is not plain data instead.
      const leaf = firstNonJson(issue.input);
      if (leaf) {
        report([...path, ...leaf.path], () => `expected plain data (text, a finite number, true/false, a list or a mapping), got ${kindOf(leaf.value)}`);
        continue;
      }
    }
    report(path, (present) => describeIssue(issue, present));
  }
  return errors;
}

function firstNonJson(value: unknown, path: PropertyKey[] = []): { path: PropertyKey[]; value: unknown } | undefined {
  if (value === null || typeof value === "string" || typeof value === "boolean") return undefined;
  if (typeof value === "number") return Number.isFinite(value) ? undefined : { path, value };
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = firstNonJson(value[i], [...path, i]);
      if (found) return found;
    }
    return undefined;
  }
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [key, item] of Object.entries(value)) {
      const found = firstNonJson(item, [...path, key]);
      if (found) return found;
    }
    return undefined;
  }
  return { path, value };
}

/** A plain sentence for one issue; `present` says whether the document holds the value (possibly empty). */
export function describeIssue(issue: Issue, present = true): string {
  const got = "input" in issue ? kindOf(issue.input) : "nothing";
  // A check that words its issue in full (a repeated list entry) needs no "got".
  if (issue.code === "custom" && (issue.params as { complete?: boolean } | undefined)?.complete) return issue.message;
  switch (issue.code) {
    case "invalid_value": {
      const values = issue.values.map(String);
      const suggestion = typeof issue.input === "string" ? didYouMean(issue.input, values) : "";
      // A schema that words its own message (a long enum) keeps it; the suggestion still applies.
      if (!issue.message.startsWith("Invalid option")) return `${issue.message}, got ${got}${suggestion}`;
      return `expected one of ${values.join("|")}, got ${got}${suggestion}`;
    }
    case "invalid_type":
      if (issue.input === undefined && !present) return `missing; expected ${article(issue.expected)}`;
      return `expected ${article(issue.expected)}, got ${got}`;
    case "too_small":
    case "too_big":
      if (!/^Too (small|big)/.test(issue.message)) return `${issue.message}, got ${got}`;
      return `${bound(issue, issue.code === "too_small" ? "at least" : "at most")}, got ${size(issue.input) ?? got}`;
    default:
      return `${issue.message}, got ${got}`;
  }
}

/** How big a list or a long text is, where showing the value itself would not help. */
function size(input: unknown): string | undefined {
  if (Array.isArray(input)) return `${input.length} item(s)`;
  if (typeof input === "string" && input.length > 60) return `${input.length} characters`;
  return undefined;
}

function bound(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig, word: string): string {
  const limit = String(issue.code === "too_small" ? issue.minimum : issue.maximum);
  switch (issue.origin) {
    case "string":
      return `expected ${word} ${limit} character(s)`;
    case "array":
    case "set":
      return `expected ${word} ${limit} item(s)`;
    default:
      return `expected a number ${word === "at least" ? (issue.inclusive === false ? ">" : ">=") : issue.inclusive === false ? "<" : "<="} ${limit}`;
  }
}

function article(expected: string): string {
  const names: Record<string, string> = { object: "a mapping", array: "a list", record: "a mapping", int: "a whole number", boolean: "true or false" };
  return names[expected] ?? `a ${expected}`;
}

/**
 * A key that is valid one level down or one level up from where it was written: the usual sign of
 * a wrong indentation. Returns a suffix saying where it belongs, or "".
 */
function misplaced(schema: z.ZodType, path: readonly PropertyKey[], key: string): string {
  const below = knownKeys(schema, path).filter((child) => knownKeys(schema, [...path, child]).includes(key));
  if (below.length === 1) return `; it belongs inside ${below[0]} (check the indentation)`;
  const parent = path[path.length - 1];
  if (typeof parent === "string" && knownKeys(schema, path.slice(0, -1)).includes(key)) return `; it belongs one level up, beside ${parent} (check the indentation)`;
  return "";
}

/** The keys a strict object schema allows at `path`, for "did you mean" suggestions. */
export function knownKeys(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let node: z.core.$ZodType | undefined = schema;
  for (const part of path) {
    node = node && unwrap(node);
    if (!node) return [];
    const def = node._zod.def as unknown as Record<string, unknown>;
    if (def.type === "object") node = Object.hasOwn(def.shape as object, String(part)) ? (def.shape as Record<string, z.core.$ZodType>)[String(part)] : undefined;
    else if (def.type === "array") node = def.element as z.core.$ZodType;
    else if (def.type === "record") node = def.valueType as z.core.$ZodType;
    else return [];
  }
  node = node && unwrap(node);
  const def = node?._zod.def as unknown as Record<string, unknown> | undefined;
  return def?.type === "object" ? Object.keys(def.shape as object) : [];
}

function unwrap(node: z.core.$ZodType): z.core.$ZodType {
  let current = node;
  for (;;) {
    const def = current._zod.def as unknown as Record<string, unknown>;
    if (def.type === "optional" || def.type === "nullable" || def.type === "default" || def.type === "prefault") {
      current = def.innerType as z.core.$ZodType;
    } else if (def.type === "pipe") {
      current = def.in as z.core.$ZodType;
    } else return current;
  }
}
