// The format rules on their own, and the agreement between each rule and the schema that states it
// for editors (a pattern in the JSON Schema) so the editor and the loader never disagree.
import fc from "fast-check";
import { distance } from "fastest-levenshtein";
import { describe, expect, it } from "vitest";
import { didYouMean, formatError, formatPath, sortErrors, type CatalogError } from "../../../lib/catalog/errors";
import { hostnameProblem, ID_MAX, ID_MIN, isEmail, isHostname, isHttpsUrl, isTenantId } from "../../../lib/catalog/formats";
import { AWS_REGIONS } from "../../../lib/catalog/regions";
import { kindOf } from "../../../lib/catalog/parse";
import { Email, Hostname, HttpsUrl, TenantId } from "../../../lib/catalog/schema";

describe("tenant ids", () => {
  it.each(["abc", "acme", "acme-research", "a1b2", "x-1-y", `a${"b".repeat(ID_MAX - 1)}`])("accepts %s", (id) => {
    expect(isTenantId(id)).toBe(true);
  });

  it.each([
    ["", "empty"],
    ["ab", "too short"],
    [`a${"b".repeat(ID_MAX)}`, "too long"],
    ["Acme", "uppercase"],
    ["acme--lab", "double hyphen"],
    ["1acme", "leading digit"],
    ["-acme", "leading hyphen"],
    ["acme-", "trailing hyphen"],
    ["acme_lab", "underscore"],
    ["acme.lab", "dot"],
    ["acmé", "non-ASCII letter"],
    [" acme", "space"],
    ["acme\n", "newline"],
  ])("refuses %j (%s)", (id) => {
    expect(isTenantId(id)).toBe(false);
  });

  it("has the bounds the rule states", () => {
    expect([ID_MIN, ID_MAX]).toEqual([3, 40]);
  });

  it("agrees with the schema's TenantId on arbitrary strings", () => {
    const chars = fc.constantFrom(..."ab-z09A_.".split(""));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: chars, maxLength: 45 }), fc.string({ maxLength: 45 })), (id) => {
        expect(TenantId.safeParse(id).success).toBe(isTenantId(id));
      }),
      { numRuns: 2000 },
    );
  });
});

describe("host names", () => {
  it.each(["login.acme.com", "a.co", "xn--bcher-kva.example", "a-b.c-d.example", "1.example.com", `${"a".repeat(63)}.example.com`])("accepts %s", (host) => {
    expect(hostnameProblem(host)).toBeUndefined();
    expect(isHostname(host)).toBe(true);
  });

  it.each([
    ["", "expected a host name such as login.example.com"],
    ["localhost", "expected a fully qualified host name such as login.example.com"],
    ["Login.Acme.com", "expected a lowercase host name (login.acme.com)"],
    ["login.acme.com.", "expected a host name without the trailing dot (login.acme.com)"],
    ["10.0.0.1", "expected a host name, not an IP address"],
    ["::1", "expected a host name, not an IP address"],
    ["login..acme.com", "expected a host name without empty labels (two dots in a row)"],
    [".acme.com", "expected a host name without empty labels (two dots in a row)"],
    [`${"a".repeat(64)}.example.com`, "expected labels of at most 63 characters (one has 64)"],
    ["login_page.acme.com", 'expected labels of lowercase letters, digits and inner hyphens ("login_page" is not one)'],
    ["-login.acme.com", 'expected labels of lowercase letters, digits and inner hyphens ("-login" is not one)'],
    ["login-.acme.com", 'expected labels of lowercase letters, digits and inner hyphens ("login-" is not one)'],
    ["login acme.com", "expected a host name without spaces or control characters"],
    ["login\n.acme.com", "expected a host name without spaces or control characters"],
    ["acme.123", "expected the last label (top-level domain) to start with a letter"],
    [`${"abcdefghi.".repeat(26)}com`, "expected a host name of at most 253 characters (this one has 263)"],
  ])("refuses %j: %s", (host, problem) => {
    expect(hostnameProblem(host)).toBe(problem);
    expect(isHostname(host)).toBe(false);
  });

  it("agrees with the schema's Hostname pattern, which is what editors check", () => {
    const label = fc.oneof(
      fc.string({ unit: fc.constantFrom(..."az09-_A".split("")), minLength: 0, maxLength: 8 }),
      fc.integer({ min: 60, max: 66 }).map((n) => "a".repeat(n)),
    );
    const host = fc.oneof(
      fc.array(label, { minLength: 1, maxLength: 5 }).map((labels) => labels.join(".")),
      fc.array(label, { minLength: 1, maxLength: 5 }).map((labels) => `${labels.join(".")}.`),
      fc.string({ maxLength: 20 }),
    );
    fc.assert(
      fc.property(host, (h) => {
        expect(Hostname.safeParse(h).success).toBe(isHostname(h));
      }),
      { numRuns: 3000 },
    );
  });
});

describe("e-mail addresses", () => {
  it.each(["ops@acme.com", "first.last+tag@mail.acme-corp.com", "o'brien@example.org", "x@a.co"])("accepts %s", (email) => {
    expect(isEmail(email)).toBe(true);
    expect(Email.safeParse(email).success).toBe(true);
  });

  it.each([
    ["ops.acme.com", "no @"],
    ["ops@@acme.com", "two @"],
    ["@acme.com", "empty local part"],
    ["ops@", "empty domain"],
    ["ops@localhost", "unqualified domain"],
    ["ops@Acme.com", "uppercase domain"],
    [".ops@acme.com", "leading dot"],
    ["ops.@acme.com", "trailing dot"],
    ["o..ps@acme.com", "two dots"],
    ["o ps@acme.com", "space"],
    [`${"a".repeat(65)}@acme.com`, "local part over 64"],
    ["ops@acme_corp.com", "bad domain label"],
  ])("refuses %j (%s)", (email) => {
    expect(isEmail(email)).toBe(false);
    expect(Email.safeParse(email).success).toBe(false);
  });
});

describe("webhook URLs", () => {
  it.each(["https://hooks.acme.com/tenancy", "https://hooks.acme.com:8443/x?y=1#z", "https://10.0.0.1/hook"])("accepts %s", (url) => {
    expect(isHttpsUrl(url)).toBe(true);
    expect(HttpsUrl.safeParse(url).success).toBe(true);
  });

  it.each([
    ["http://hooks.acme.com/x", "plain http"],
    ["ftp://hooks.acme.com/x", "another scheme"],
    ["javascript:alert(1)", "script"],
    ["https://user:secret@hooks.acme.com/x", "user and password"],
    ["https://token@hooks.acme.com/x", "user only"],
    ["https://", "no host"],
    ["hooks.acme.com/x", "no scheme"],
    ["HTTPS://hooks.acme.com/x", "uppercase scheme (not what the editor's pattern accepts)"],
  ])("refuses %j (%s)", (url) => {
    expect(HttpsUrl.safeParse(url).success).toBe(false);
  });

  it("says which rule a refused URL breaks, without echoing its password", () => {
    const messages = (url: string) => HttpsUrl.safeParse(url).error?.issues.map((i) => i.message);
    expect(messages("http://hooks.acme.com/x")).toEqual(["expected an https:// URL"]);
    expect(messages("https://user:secret@hooks.acme.com/x")).toEqual(["expected an https:// URL with a host and no credentials"]);
    expect(kindOf("https://user:s3cr3t-canary@hooks.acme.com/x")).toBe('"https://user:***@hooks.acme.com/x"');
    expect(kindOf("https://:s3cr3t-canary@hooks.acme.com/x")).toBe('"https://:***@hooks.acme.com/x"');
    expect(kindOf("https://hooks.acme.com/x?user=a:b@c")).toBe('"https://hooks.acme.com/x?user=a:b@c"');
  });
});

describe("AWS regions", () => {
  it("come from the provider, sorted and unique, including the common ones", () => {
    expect(AWS_REGIONS.length).toBeGreaterThan(20);
    expect([...AWS_REGIONS].sort()).toEqual(AWS_REGIONS);
    expect(new Set(AWS_REGIONS).size).toBe(AWS_REGIONS.length);
    for (const region of ["eu-west-1", "eu-central-1", "us-east-1", "ap-southeast-2"]) expect(AWS_REGIONS).toContain(region);
    for (const region of AWS_REGIONS) expect(region).toMatch(/^[a-z]{2,4}(-[a-z]+)+-\d$/);
  });
});

describe("didYouMean", () => {
  const isolations = ["database", "schema", "shared"];

  it.each([
    ["databse", isolations, '; did you mean "database"?'],
    ["shard", isolations, '; did you mean "shared"?'],
    ["Schema", isolations, '; did you mean "schema"?'],
    ["plna", ["plan", "cell"], '; did you mean "plan"?'],
    ["tenant-membr", ["tenant-admin", "tenant-member"], '; did you mean "tenant-member"?'],
    ["eu-wset-1", AWS_REGIONS, '; did you mean "eu-west-1"?'],
    ["colour", ["id", "name", "plan"], ""],
    ["1", ["id"], ""],
    ["x", ["id", "ab"], ""],
    ["anything", [], ""],
  ])("%j among %j gives %j", (word, candidates, expected) => {
    expect(didYouMean(word as string, candidates as string[])).toBe(expected);
  });

  it("suggests a close candidate for any one-letter typo of a word of three or more letters", () => {
    const word = fc.string({ unit: fc.constantFrom(..."abcdefghij-".split("")), minLength: 3, maxLength: 15 });
    fc.assert(
      fc.property(fc.uniqueArray(word, { minLength: 1, maxLength: 6 }), fc.nat(), fc.nat(), fc.constantFrom(..."klmnop".split("")), (candidates, pick, at, letter) => {
        const target = candidates[pick % candidates.length];
        const i = at % target.length;
        const typo = target.slice(0, i) + letter + target.slice(i + 1);
        const suggestion = didYouMean(typo, candidates);
        const suggested = /"(.*)"/.exec(suggestion)?.[1];
        expect(suggested).toBeDefined();
        expect(candidates).toContain(suggested);
        expect(distance(typo, suggested!)).toBeLessThanOrEqual(1);
      }),
    );
  });

  it("only ever suggests one of the candidates", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 10 }), fc.array(fc.string({ maxLength: 10 }), { maxLength: 5 }), (word, candidates) => {
        const suggestion = didYouMean(word, candidates);
        if (suggestion !== "") expect(candidates.map((c) => `; did you mean "${c}"?`)).toContain(suggestion);
      }),
    );
  });
});

describe("error formatting", () => {
  const e = (file: string, line: number, col: number, path: string, message: string): CatalogError => ({ file, line, col, path, message });

  it("formats located errors like a compiler, with or without a path", () => {
    expect(formatError(e("tenants/acme.yaml", 12, 5, "database.isolation", "expected one of database|schema|shared"))).toBe(
      "tenants/acme.yaml:12:5 database.isolation: expected one of database|schema|shared",
    );
    expect(formatError(e("tenants/acme.yaml", 1, 1, "", "file is empty"))).toBe("tenants/acme.yaml:1:1 file is empty");
  });

  it("writes paths with dots for keys and brackets for indexes", () => {
    expect(formatPath(["domains", "custom", 1])).toBe("domains.custom[1]");
    expect(formatPath([0, "a", 2, 3])).toBe("[0].a[2][3]");
    expect(formatPath([])).toBe("");
    expect(formatPath(["settings", "a.b", "line\nbreak", "", "with space", "ok-key_1"])).toBe('settings["a.b"]["line\\nbreak"][""]["with space"].ok-key_1');
  });

  it("sorts by file, line, column and message, and drops repeats", () => {
    const errors = [
      e("tenants/b.yaml", 1, 1, "", "z"),
      e("tenants/a.yaml", 10, 1, "", "x"),
      e("tenants/a.yaml", 2, 7, "", "y"),
      e("tenants/a.yaml", 2, 3, "", "b"),
      e("tenants/a.yaml", 2, 3, "", "a"),
      e("tenants/a.yaml", 2, 3, "", "a"),
    ];
    expect(sortErrors(errors).map(formatError)).toEqual([
      "tenants/a.yaml:2:3 a",
      "tenants/a.yaml:2:3 b",
      "tenants/a.yaml:2:7 y",
      "tenants/a.yaml:10:1 x",
      "tenants/b.yaml:1:1 z",
    ]);
  });
});
