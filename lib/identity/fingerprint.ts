// The fingerprint of the control plane's entity set: an input of every tenant's EntitySync, so a
// changed _control-plane.yaml shows in the plan as a change of each tenant it reaches. Kept apart
// from the provider modules because node:crypto's createHash cannot be serialized into a provider.
import { createHash } from "node:crypto";
import type { ControlPlane } from "../catalog/schema";

/** Stable JSON: object keys sorted, so a reordered YAML mapping gives the same fingerprint. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
  }
  return value;
}

export function entityFingerprint(entities: ControlPlane): string {
  return createHash("sha256").update(JSON.stringify(canonical(entities))).digest("hex").slice(0, 16);
}
