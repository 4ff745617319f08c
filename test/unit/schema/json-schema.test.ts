import Ajv2020 from "ajv/dist/2020";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { catalogJsonSchemas, renderJsonSchema } from "../../../lib/catalog/json-schema";

const dir = join(__dirname, "../../../tenants");
const tenantFiles = readdirSync(dir).filter((f) => f.endsWith(".yaml") && !f.startsWith("_"));

function validator(name: string) {
  const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: false });
  return ajv.compile(JSON.parse(readFileSync(join(dir, name), "utf8")));
}

describe("editor JSON Schemas", () => {
  it.each(Object.keys(catalogJsonSchemas()))("%s is up to date with the zod schema (run `npm run schema`)", (name) => {
    expect(readFileSync(join(dir, name), "utf8")).toBe(renderJsonSchema(catalogJsonSchemas()[name]));
  });

  it("every catalog file names its schema for the editor on the first line", () => {
    const files = readdirSync(dir).filter((f) => f.endsWith(".yaml"));
    const expected: Record<string, string> = { "_defaults.yaml": "defaults", "_control-plane.yaml": "control-plane", "_cells.yaml": "cells" };
    for (const file of files) {
      const first = readFileSync(join(dir, file), "utf8").split("\n")[0];
      expect(first, file).toBe(`# yaml-language-server: $schema=./${expected[file] ?? "tenant"}.schema.json`);
    }
  });

  it("accepts every example file, as an editor would", () => {
    const tenant = validator("tenant.schema.json");
    for (const file of tenantFiles) {
      const ok = tenant(parse(readFileSync(join(dir, file), "utf8")));
      expect(tenant.errors ?? [], file).toEqual([]);
      expect(ok).toBe(true);
    }
    const defaults = validator("defaults.schema.json");
    expect(defaults(parse(readFileSync(join(dir, "_defaults.yaml"), "utf8"))), JSON.stringify(defaults.errors)).toBe(true);
    const cp = validator("control-plane.schema.json");
    expect(cp(parse(readFileSync(join(dir, "_control-plane.yaml"), "utf8"))), JSON.stringify(cp.errors)).toBe(true);
    const cells = validator("cells.schema.json");
    expect(cells(parse(readFileSync(join(dir, "_cells.yaml"), "utf8"))), JSON.stringify(cells.errors)).toBe(true);
    expect(cells({ cells: { default: { regions: ["eu-wset-1"] } }, database_servers: {} }), "a misspelt region").toBe(false);
    expect(cells({ cells: { default: { regions: ["eu-west-1"], budget: 3 } }, database_servers: {} }), "an unknown key").toBe(false);
  });

  it("flags what the loader refuses: unknown keys, bad enums, bad ids, missing name", () => {
    const tenant = validator("tenant.schema.json");
    const cases: [string, unknown][] = [
      ["unknown key", { id: "acme", name: "A", parnet: "x" }],
      ["bad enum", { id: "acme", name: "A", database: { isolation: "databse" } }],
      ["bad id", { id: "Acme", name: "A" }],
      ["double hyphen", { id: "ac--me", name: "A" }],
      ["missing name", { id: "acme" }],
      ["http hook", { id: "acme", name: "A", hooks: { created: ["http://x.example.com"] } }],
      ["bad region", { id: "acme", name: "A", region: "eu-wset-1" }],
    ];
    for (const [label, doc] of cases) expect(tenant(doc), label).toBe(false);
    expect(tenant({ id: "acme", name: "A" })).toBe(true);
    const defaults = validator("defaults.schema.json");
    expect(defaults({ tenant: { id: "x" }, plans: ["a"], rollout: { rings: { a: 1 } }, access: { admin_role: "a" } })).toBe(false);
  });
});
