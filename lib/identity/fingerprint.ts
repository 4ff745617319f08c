// The fingerprint of the control plane's entity set: an input of every tenant's EntitySync, so a
// changed _control-plane.yaml shows in the plan as a change of each tenant it reaches. A leaf: the
// program computes it for the inputs, EntitySync's read for what it finds in the identity tenant.
import { createHash } from "node:crypto";
import type { ControlPlane } from "../catalog/schema";
import { canonicalJson } from "../canonical-json";

export function entityFingerprint(entities: ControlPlane): string {
  return createHash("sha256").update(canonicalJson(entities)).digest("hex").slice(0, 16);
}
