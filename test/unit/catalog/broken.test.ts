// Every broken catalog of the corpus is refused with exactly the located messages it lists.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CatalogInvalidError, formatError, loadCatalog, readCatalogDir, type CatalogFile } from "../../../lib/catalog";
import { BASE_DIR, brokenCases, type BrokenCase } from "./broken-cases";

const base = readCatalogDir(BASE_DIR);

function filesOf(c: BrokenCase): CatalogFile[] {
  const texts = new Map(base.map((f) => [f.name, f.text]));
  for (const [name, text] of Object.entries(c.files)) {
    if (text === null) texts.delete(name);
    else texts.set(name, typeof text === "string" ? text : `${text.join("\n")}\n`);
  }
  return [...texts].map(([name, text]) => ({ name, path: `tenants/${name}`, text }));
}

describe("the base catalog of the corpus", () => {
  it("is valid, so every error below comes from the case's own change", () => {
    const result = loadCatalog(filesOf({ name: "base", files: {}, errors: [] }));
    expect(result.ok ? result.catalog.tenants.map((t) => t.id) : result.errors.map(formatError)).toEqual(["alpha"]);
  });
});

describe("the error of a broken catalog", () => {
  it("names the missing _defaults.yaml under the directory label given", () => {
    const result = loadCatalog([], "catalog/prod");
    expect(result.ok ? [] : result.errors.map(formatError)).toEqual([
      "catalog/prod/_defaults.yaml:1:1 missing: the catalog needs a _defaults.yaml with plans, rollout rings and tenant defaults",
    ]);
  });

  it("carries every error, and lists them one per line in its message", () => {
    const result = loadCatalog(filesOf(brokenCases.find((c) => c.name === "several errors in several files")!));
    if (result.ok) throw new Error("expected the catalog to be refused");
    const error = new CatalogInvalidError(result.errors);
    expect(error.name).toBe("CatalogInvalidError");
    expect(error.errors).toEqual(result.errors);
    expect(error.message).toBe(`the tenant catalog has 5 error(s):\n${result.errors.map(formatError).join("\n")}`);
  });
});

describe("broken catalogs", () => {
  it("has at least 40 cases with distinct names", () => {
    expect(brokenCases.length).toBeGreaterThanOrEqual(40);
    expect(new Set(brokenCases.map((c) => c.name)).size).toBe(brokenCases.length);
  });

  it.each(brokenCases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const result = loadCatalog(filesOf(c));
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.errors.map(formatError)).toEqual(c.errors);
  });

  it("reports the same errors whatever order the files are listed in", () => {
    const cases = brokenCases.map((c) => ({ name: c.name, files: filesOf(c), errors: c.errors }));
    fc.assert(
      fc.property(
        fc.constantFrom(...cases).chain((c) => fc.tuple(fc.constant(c), fc.shuffledSubarray(c.files, { minLength: c.files.length, maxLength: c.files.length }))),
        ([c, shuffled]) => {
          const result = loadCatalog(shuffled);
          expect(result.ok ? [] : result.errors.map(formatError)).toEqual(c.errors);
        },
      ),
      { numRuns: 100 },
    );
  });
});
