// Attack, through a pull request on the catalog: a tenant file that is a symbolic link to a file
// outside the catalog (its content read and echoed into error messages, so into CI logs); a file
// under the size limit that expands a hundredfold through YAML aliases; names with bidirectional
// controls or zero-width characters (a name that reads one way and is another); and a new tenant
// that takes the id of a former one whose data is retained, inheriting that data.
// Held: links are refused unread and their target is never told; size is measured again after
// alias expansion; invisible characters are refused in names; a retained id is refused unless the
// tenant adopts the data on purpose, and removing a retaining tenant must register its id.
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkRetainedRemovals, formatError, loadCatalog, readCatalogDir, type CatalogFile } from "../../lib/catalog";
import { BASE_DIR } from "../unit/catalog/broken-cases";

const SECRET_LINE = "canary-secret-7d1e: outside the catalog";
let dir: string;
let outside: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tenancy-catalog-attack-"));
  outside = mkdtempSync(join(tmpdir(), "tenancy-outside-"));
  for (const name of ["_defaults.yaml", "_control-plane.yaml", "_cells.yaml", "alpha.yaml"]) writeFileSync(join(dir, name), readFileSync(join(BASE_DIR, name)));
  writeFileSync(join(outside, "secret.yaml"), `${SECRET_LINE}\nnot: [valid yaml\n`);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

/** The base catalog with `files` (name -> text) laid over it. */
function catalogWith(files: Record<string, string>): CatalogFile[] {
  const base = readCatalogDir(BASE_DIR).filter((f) => !(f.name in files)).map((f) => ({ ...f, path: `tenants/${f.name}` }));
  return [...base, ...Object.entries(files).map(([name, text]) => ({ name, path: `tenants/${name}`, text }))];
}

const errorsOf = (files: CatalogFile[]) => {
  const result = loadCatalog(files);
  return result.ok ? [] : result.errors.map(formatError);
};

describe("the catalog refuses", () => {
  it("a symbolic link, without reading or telling what it points to", () => {
    symlinkSync(join(outside, "secret.yaml"), join(dir, "beta.yaml"));
    const files = readCatalogDir(dir);
    expect(files.find((f) => f.name === "beta.yaml")).toMatchObject({ symlink: true, text: "" });
    const errors = errorsOf(files);
    expect(errors).toEqual(["tenants/beta.yaml:1:1 refused: a symbolic link; catalog files must be plain files of the repository"].map((e) => e.replace("tenants/", `${dir}/`)));
    expect(errors.join("\n")).not.toContain("canary-secret");
    expect(errors.join("\n")).not.toContain(outside);
  });

  it("a file that expands past the size limit through its aliases", () => {
    // About 1.5 KB of settings, used 60 times: under the base catalog's 2 KB limit as written.
    const big = Array.from({ length: 30 }, (_, i) => `k${i}: "${"x".repeat(40)}"`).join(", ");
    const uses = Array.from({ length: 60 }, (_, i) => `  s${i}: *big`).join("\n");
    const text = `id: alpha\nname: Alpha Ltd\nsettings:\n  anchor: &big { ${big} }\n${uses}\n`;
    expect(Buffer.byteLength(text)).toBeLessThan(2048 + 1024);
    const errors = errorsOf(catalogWith({ "alpha.yaml": text }));
    expect(errors.length).toBe(1);
    expect(errors[0]).toMatch(/^tenants\/alpha\.yaml:1:1 file (is \d+ bytes|expands to \d+ bytes through its YAML aliases); the limit is 2048 \(limits\.max_file_bytes in _defaults\.yaml\)$/);
    // Within the limit as written, it is the expansion that refuses it.
    const small = `id: alpha\nname: Alpha Ltd\nsettings:\n  anchor: &big { ${"k: " + '"' + "x".repeat(300) + '"'} }\n${Array.from({ length: 20 }, (_, i) => `  s${i}: *big`).join("\n")}\n`;
    expect(Buffer.byteLength(small)).toBeLessThan(2048);
    expect(errorsOf(catalogWith({ "alpha.yaml": small }))).toEqual([expect.stringMatching(/^tenants\/alpha\.yaml:1:1 file expands to \d+ bytes through its YAML aliases; the limit is 2048/)]);
  });

  it.each([
    ["a right-to-left override", "Acme\u202Eevil", "U+202E"],
    ["a zero-width space", "Ac\u200Bme", "U+200B"],
    ["a zero-width joiner", "Ac\u200Dme", "U+200D"],
    ["a left-to-right isolate", "\u2066Acme", "U+2066"],
    ["a byte-order mark inside", "Ac\uFEFFme", "U+FEFF"],
    ["a Hangul filler", "Acme\u3164", "U+3164"],
  ])("a name with %s", (_what, name, code) => {
    const errors = errorsOf(catalogWith({ "alpha.yaml": `id: alpha\nname: ${JSON.stringify(name)}\nfriendly_name: ${JSON.stringify(name)}\n` }));
    expect(errors).toEqual([
      `tenants/alpha.yaml:2:7 name: expected a name without invisible characters; ${code} is a bidirectional control or zero-width character`,
      `tenants/alpha.yaml:3:16 friendly_name: expected a name without invisible characters; ${code} is a bidirectional control or zero-width character`,
    ]);
  });

  describe("an id whose data is retained", () => {
    const registry = "retained:\n  - id: alpha\n    since: 2026-05-01\n    note: database tenant_alpha and bucket kept\n";

    it("is refused for a new tenant, adopted only on purpose", () => {
      expect(errorsOf(catalogWith({ "_retained.yaml": registry }))).toEqual([
        'tenants/alpha.yaml:1:5 id: "alpha" belongs to a former tenant whose data is retained (tenants/_retained.yaml:2, since 2026-05-01): a new tenant with this id would be handed that data. Choose another id, or set adopt_retained: true to take the data over on purpose (SECURITY.md, "Retained ids")',
      ]);
      expect(errorsOf(catalogWith({ "_retained.yaml": registry, "alpha.yaml": "id: alpha\nname: Alpha Ltd\nadopt_retained: true\n" }))).toEqual([]);
      expect(errorsOf(catalogWith({ "alpha.yaml": "id: alpha\nname: Alpha Ltd\nadopt_retained: true\n" }))).toEqual([
        'tenants/alpha.yaml:3:17 adopt_retained: no data is retained under "alpha" (_retained.yaml); remove adopt_retained',
      ]);
    });

    it("must be registered by the change that removes its tenant", () => {
      const base = loadCatalog(catalogWith({ "beta.yaml": "id: beta\nname: Beta\nlifecycle: { deletion_protection: false, on_delete: retain }\n" }));
      const removed = loadCatalog(catalogWith({}));
      const registered = loadCatalog(catalogWith({ "_retained.yaml": "retained:\n  - id: beta\n    since: 2026-05-01\n" }));
      if (!base.ok || !removed.ok || !registered.ok) throw new Error("fixture catalogs must load");
      expect(checkRetainedRemovals(base.catalog, removed.catalog).map(formatError)).toEqual([
        "tenants/beta.yaml:1:1 tenant beta is removed with lifecycle.on_delete: retain, so its data stays: list it in _retained.yaml (- id: beta, since: <today>) in the same change, so that its id is not given to another tenant",
      ]);
      expect(checkRetainedRemovals(base.catalog, registered.catalog)).toEqual([]);
    });
  });
});
