// Whatever text a catalog file holds, loading ends quickly with either a catalog or a list of
// well-formed located errors: never an exception, never a hang.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { loadCatalog, readCatalogDir, type CatalogFile, type LoadResult } from "../../../lib/catalog";
import { BASE_DIR } from "./broken-cases";

const base = readCatalogDir(BASE_DIR).map((f) => ({ ...f, path: `tenants/${f.name}` }));
const VALID_TENANT = [
  "id: alpha",
  "name: Alpha Ltd",
  "friendly_name: Alpha",
  "plan: pro",
  "parent: null",
  "database: { isolation: schema, server: main }",
  "storage:",
  "  mode: bucket",
  "  versioning: true",
  "  noncurrent_days: 14",
  "domains: { subdomain: alpha-app, custom: [login.alpha.example] }",
  "access:",
  "  admins: [ops@alpha.example]",
  "  roles: [tenant-member]",
  "settings:",
  "  branding: { color: red, sizes: [1, 2] }",
  "hooks: { created: ['https://hooks.alpha.example/x'] }",
  "",
].join("\n");
/** Slower than this for one catalog of a few tiny files means something loops or explodes. */
const TIME_LIMIT_MS = 1000;

function loadWith(name: string, text: string): LoadResult {
  const files: CatalogFile[] = [...base.filter((f) => f.name !== name), { name, path: `tenants/${name}`, text }];
  const started = performance.now();
  const result = loadCatalog(files);
  expect(performance.now() - started).toBeLessThan(TIME_LIMIT_MS);
  return result;
}

/** Either a catalog, or errors that each name a catalog file and a position inside the edited `name`. */
function expectWellFormed(result: LoadResult, name: string, text: string): void {
  if (result.ok) {
    expect(result.catalog.tenants.length).toBeGreaterThan(0);
    return;
  }
  expect(result.errors.length).toBeGreaterThan(0);
  const lineCount = text.split(/\r\n|\r|\n/).length;
  for (const e of result.errors) {
    expect(Object.keys(e).sort()).toEqual(["col", "file", "line", "message", "path"]);
    expect(base.map((f) => f.path).concat(`tenants/${name}`)).toContain(e.file);
    expect(Number.isInteger(e.line) && e.line >= 1).toBe(true);
    expect(Number.isInteger(e.col) && e.col >= 1).toBe(true);
    if (e.file === `tenants/${name}`) expect(e.line).toBeLessThanOrEqual(lineCount);
    expect(typeof e.path).toBe("string");
    expect(e.message.trim().length).toBeGreaterThan(0);
    // One error, one line: the CLI prints them one per line and CI annotates them line by line.
    expect(`${e.path} ${e.message}`).not.toMatch(/[\r\n]/);
  }
}

/** Pieces that mean something to YAML, so random text reaches deep into the parser. */
const yamlToken = fc.constantFrom(
  ":", ": ", "- ", "? ", "[", "]", "{", "}", ",", "&a ", "*a", "&b ", "*b", "!!str ", "!tag ", "<<: ", "#", "'", '"', "|", ">",
  "\n", "\n  ", "\n    ", "\t", " ", "---\n", "...\n", "%YAML 1.2\n", "~", "null", "true", "0x1F", ".inf", ".nan", "1e999", "-0",
  "####################", "id", "name", "alpha", "settings", "parent", "__proto__", "database", "isolation", "domains", "custom", "\ufeff", "\u0000", "\\",
);
const yamlText = fc.array(fc.oneof(yamlToken, fc.string({ maxLength: 6 })), { maxLength: 60 }).map((parts) => parts.join(""));

const jsonish = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom(null, true, false, 0, -1, 1.5, Number.MAX_SAFE_INTEGER, "", "alpha", "*a", "~", "https://x.example", "a@b.example", "Login\n.x.example", "pro\n"),
    fc.string({ maxLength: 8 }),
    fc.double(),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.constantFrom("id", "name", "plan", "settings", "parent", "database", "hooks", "__proto__"), fc.string({ maxLength: 5 })), tie("value"), {
      maxKeys: 5,
    }),
  ),
})).value;

/** Edits of a valid tenant file: cut, insert, duplicate or swap text. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant("cut" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 20 }) }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), text: fc.oneof(yamlToken, fc.string({ maxLength: 8 })) }),
  fc.record({ kind: fc.constant("duplicate-line" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("swap-lines" as const), a: fc.nat(), b: fc.nat() }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(text: string, m: Mutation): string {
  const lines = text.split("\n");
  switch (m.kind) {
    case "cut": {
      const at = m.at % text.length;
      return text.slice(0, at) + text.slice(at + m.length);
    }
    case "insert": {
      const at = m.at % (text.length + 1);
      return text.slice(0, at) + m.text + text.slice(at);
    }
    case "duplicate-line": {
      const at = m.at % lines.length;
      return [...lines.slice(0, at + 1), lines[at], ...lines.slice(at + 1)].join("\n");
    }
    case "swap-lines": {
      const a = m.a % lines.length;
      const b = m.b % lines.length;
      [lines[a], lines[b]] = [lines[b], lines[a]];
      return lines.join("\n");
    }
  }
}

describe("loading arbitrary documents", () => {
  it("starts from a valid tenant file", () => {
    const result = loadWith("alpha.yaml", VALID_TENANT);
    expect(result.ok && result.catalog.tenants[0].domains.subdomain).toBe("alpha-app");
  });

  it("random YAML-ish text as a tenant file", () => {
    fc.assert(
      fc.property(yamlText, (text) => expectWellFormed(loadWith("alpha.yaml", text), "alpha.yaml", text)),
      { numRuns: 150 },
    );
  });

  it("random values written out as YAML as a tenant file", () => {
    fc.assert(
      fc.property(jsonish, (value) => {
        const text = stringify(value);
        expectWellFormed(loadWith("alpha.yaml", text), "alpha.yaml", text);
      }),
      { numRuns: 150 },
    );
  });

  it("random values put into a valid tenant at known places", () => {
    const places = fc.constantFrom(
      ["plan"], ["status"], ["region"], ["parent"], ["friendly_name"], ["database"], ["database", "isolation"], ["storage", "noncurrent_days"],
      ["storage", "expire_days"], ["domains", "subdomain"], ["domains", "custom"], ["access", "admins"], ["access", "roles"],
      ["settings"], ["settings", "branding"], ["hooks", "created"], ["hooks", "unknown"], ["rollout"], ["lifecycle", "on_delete"], ["extra"],
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(places, jsonish), { minLength: 1, maxLength: 3 }), (patches) => {
        const tenant = parse(VALID_TENANT) as Record<string, unknown>;
        for (const [path, value] of patches) {
          const parent = path.slice(0, -1).reduce<Record<string, unknown>>((node, key) => {
            if (typeof node[key] !== "object" || node[key] === null || Array.isArray(node[key])) node[key] = {};
            return node[key] as Record<string, unknown>;
          }, tenant);
          parent[path[path.length - 1]] = value;
        }
        const text = stringify(tenant);
        expectWellFormed(loadWith("alpha.yaml", text), "alpha.yaml", text);
      }),
      { numRuns: 150 },
    );
  });

  it("mutations of a valid tenant file", () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (edits) => {
        const text = edits.reduce(mutate, VALID_TENANT);
        expectWellFormed(loadWith("alpha.yaml", text), "alpha.yaml", text);
      }),
      { numRuns: 150 },
    );
  });

  it("random text as _defaults.yaml and as _control-plane.yaml", () => {
    fc.assert(
      fc.property(fc.oneof(yamlText, jsonish.map((v) => stringify(v))), fc.constantFrom("_defaults.yaml", "_control-plane.yaml"), (text, name) => {
        expectWellFormed(loadWith(name, text), name, text);
      }),
      { numRuns: 100 },
    );
  });

  it("random sets of files with odd names", () => {
    const name = fc.oneof(
      fc.constantFrom("_defaults.yaml", "_control-plane.yaml", "_x.yaml", "alpha.yaml", "beta.yml", "Alpha.yaml", ".yaml", "a b.yaml", "é.yaml", "constructor.yaml", "__proto__.yaml", "x.json"),
      fc.string({ maxLength: 6 }).map((stem) => `${stem}.yaml`),
    );
    const text = fc.oneof(fc.constant(VALID_TENANT), yamlText, jsonish.map((v) => stringify(v)), fc.constantFrom(...base.map((f) => f.text)));
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(name, text), { maxLength: 6, selector: ([n]) => n }), (entries) => {
        const files = entries.map(([n, t]) => ({ name: n, path: `tenants/${n}`, text: t }));
        const started = performance.now();
        const result = loadCatalog(files);
        expect(performance.now() - started).toBeLessThan(TIME_LIMIT_MS);
        if (result.ok) return;
        expect(result.errors.length).toBeGreaterThan(0);
        for (const e of result.errors) {
          expect(e.file.startsWith("tenants/")).toBe(true);
          expect(e.line >= 1 && e.col >= 1).toBe(true);
          expect(`${e.path} ${e.message}`).not.toMatch(/[\r\n]/);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("gives the same answer twice", () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (edits) => {
        const text = edits.reduce(mutate, VALID_TENANT);
        expect(loadWith("alpha.yaml", text)).toEqual(loadWith("alpha.yaml", text));
      }),
      { numRuns: 50 },
    );
  });
});
