// `tenancy plan --sizes <file.json>`: the file's problems, each located, all at once.
import { describe, expect, it } from "vitest";
import { parseSizes } from "../../../lib/plan/sizes";

const KNOWN = ["acme", "globex", "initech"];
const problems = (text: string) => {
  try {
    parseSizes(text, "sizes.json", KNOWN);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected the file to be refused");
};

describe("parseSizes", () => {
  it("reads tenant id → bytes; tenants without a size are left out", () => {
    expect(parseSizes('{ "acme": 2147483648, "globex": 0 }', "sizes.json", KNOWN)).toEqual(new Map([["acme", 2147483648], ["globex", 0]]));
    expect(parseSizes("{}", "sizes.json", KNOWN)).toEqual(new Map());
  });

  it("reads what `tenancy status --format json` prints: rows and objects of each catalog tenant it reached", () => {
    const status = {
      healthy: true,
      tenants: [
        { expected: { id: "acme" }, database: { reachable: true, bytes: 1000 }, storage: { reachable: true, bytes: 24 } },
        { expected: { id: "globex" }, database: { reachable: false, reason: "refused" }, storage: { reachable: true, bytes: 5 } },
        { expected: { id: "other-cell" }, database: { reachable: true, bytes: 1 }, storage: { reachable: true, bytes: 1 } },
      ],
    };
    expect(parseSizes(JSON.stringify(status), "status.json", KNOWN)).toEqual(new Map([["acme", 1024]]));
    expect(problems(JSON.stringify({ tenants: [{ database: {} }] }))).toMatch(/^sizes\.json: tenants\[0\] has no expected\.id/);
  });

  it("refuses a file that is not JSON, at the line and column JSON.parse stopped, saying what the file must hold", () => {
    expect(problems('{\n  "acme": 1,\n}')).toBe(
      'sizes.json:3:1: not JSON (Expected double-quoted property name in JSON at position 15); --sizes takes a JSON object of tenant id to size in bytes, such as { "acme": 2147483648 }, or what `tenancy status --format json` prints',
    );
    expect(problems("")).toMatch(/^sizes\.json:1:1: not JSON \(Unexpected end of JSON input\); --sizes takes a JSON object/);
  });

  it("refuses JSON that is not an object", () => {
    expect(problems("[1, 2]")).toMatch(/^sizes\.json:1:1: an array, not a JSON object; --sizes takes a JSON object of tenant id to size in bytes/);
    expect(problems("null")).toMatch(/^sizes\.json:1:1: null, not a JSON object/);
    expect(problems("42")).toMatch(/^sizes\.json:1:1: a number, not a JSON object/);
  });

  it("names every unknown id, bad size and repeated id, each at its line and column", () => {
    const text = '{\n  "acme": "2 GB",\n  "globx": 5,\n  "initech": -1,\n  "globex": 1.5,\n  "stark": 3,\n  "acme": 4\n}';
    expect(problems(text)).toBe(
      [
        '6 problem(s) in sizes.json; --sizes takes a JSON object of tenant id to size in bytes, such as { "acme": 2147483648 }, or what `tenancy status --format json` prints:',
        'sizes.json:2:3 acme: "2 GB" is not a size; a size is a whole number of bytes, 0 or more, such as 2147483648 for 2 GiB',
        'sizes.json:3:3 globx: no tenant globx in the catalog (now or at the base); did you mean "globex"?; sizes are by tenant id',
        "sizes.json:4:3 initech: -1 is not a size; a size is a whole number of bytes, 0 or more, such as 2147483648 for 2 GiB",
        "sizes.json:5:3 globex: 1.5 is not a size; a size is a whole number of bytes, 0 or more, such as 2147483648 for 2 GiB",
        "sizes.json:6:3 stark: no tenant stark in the catalog (now or at the base); sizes are by tenant id",
        "sizes.json:7:3 acme: given twice; give each tenant one size",
      ].join("\n"),
    );
  });
});
