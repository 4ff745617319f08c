// Settings inheritance: inherited keys of _defaults.yaml < the parent's effective settings < the
// tenant's own; mappings merge, lists replace, an explicit null removes a key.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { deepMerge, effectiveSettings, pickPaths, unmatchedPath, type JsonObject, type JsonValue } from "../../../lib/catalog/settings";

const defaults: JsonObject = {
  branding: { color: "blue", logo: "https://cdn.example.com/logo.svg" },
  features: { sso: false, audit: true, beta: { dashboard: false, reports: false } },
  session: { idle_minutes: 30, absolute_minutes: 720 },
  internal: { billing_account: "ops-001" },
  regions: ["eu-west-1"],
};

describe("deepMerge", () => {
  it("merges mappings key by key, at any depth", () => {
    expect(deepMerge({ a: { x: 1, y: { p: 1, q: 2 } } }, { a: { y: { q: 3, r: 4 }, z: 5 } })).toEqual({
      a: { x: 1, y: { p: 1, q: 3, r: 4 }, z: 5 },
    });
  });

  it("replaces lists instead of concatenating them", () => {
    expect(deepMerge({ tags: ["a", "b"], nested: { list: [1, 2, 3] } }, { tags: ["c"], nested: { list: [] } })).toEqual({
      tags: ["c"],
      nested: { list: [] },
    });
  });

  it("replaces a scalar by a mapping and a mapping by a scalar", () => {
    expect(deepMerge({ a: 1, b: { c: 1 } }, { a: { deep: true }, b: "flat" })).toEqual({ a: { deep: true }, b: "flat" });
  });

  it("removes a key given an explicit null, at any depth, and ignores null for an absent key", () => {
    expect(deepMerge({ a: 1, b: { c: 1, d: 2 } }, { a: null, b: { d: null }, absent: null })).toEqual({ b: { c: 1 } });
  });

  it("keeps false, 0 and the empty string: only null removes", () => {
    expect(deepMerge({ a: true, b: 1, c: "x" }, { a: false, b: 0, c: "" })).toEqual({ a: false, b: 0, c: "" });
  });

  it("keeps a key named __proto__ a plain key instead of changing the prototype", () => {
    const merged = deepMerge({}, JSON.parse('{"__proto__": {"polluted": true}}'));
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect(Object.keys(merged)).toEqual(["__proto__"]);
    expect((merged as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("leaves both inputs untouched and shares no mapping with them", () => {
    const base: JsonObject = { a: { b: 1 } };
    const override: JsonObject = { c: { d: 2 } };
    const merged = deepMerge(base, override);
    (merged.c as JsonObject).d = 99;
    expect(base).toEqual({ a: { b: 1 } });
    expect(override).toEqual({ c: { d: 2 } });
  });
});

describe("pickPaths", () => {
  it("keeps only the listed top-level keys", () => {
    expect(pickPaths(defaults, ["branding", "regions"])).toEqual({ branding: defaults.branding, regions: ["eu-west-1"] });
  });

  it("selects nested keys by dot path, keeping their nesting", () => {
    expect(pickPaths(defaults, ["features.beta.dashboard", "session.idle_minutes"])).toEqual({
      features: { beta: { dashboard: false } },
      session: { idle_minutes: 30 },
    });
  });

  it("combines a key with a path inside it, and a path with its sibling", () => {
    expect(pickPaths(defaults, ["features.sso", "features.audit"])).toEqual({ features: { sso: false, audit: true } });
    expect(pickPaths(defaults, ["branding", "branding.color"])).toEqual({ branding: defaults.branding });
  });

  it("skips paths that are absent, that go through a scalar or list, or that name Object.prototype members", () => {
    expect(pickPaths(defaults, ["missing", "branding.color.hex", "regions.0", "constructor", "toString", "features.__proto__"])).toEqual({});
  });
});

describe("unmatchedPath", () => {
  it("is undefined for a path that exists, at any depth", () => {
    expect(unmatchedPath(defaults, "branding")).toBeUndefined();
    expect(unmatchedPath(defaults, "features.beta.dashboard")).toBeUndefined();
  });

  it("says where a path stops matching and what is there instead", () => {
    expect(unmatchedPath(defaults, "brandng")).toEqual({ matched: [], missing: "brandng", available: Object.keys(defaults) });
    expect(unmatchedPath(defaults, "features.beta.report")).toEqual({ matched: ["features", "beta"], missing: "report", available: ["dashboard", "reports"] });
    expect(unmatchedPath(defaults, "session.idle_minutes.max")).toEqual({ matched: ["session", "idle_minutes"], missing: "max", available: [] });
    expect(unmatchedPath(defaults, "constructor")).toEqual({ matched: [], missing: "constructor", available: Object.keys(defaults) });
  });

  it("agrees with pickPaths: an unmatched path picks nothing, and what picks something matches (a null matches, picking nothing)", () => {
    fc.assert(
      fc.property(tree, fc.array(fc.constantFrom("a", "b", "c", "__proto__"), { minLength: 1, maxLength: 3 }), (settings, parts) => {
        const path = parts.join(".");
        const picked = Object.keys(pickPaths(settings, [path])).length > 0;
        if (unmatchedPath(settings, path) !== undefined) expect(picked).toBe(false);
        else expect(picked || parts.reduce<JsonValue>((node, part) => (node as JsonObject)[part], settings) === null).toBe(true);
      }),
    );
  });
});

describe("effectiveSettings", () => {
  const inherit = ["branding", "features", "session.idle_minutes"];

  it("gives a top-level tenant without overrides only the inherited keys", () => {
    const settings = effectiveSettings(defaults, inherit, undefined, undefined);
    expect(settings).toEqual({ branding: defaults.branding, features: defaults.features, session: { idle_minutes: 30 } });
    expect(settings).not.toHaveProperty("internal");
    expect(settings).not.toHaveProperty("regions");
    expect(settings).not.toHaveProperty("session.absolute_minutes");
  });

  it("puts the tenant's own settings over the inherited ones", () => {
    expect(effectiveSettings(defaults, inherit, undefined, { branding: { color: "red" }, features: { beta: { reports: true } }, custom: 1 })).toEqual({
      branding: { color: "red", logo: "https://cdn.example.com/logo.svg" },
      features: { sso: false, audit: true, beta: { dashboard: false, reports: true } },
      session: { idle_minutes: 30 },
      custom: 1,
    });
  });

  it("ranks the parent's effective settings between the defaults and the tenant's own", () => {
    const parent = effectiveSettings(defaults, inherit, undefined, { branding: { color: "green" }, session: { idle_minutes: 5 } });
    const child = effectiveSettings(defaults, inherit, parent, { session: { idle_minutes: 60 } });
    expect(child).toEqual({
      branding: { color: "green", logo: "https://cdn.example.com/logo.svg" },
      features: defaults.features,
      session: { idle_minutes: 60 },
    });
  });

  it("keeps a key the parent removed removed for its children", () => {
    const parent = effectiveSettings(defaults, inherit, undefined, { branding: { logo: null } });
    expect(effectiveSettings(defaults, inherit, parent, { features: { sso: true } })).toEqual({
      branding: { color: "blue" },
      features: { ...(defaults.features as JsonObject), sso: true },
      session: { idle_minutes: 30 },
    });
  });

  it("lets a child remove what it inherited, from the defaults or from the parent", () => {
    const parent = effectiveSettings(defaults, inherit, undefined, { extra: { on: true } });
    expect(effectiveSettings(defaults, inherit, parent, { extra: null, features: null, branding: { color: null } })).toEqual({
      branding: { logo: "https://cdn.example.com/logo.svg" },
      session: { idle_minutes: 30 },
    });
  });

  it("lets a tenant's list replace an inherited list", () => {
    expect(effectiveSettings({ ips: ["10.0.0.0/8", "192.168.0.0/16"] }, ["ips"], undefined, { ips: ["172.16.0.0/12"] })).toEqual({ ips: ["172.16.0.0/12"] });
  });

  it("inherits nothing when inherit is empty", () => {
    expect(effectiveSettings(defaults, [], undefined, undefined)).toEqual({});
  });
});

/** `value` with every null-valued key removed, recursively: what a merge onto nothing leaves. */
function withoutNulls(value: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === null) continue;
    Object.defineProperty(out, k, { value: isObject(v) ? withoutNulls(v) : v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}
function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const key = fc.oneof(fc.constantFrom("a", "b", "c", "__proto__", "constructor"), fc.string({ maxLength: 4 }));
const { tree } = fc.letrec<{ tree: JsonObject; value: JsonValue }>((tie) => ({
  tree: fc.dictionary(key, tie("value"), { maxKeys: 4, noNullPrototype: true }) as fc.Arbitrary<JsonObject>,
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.string({ maxLength: 3 }),
    fc.array(fc.integer(), { maxLength: 3 }),
    tie("tree"),
  ),
}));

describe("deepMerge properties", () => {
  it("has the empty mapping as identity (on the left it drops nulls)", () => {
    fc.assert(
      fc.property(tree, (x) => {
        expect(deepMerge(x, {})).toEqual(x);
        expect(deepMerge({}, x)).toEqual(withoutNulls(x));
      }),
    );
  });

  it("is idempotent: applying the same override twice changes nothing more", () => {
    fc.assert(
      fc.property(tree, tree, (base, override) => {
        expect(deepMerge(deepMerge(base, override), override)).toEqual(deepMerge(base, override));
      }),
    );
  });

  it("removes exactly the keys set to null and keeps every other key of the base", () => {
    fc.assert(
      fc.property(tree, fc.array(key, { maxLength: 3 }), (base, removed) => {
        const override: JsonObject = {};
        for (const k of removed) Object.defineProperty(override, k, { value: null, enumerable: true, writable: true, configurable: true });
        const merged = deepMerge(base, override);
        for (const k of Object.keys(base)) {
          if (removed.includes(k)) expect(Object.hasOwn(merged, k)).toBe(false);
          else expect(merged[k]).toEqual(base[k]);
        }
        expect(Object.keys(merged).every((k) => Object.hasOwn(base, k))).toBe(true);
      }),
    );
  });

  it("lets every non-null, non-mapping value of the override win", () => {
    fc.assert(
      fc.property(tree, tree, (base, override) => {
        const merged = deepMerge(base, override);
        const check = (o: JsonObject, m: JsonObject) => {
          for (const [k, v] of Object.entries(o)) {
            if (v === null) expect(Object.hasOwn(m, k)).toBe(false);
            else if (isObject(v)) check(v, m[k] as JsonObject);
            else expect(m[k]).toEqual(v);
          }
        };
        check(override, merged);
      }),
    );
  });

  it("never changes its inputs", () => {
    fc.assert(
      fc.property(tree, tree, (base, override) => {
        const before = [structuredClone(base), structuredClone(override)];
        deepMerge(base, override);
        expect([base, override]).toEqual(before);
      }),
    );
  });

  it("picks exactly the top-level keys it is given", () => {
    fc.assert(
      fc.property(tree, (x) => {
        const keys = Object.keys(x).filter((k) => !k.includes("."));
        const expected: JsonObject = {};
        for (const k of keys) if (x[k] !== null) Object.defineProperty(expected, k, { value: x[k], enumerable: true, writable: true, configurable: true });
        expect(pickPaths(x, keys)).toEqual(withoutNulls(expected));
      }),
    );
  });
});
