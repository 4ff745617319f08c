// Settings inheritance. Precedence, lowest first: the keys of `_defaults.yaml` settings listed in
// `inherit`, then the parent tenant's effective settings, then the tenant's own `settings`.
// Merge rules: mappings merge key by key; lists and scalars replace; an explicit null removes the key.
// A parent's effective settings already hold the inherited keys, so a child starts from them
// alone: a key a parent removed stays removed for its children.

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `override` merged over `base`; neither is modified. */
export function deepMerge(base: JsonObject, override: JsonObject): JsonObject {
  const out: JsonObject = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value === null) delete out[key];
    else if (isObject(value) && isObject(out[key])) set(out, key, deepMerge(out[key] as JsonObject, value));
    else set(out, key, isObject(value) ? deepMerge({}, value) : value);
  }
  return out;
}

/** `out[key] = value`, except that a key named `__proto__` stays a plain key instead of replacing the prototype. */
function set(out: JsonObject, key: string, value: JsonValue): void {
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Only the listed dot paths of `settings`, keeping their nesting. A path that is absent is skipped. */
export function pickPaths(settings: JsonObject, paths: readonly string[]): JsonObject {
  let out: JsonObject = {};
  for (const path of paths) {
    const parts = path.split(".");
    let value: JsonValue | undefined = settings;
    for (const part of parts) value = isObject(value) && Object.hasOwn(value, part) ? value[part] : undefined;
    if (value === undefined) continue;
    const nested = parts.reduceRight<JsonValue>((inner, part) => ({ [part]: inner }), value);
    out = deepMerge(out, nested as JsonObject);
  }
  return out;
}

/**
 * Where a dot path stops matching `settings`: the parts that matched and the keys found there;
 * undefined when the whole path exists.
 */
export function unmatchedPath(settings: JsonObject, path: string): { matched: string[]; missing: string; available: string[] } | undefined {
  const parts = path.split(".");
  let node: JsonValue = settings;
  for (let i = 0; i < parts.length; i++) {
    if (!isObject(node) || !Object.hasOwn(node, parts[i])) {
      return { matched: parts.slice(0, i), missing: parts[i], available: isObject(node) ? Object.keys(node) : [] };
    }
    node = node[parts[i]];
  }
  return undefined;
}

export function effectiveSettings(
  defaults: JsonObject,
  inherit: readonly string[],
  parent: JsonObject | undefined,
  own: JsonObject | undefined,
): JsonObject {
  return deepMerge(parent ?? pickPaths(defaults, inherit), own ?? {});
}
