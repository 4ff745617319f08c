// What would change between two evaluations of the program (base catalog, head catalog), resource
// by resource, matched by URN as the engine matches them, and grouped per tenant.
import { isDeepStrictEqual } from "node:util";
import { keyChanges } from "../../providers/kit";
import { dynamicKeys } from "./dynamic-keys";
import type { Registration } from "./evaluate";
import { forceNewOf } from "./force-new";
import { naming } from "../naming";

export type Action = "create" | "update" | "delete" | "same";
export const ACTIONS: readonly Action[] = ["create", "update", "delete", "same"];

export const TENANT_TYPE = "tenancy:index:Tenant";

export interface ResourceChange {
  urn: string;
  type: string;
  name: string;
  /** Tenant id (name of the enclosing Tenant component), or null for resources shared by a cell. */
  tenant: string | null;
  action: Action;
  /**
   * Inputs whose value differs (top-level keys), then resource options that differ as
   * `options.protect` / `options.retainOnDelete`. Empty unless the action is update.
   */
  changedKeys: string[];
  /** An update the provider carries out by deleting and re-creating the resource (see replacement). */
  replace: boolean;
  /**
   * Place keys of a dynamic provider that change (providers/kit.ts): the provider refuses the
   * update as a tenant move, so `pulumi up` fails on this resource. Empty for every other change.
   */
  refused: string[];
  /** A resource that holds tenant data (database, schema, bucket, a shared tenant's rows). */
  data: boolean;
  /** Destroys data: a data resource deleted or replaced without retainOnDelete. */
  dataLoss: boolean;
  /** The registration in head, or in base for a deletion. */
  registration: Registration;
  /** The registration in base (undefined for a create). */
  previous?: Registration;
}

/** Last part of a URN's type chain and its name: `urn:pulumi:s::p::a$b::n` -> `b`, `n`. */
export function urnParts(urn: string): { type: string; name: string } {
  const parts = urn.split("::");
  return { type: parts[2].split("$").pop()!, name: parts.slice(3).join("::") };
}

/** The tenant a resource belongs to: the name of the nearest Tenant component at or above it. */
export function tenantOf(registration: Registration): string | null {
  if (registration.type === TENANT_TYPE) return registration.name;
  for (const urn of registration.ancestors) {
    const { type, name } = urnParts(urn);
    if (type === TENANT_TYPE) return name;
  }
  return null;
}

const DATA_TYPES = new Set(["postgresql:index/database:Database", "postgresql:index/schema:Schema", "aws:s3/bucket:Bucket"]);

/**
 * Whether a resource holds data. Besides databases, schemas and buckets, the migrations resource of
 * a tenant in shared or schema mode: its delete removes the tenant's rows (or schema), while in
 * database mode the Database resource's delete is what drops the data.
 */
export function isDataResource(registration: Registration): boolean {
  if (DATA_TYPES.has(registration.type)) return true;
  if (registration.type.endsWith(":TenantMigrations")) {
    const isolation = findKey(registration.inputs, "isolation");
    return isolation === "shared" || isolation === "schema";
  }
  return false;
}

/** The first value under `key` at any depth (the migration target nests it). */
function findKey(value: unknown, key: string): unknown {
  if (typeof value !== "object" || value === null) return undefined;
  const obj = value as Record<string, unknown>;
  if (key in obj) return obj[key];
  for (const v of Object.values(obj)) {
    const found = findKey(v, key);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Input keys whose values differ, then differing options. A dynamic provider's serialized code
 * (`__provider`, kept apart by evaluate) is not compared: base and head are evaluated with the same
 * program code, so its text can only differ through values a closure captured, which are closure
 * noise, not a change of the resource; the providers' own diff decides on their inputs, which are.
 */
export function changedKeys(base: Registration, head: Registration): string[] {
  const keys = [...new Set([...Object.keys(base.inputs), ...Object.keys(head.inputs)])].sort();
  const changed = keys.filter((k) => !isDeepStrictEqual(base.inputs[k], head.inputs[k]));
  // A secret that stops being secret (or starts) is a change even when its value is equal.
  for (const k of keys) {
    const secretIn = (r: Registration) => r.secretInputs.some((p) => p === k || p.startsWith(`${k}.`) || p.startsWith(`${k}[`));
    if (!changed.includes(k) && secretIn(base) !== secretIn(head)) changed.push(k);
  }
  changed.sort();
  if (base.protect !== head.protect) changed.push("options.protect");
  if (base.retainOnDelete !== head.retainOnDelete) changed.push("options.retainOnDelete");
  if (base.provider !== head.provider) changed.push("options.provider");
  return changed;
}

const DYNAMIC = naming.dynamicTypePrefix;

/**
 * Whether an update replaces the resource, as the engine would decide it: another provider (such
 * as another region) always does; a bridged provider's type when a force-new input changes
 * (lib/plan/force-new.ts); a dynamic provider's when one of its replace keys changes, and a change
 * of one of its place keys is refused (its own keys and rule, providers/kit.ts). A provider
 * resource itself is never replaced here: its dependents show the change.
 */
export function replacement(base: Registration, head: Registration, keys: readonly string[]): { replace: boolean; refused: string[] } {
  const other = keys.includes("options.provider");
  if (head.type.startsWith("pulumi:providers:") || !head.custom) return { replace: other, refused: [] };
  if (head.type.startsWith(DYNAMIC)) {
    const changes = keyChanges(dynamicKeys(head.type.slice(DYNAMIC.length)), base.inputs, head.inputs);
    return { replace: other || changes.replaces.length > 0, refused: changes.moved };
  }
  const forceNew = forceNewOf(head.type);
  return { replace: other || keys.some((k) => forceNew.includes(k)), refused: [] };
}

function change(registration: Registration, action: Action, keys: string[], previous?: Registration): ResourceChange {
  const data = isDataResource(registration);
  const decided = action === "update" && previous ? replacement(previous, registration, keys) : { replace: false, refused: [] };
  const replace = decided.replace;
  return {
    urn: registration.urn,
    type: registration.type,
    name: registration.name,
    tenant: tenantOf(registration),
    action,
    changedKeys: keys,
    replace,
    refused: decided.refused,
    data,
    // What happens to the old resource follows the options it was deployed with.
    dataLoss: (action === "delete" || replace) && data && !(previous ?? registration).retainOnDelete,
    registration,
    ...(previous ? { previous } : {}),
  };
}

/**
 * Every URN of base and head exactly once: in head only -> create, in base only -> delete, in both
 * -> update when an input or option differs, else same. Sorted (see compareChanges) so output is
 * stable whatever order the program registered in.
 */
export function diffRegistrations(base: readonly Registration[], head: readonly Registration[]): ResourceChange[] {
  const before = new Map(base.map((r) => [r.urn, r]));
  const after = new Map(head.map((r) => [r.urn, r]));
  // A base resource a head resource names as an alias is that resource, renamed (the engine moves it in state).
  const renamed = new Map<string, string>();
  for (const h of head) {
    const old = before.has(h.urn) ? undefined : h.aliases?.find((a) => before.has(a) && !after.has(a));
    if (old) renamed.set(h.urn, old);
  }
  const claimed = new Set(renamed.values());
  const out: ResourceChange[] = [];
  for (const [urn, h] of after) {
    const b = before.get(renamed.get(urn) ?? urn);
    if (!b) out.push(change(h, "create", []));
    else {
      const keys = changedKeys(b, h);
      out.push(change(h, keys.length > 0 ? "update" : "same", keys, b));
    }
  }
  for (const [urn, b] of before) if (!after.has(urn) && !claimed.has(urn)) out.push(change(b, "delete", [], b));
  return out.sort(compareChanges);
}

/** Tenant (shared resources first), then tree order: each resource after its parent, siblings by URN. */
export function compareChanges(a: ResourceChange, b: ResourceChange): number {
  const ta = a.tenant ?? "";
  const tb = b.tenant ?? "";
  if (ta !== tb) return ta < tb ? -1 : 1;
  const pa = [...a.registration.ancestors].reverse().concat(a.urn);
  const pb = [...b.registration.ancestors].reverse().concat(b.urn);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) if (pa[i] !== pb[i]) return pa[i] < pb[i] ? -1 : 1;
  return pa.length - pb.length;
}
