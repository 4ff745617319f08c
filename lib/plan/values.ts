// Old → new values of an update, as a reviewer reads them: each changed input as compact JSON, cut
// to a readable length, and masked when it is or may be a secret. Inside an object input only the
// paths that differ are shown (`configuration.tenant.status`), a few per input: two long objects
// cut at the same length would otherwise read the same. Masked: every
// input that was a Pulumi secret on either side (or holds one deeper down), and every input or
// nested key whose name says password, secret, key or token, whatever its value looks like; the
// plan never learns which of those are real secrets, so it shows none of them. A URL keeps its
// scheme, host and path; its user info and query (where tokens travel) are masked.
import type { ResourceChange } from "./diff";

export const MASK = "[secret]";
/** Characters of one value before it is cut: a long policy document says little in a plan line. */
export const MAX_VALUE = 80;
/** Differing paths shown per object input; the rest are counted. */
export const MAX_PATHS = 6;

const SECRET_NAME = /password|passwd|secret|key|token|credential|private/i;

export interface ValueChange {
  key: string;
  from: string;
  to: string;
}

/** Whether `path` (a registration's secret input path) is `key` or lies under it. */
function under(path: string, key: string): boolean {
  return path === key || path.startsWith(`${key}.`) || path.startsWith(`${key}[`);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The dotted paths below `path` where `a` and `b` differ: objects are descended, anything else is a leaf. */
function differingPaths(path: string, a: unknown, b: unknown, out: { path: string; a: unknown; b: unknown }[]): void {
  if (isObject(a) && isObject(b)) {
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) differingPaths(`${path}.${k}`, a[k], b[k], out);
  } else if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ path, a, b });
}

/** A URL with its user info and query masked; any other string as it is. */
function maskUrl(text: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*@)?([^?#]*)(\?[^#]*)?(#.*)?$/is.exec(text);
  if (!m || (!m[2] && !m[4])) return text;
  return `${m[1]}${m[2] ? `${MASK}@` : ""}${m[3]}${m[4] ? `?${MASK}` : ""}${m[5] ?? ""}`;
}

/** Plain data with every value under a secret-sounding key replaced by the mask, and URLs' user info and query masked. */
function maskNamed(value: unknown): unknown {
  if (typeof value === "string") return maskUrl(value);
  if (Array.isArray(value)) return value.map(maskNamed);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_NAME.test(k) ? MASK : maskNamed(v)]));
}

/** A value as shown: compact JSON, cut at MAX_VALUE characters. */
export function shownValue(value: unknown): string {
  if (value === undefined) return "(none)";
  const text = JSON.stringify(maskNamed(value)) ?? String(value);
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

/** The changed inputs and options of an update, old → new, masked and cut. Empty for anything else. */
export function valueChanges(change: ResourceChange): ValueChange[] {
  const before = change.previous;
  if (change.action !== "update" || !before) return [];
  const after = change.registration;
  return change.changedKeys.flatMap((key): ValueChange | ValueChange[] => {
    if (key.startsWith("options.")) {
      const option = key.slice("options.".length) as "protect" | "retainOnDelete" | "provider";
      // A provider reference is `<urn>::<id>`: its logical name says which (such as aws-us-east-1).
      const name = (v: unknown) => (option === "provider" && typeof v === "string" ? (v.split("::").slice(-2, -1)[0] ?? v) : shownValue(v));
      return { key, from: name(before[option]), to: name(after[option]) };
    }
    const secretPaths = [...before.secretInputs, ...after.secretInputs];
    const masked = (path: string, a: unknown, b: unknown): ValueChange => {
      // A path is secret when a secret lies at, above or below it, or any of its names sounds like one.
      const secret = path.split(".").some((name) => SECRET_NAME.test(name)) || secretPaths.some((p) => under(p, path) || under(path, p));
      if (secret) return { key: path, from: a === undefined ? "(none)" : MASK, to: b === undefined ? "(none)" : MASK };
      return { key: path, from: shownValue(a), to: shownValue(b) };
    };
    const [a, b] = [before.inputs[key], after.inputs[key]];
    if (!isObject(a) || !isObject(b)) return [masked(key, a, b)];
    const paths: { path: string; a: unknown; b: unknown }[] = [];
    differingPaths(key, a, b, paths);
    // Only secrecy differs (the values are equal): say so without a value.
    if (paths.length === 0) return [{ key, from: "(as before)", to: "(secrecy changed)" }];
    const shown = paths.slice(0, MAX_PATHS).map((p) => masked(p.path, p.a, p.b));
    if (paths.length > MAX_PATHS) shown.push({ key: `${key}.…`, from: `${paths.length - MAX_PATHS} more`, to: "changed" });
    return shown;
  });
}
