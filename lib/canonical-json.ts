// JSON in which object keys are sorted: two values that differ only in key order give the same
// text. Used wherever a value is compared or hashed (the providers' diffs, the entity fingerprint),
// so a reordered YAML mapping or a JSONB column read back from PostgreSQL is never a change.
// A leaf: both the program and the engine-side providers use it.

/** The value with every object's keys sorted, recursively; arrays keep their order. */
export function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortedKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** Canonical JSON text; properties whose value is undefined are left out, as JSON.stringify does. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortedKeys(value)) ?? "null";
}
