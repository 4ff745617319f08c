// Formats shared by the tenant schema, the CLI and the naming rules. Kept apart so that each
// rule is stated once and can be tested on its own. A leaf with no imports: the providers (which
// run in the engine's provider host) use it through lib/naming.ts, so it must not pull in the
// AWS SDK's enums (those are in regions.ts).

/** Tenant ids become database, role, bucket and organization names: keep them portable. */
export const ID_PATTERN = /^[a-z](?:[a-z0-9]|-(?=[a-z0-9]))*$/;
export const ID_MIN = 3;
export const ID_MAX = 40;
export const ID_RULE = `${ID_MIN}-${ID_MAX} lowercase letters, digits and single hyphens, starting with a letter`;

export function isTenantId(value: string): boolean {
  return value.length >= ID_MIN && value.length <= ID_MAX && ID_PATTERN.test(value);
}

/** One DNS label (RFC 1123): letters, digits, hyphens inside, at most 63 characters. */
export const LABEL_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * What keeps `value` from being a fully qualified, lowercase host name per RFC 1123 (labels joined by
 * dots, at least two, at most 253 characters, the last one starting with a letter), as the
 * "expected ..." half of a message; undefined when it is one.
 */
export function hostnameProblem(value: string): string | undefined {
  if (value.length === 0) return "expected a host name such as login.example.com";
  if (value.length > 253) return `expected a host name of at most 253 characters (this one has ${value.length})`;
  if (/[\s\p{Cc}]/u.test(value)) return "expected a host name without spaces or control characters";
  if (value !== value.toLowerCase()) return `expected a lowercase host name (${value.toLowerCase()})`;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(value) || value.includes(":")) return "expected a host name, not an IP address";
  if (value.endsWith(".")) return `expected a host name without the trailing dot (${value.replace(/\.+$/, "")})`;
  const labels = value.split(".");
  if (labels.length < 2) return "expected a fully qualified host name such as login.example.com";
  for (const label of labels) {
    if (label === "") return "expected a host name without empty labels (two dots in a row)";
    if (label.length > 63) return `expected labels of at most 63 characters (one has ${label.length})`;
    if (!LABEL_PATTERN.test(label)) return `expected labels of lowercase letters, digits and inner hyphens ("${label}" is not one)`;
  }
  if (!/^[a-z]/.test(labels[labels.length - 1])) return "expected the last label (top-level domain) to start with a letter";
  return undefined;
}

export function isHostname(value: string): boolean {
  return hostnameProblem(value) === undefined;
}

/** Pragmatic mailbox check: one @, a non-empty local part without spaces, a valid host name. */
export function isEmail(value: string): boolean {
  const at = value.lastIndexOf("@");
  if (at <= 0 || at !== value.indexOf("@")) return false;
  const local = value.slice(0, at);
  if (local.length > 64 || !/^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+$/.test(local)) return false;
  if (local.startsWith(".") || local.endsWith(".") || local.includes("..")) return false;
  return isHostname(value.slice(at + 1));
}

/** Webhook targets must be https with a host name; credentials in the URL are refused (they would be logged). */
export function isHttpsUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return url.protocol === "https:" && url.username === "" && url.password === "" && url.hostname !== "";
}
