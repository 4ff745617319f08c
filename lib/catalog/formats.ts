// Formats shared by the tenant schema, the CLI and the naming rules. Kept apart so that each
// rule is stated once and can be tested on its own.
import { Region } from "@pulumi/aws/types/enums";

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

/** A fully qualified host name per RFC 1123: labels joined by dots, at least two, at most 253 characters. */
export function isHostname(value: string): boolean {
  if (value.length > 253 || value !== value.toLowerCase()) return false;
  const labels = value.split(".");
  if (labels.length < 2) return false;
  if (/^[0-9]+$/.test(labels[labels.length - 1])) return false; // a dotted IPv4 address is not a host name
  return labels.every((label) => LABEL_PATTERN.test(label));
}

/** The regions the AWS provider itself knows, so the list moves with the provider version. */
export const AWS_REGIONS: readonly string[] = Object.values(Region).sort();

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
