// The broken-catalog corpus: each case overlays files on test/fixtures/catalogs/base (a file given
// as null is removed) and lists every message the loader must report, in the order it reports them.
// A file is an array of lines, so the line numbers in the expected messages can be read off directly.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { AWS_REGIONS } from "../../../lib/catalog/regions";
import { DefaultsSchema, TenantSchema } from "../../../lib/catalog/schema";

export const BASE_DIR = join(__dirname, "../../fixtures/catalogs/base");
/** Lines of the base _defaults.yaml, which the cases about the defaults edit. */
const BASE_DEFAULTS = readFileSync(join(BASE_DIR, "_defaults.yaml"), "utf8").trimEnd().split("\n");

export interface BrokenCase {
  name: string;
  files: Record<string, readonly string[] | string | null>;
  errors: readonly string[];
}

/** The allowed keys, as unknown-key messages list them; other work adds fields, so they come from the schema. */
const TENANT_KEYS = Object.keys(TenantSchema.shape).join(", ");
const DEFAULTS_KEYS = Object.keys(DefaultsSchema.shape).join(", ");
/** The region list moves with the AWS provider version, and so does its size in the message. */
const REGION_RULE = `expected an AWS region such as eu-west-1 or us-east-1 (one of the ${AWS_REGIONS.length} the AWS provider knows)`;

const alpha = (...lines: string[]) => ["id: alpha", "name: Alpha Ltd", ...lines];

export const brokenCases: readonly BrokenCase[] = [
  // --- YAML syntax and file shape ---
  { name: "unclosed flow mapping", files: { "alpha.yaml": alpha("database: { isolation: schema") }, errors: ["tenants/alpha.yaml:3:30 YAML syntax error: a { mapping is not closed; end it with } on the same line or indent its continuation"] },
  { name: "bad indentation", files: { "alpha.yaml": alpha("database:", "  isolation: schema", " server: main") }, errors: ["tenants/alpha.yaml:5:1 YAML syntax error: keys of one mapping must start at the same column; this one is indented differently"] },
  { name: "no space after a colon", files: { "alpha.yaml": alpha("plan:pro") }, errors: ["tenants/alpha.yaml:3:1 YAML syntax error: expected key: value (a colon and a space after the key) or a list item (- value)"] },
  { name: "unclosed quote", files: { "alpha.yaml": ["id: alpha", 'name: "Alpha Ltd'] }, errors: ['tenants/alpha.yaml:2:17 YAML syntax error: a quoted value is not closed; add the closing "'] },
  {
    name: "colon inside an unquoted value",
    files: { "alpha.yaml": ["id: alpha", "name: Alpha: the company"] },
    errors: ['tenants/alpha.yaml:2:7 YAML syntax error: a value holds ": " or is indented too far; quote a value with a colon in it (name: "A: B")'],
  },
  { name: "value starting with a reserved character", files: { "alpha.yaml": ["id: alpha", "name: @alpha"] }, errors: ['tenants/alpha.yaml:2:7 YAML syntax error: a value cannot start with @ unless quoted ("@...")'] },
  { name: "tab indentation", files: { "alpha.yaml": alpha("database:", "\tisolation: schema") }, errors: ["tenants/alpha.yaml:4:1 tab used for indentation; YAML indents with spaces"] },
  { name: "byte-order mark", files: { "alpha.yaml": "\ufeffid: alpha\nname: Alpha Ltd\n" }, errors: ["tenants/alpha.yaml:1:1 file starts with a byte-order mark; save it as UTF-8 without BOM"] },
  { name: "empty file", files: { "alpha.yaml": "" }, errors: ["tenants/alpha.yaml:1:1 file is empty; a catalog file holds one YAML mapping"] },
  { name: "comment-only file", files: { "alpha.yaml": ["# nothing here yet", "", "# still nothing"] }, errors: ["tenants/alpha.yaml:1:1 file is empty; a catalog file holds one YAML mapping"] },
  {
    name: "comment banner, then an error (no slow pattern on banners)",
    files: { "alpha.yaml": ["#".repeat(80), "# Alpha", "#".repeat(80), "id: alpha", "name: Alpha Ltd", "plna: pro"] },
    errors: [`tenants/alpha.yaml:6:1 plna: unknown key "plna"; did you mean "plan"? (allowed: ${TENANT_KEYS})`],
  },
  { name: "list instead of a mapping", files: { "alpha.yaml": ["- id: alpha", "- name: Alpha Ltd"] }, errors: ["tenants/alpha.yaml:1:1 expected a mapping of keys to values, got a list"] },
  { name: "scalar document", files: { "alpha.yaml": ["alpha"] }, errors: ['tenants/alpha.yaml:1:1 expected a mapping of keys to values, got "alpha"'] },
  { name: "duplicate key", files: { "alpha.yaml": alpha("plan: pro", "plan: starter") }, errors: ['tenants/alpha.yaml:4:1 plan: duplicate key "plan" (first set on line 3); each key may appear once in a mapping'] },
  { name: "duplicate nested key", files: { "alpha.yaml": alpha("database:", "  isolation: schema", "  isolation: database") }, errors: ['tenants/alpha.yaml:5:3 database.isolation: duplicate key "isolation" (first set on line 4); each key may appear once in a mapping'] },
  { name: "two documents in one file", files: { "alpha.yaml": alpha("---", "id: beta") }, errors: ["tenants/alpha.yaml:3:1 a second YAML document starts here; a catalog file holds one document, so remove the --- line"] },
  { name: "YAML 1.1 directive", files: { "alpha.yaml": ["%YAML 1.1", "---", "id: alpha", "name: Alpha Ltd", "storage: { mode: bucket, versioning: yes, noncurrent_days: 7 }"] }, errors: ["tenants/alpha.yaml:1:1 YAML 1.1 is not supported; catalog files are YAML 1.2, so remove the %YAML line"] },
  { name: "unknown directive", files: { "alpha.yaml": ["%INCLUDE base.yaml", "---", "id: alpha", "name: Alpha Ltd"] }, errors: ["tenants/alpha.yaml:1:1 unsupported directive: Unknown directive %INCLUDE"] },
  { name: "custom tag", files: { "alpha.yaml": alpha("plan: !include pro.yaml") }, errors: ["tenants/alpha.yaml:3:7 unsupported tag !include; catalog files hold plain data (text, numbers, booleans, lists, mappings)"] },
  {
    name: "alias bomb",
    files: {
      "alpha.yaml": alpha(
        'a: &a ["x","x","x","x","x","x","x","x","x","x"]',
        "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]",
        "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]",
        "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]",
        "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]",
      ),
    },
    errors: ["tenants/alpha.yaml:1:1 refused: too many alias expansions (possible alias bomb)"],
  },
  {
    name: "nesting too deep",
    files: { "alpha.yaml": alpha(`settings: { a: ${"[".repeat(40)}${"]".repeat(40)} }`) },
    errors: [`tenants/alpha.yaml:3:46 settings.a${"[0]".repeat(30)}: refused: nested more than 32 levels deep`],
  },
  {
    name: "nesting deep enough to exhaust the parser",
    files: {
      "_defaults.yaml": defaultsWith("limits: { max_depth: 2, max_file_bytes: 2048 }", "limits: { max_file_bytes: 65536 }"),
      "alpha.yaml": alpha(`settings: { a: ${"[".repeat(20000)}${"]".repeat(20000)} }`),
    },
    errors: ["tenants/alpha.yaml:1:1 refused: nested more than 32 levels deep"],
  },
  { name: "key __proto__", files: { "alpha.yaml": alpha("__proto__: { plan: pro }") }, errors: ['tenants/alpha.yaml:3:1 __proto__: key "__proto__" is not allowed'] },
  { name: "key __proto__ inside settings", files: { "alpha.yaml": alpha("settings:", "  branding:", "    __proto__: { color: red }") }, errors: ['tenants/alpha.yaml:5:5 settings.branding.__proto__: key "__proto__" is not allowed'] },
  { name: "list as a key", files: { "alpha.yaml": alpha("? [plan, cell]", ": pro") }, errors: ["tenants/alpha.yaml:3:3 a key must be plain text, not a list or mapping"] },
  { name: "file over limits.max_file_bytes", files: { "alpha.yaml": alpha(`# ${"x".repeat(2100)}`) }, errors: ["tenants/alpha.yaml:1:1 file is 2129 bytes; the limit is 2048 (limits.max_file_bytes in _defaults.yaml)"] },
  { name: ".yml extension", files: { "beta.yml": ["id: beta", "name: Beta"] }, errors: ["tenants/beta.yml:1:1 tenant files end in .yaml; rename it to beta.yaml"] },
  { name: "unknown catalog-wide file", files: { "_foo.yaml": ["x: 1"] }, errors: ['tenants/_foo.yaml:1:1 unknown catalog-wide file; files starting with "_" are _defaults.yaml, _control-plane.yaml, _cells.yaml and _retained.yaml'] },
  { name: "missing _defaults.yaml", files: { "_defaults.yaml": null }, errors: ["tenants/_defaults.yaml:1:1 missing: the catalog needs a _defaults.yaml with plans, rollout rings and tenant defaults"] },

  // --- types and keys ---
  { name: "wrong scalar type", files: { "alpha.yaml": alpha("storage: { mode: bucket, versioning: yes, noncurrent_days: 30 }") }, errors: ['tenants/alpha.yaml:3:38 storage.versioning: expected true or false, got "yes"'] },
  { name: "number for a string", files: { "alpha.yaml": ["id: alpha", "name: 42"] }, errors: ["tenants/alpha.yaml:2:7 name: expected a string, got number 42"] },
  { name: "list for a mapping", files: { "alpha.yaml": alpha("database: [shared, main]") }, errors: ["tenants/alpha.yaml:3:11 database: expected a mapping, got a list"] },
  { name: "mapping for a list", files: { "alpha.yaml": alpha("access: { admins: { ops: ops@example.com }, roles: [] }") }, errors: ["tenants/alpha.yaml:3:19 access.admins: expected a list, got a mapping"] },
  { name: "fraction for a whole number", files: { "alpha.yaml": alpha("storage: { mode: bucket, versioning: true, noncurrent_days: 1.5 }") }, errors: ["tenants/alpha.yaml:3:61 storage.noncurrent_days: expected a whole number, got number 1.5"] },
  { name: "number out of range", files: { "alpha.yaml": alpha("storage: { mode: bucket, versioning: true, noncurrent_days: 0 }") }, errors: ["tenants/alpha.yaml:3:61 storage.noncurrent_days: expected a number >= 1, got number 0"] },
  { name: "empty name", files: { "alpha.yaml": ["id: alpha", 'name: ""'] }, errors: ['tenants/alpha.yaml:2:7 name: expected at least 1 character(s), got ""'] },
  { name: "null name", files: { "alpha.yaml": ["id: alpha", "name:"] }, errors: ["tenants/alpha.yaml:2:1 name: expected a string, got nothing"] },
  { name: "empty mapping value", files: { "alpha.yaml": alpha("database:") }, errors: ["tenants/alpha.yaml:3:1 database: expected a mapping, got nothing"] },
  { name: "settings not a mapping", files: { "alpha.yaml": alpha("settings: [dark]") }, errors: ["tenants/alpha.yaml:3:11 settings: expected a mapping, got a list"] },
  { name: "infinite number in settings", files: { "alpha.yaml": alpha("settings:", "  session: { timeout: .inf }") }, errors: ["tenants/alpha.yaml:4:23 settings.session.timeout: expected plain data (text, a finite number, true/false, a list or a mapping), got number Infinity"] },
  { name: "too many webhooks", files: { "alpha.yaml": alpha(`hooks: { created: [${Array.from({ length: 11 }, (_, i) => `https://h${i}.alpha.com`).join(", ")}] }`) }, errors: ["tenants/alpha.yaml:3:19 hooks.created: expected at most 10 item(s), got 11 item(s)"] },
  {
    name: "name with a line break",
    files: { "alpha.yaml": ["id: alpha", 'name: "Alpha\\nLtd"', 'friendly_name: "A\\tL"'] },
    errors: [
      'tenants/alpha.yaml:2:7 name: expected a name without line breaks, tabs or other control characters, got "Alpha\\nLtd"',
      'tenants/alpha.yaml:3:16 friendly_name: expected a name without line breaks, tabs or other control characters, got "A\\tL"',
    ],
  },
  {
    name: "unknown key with a line break",
    files: { "alpha.yaml": alpha('"pla\\nn": pro') },
    errors: [`tenants/alpha.yaml:3:1 ["pla\\nn"]: unknown key "pla\\nn"; did you mean "plan"? (allowed: ${TENANT_KEYS})`],
  },
  { name: "name too long", files: { "alpha.yaml": ["id: alpha", `name: ${"Alpha ".repeat(40)}Ltd`] }, errors: ["tenants/alpha.yaml:2:7 name: expected at most 200 character(s), got 243 characters"] },
  { name: "name missing", files: { "alpha.yaml": ["id: alpha"] }, errors: ["tenants/alpha.yaml:1:1 name: missing; expected a string"] },
  { name: "unknown top-level key", files: { "alpha.yaml": alpha("plna: pro") }, errors: [`tenants/alpha.yaml:3:1 plna: unknown key "plna"; did you mean "plan"? (allowed: ${TENANT_KEYS})`] },
  { name: "unknown nested key", files: { "alpha.yaml": alpha("database: { isolation: schema, sever: main }") }, errors: ['tenants/alpha.yaml:3:32 database.sever: unknown key "sever"; did you mean "server"? (allowed: isolation, server)'] },
  {
    name: "nested key dedented to the top",
    files: { "alpha.yaml": alpha("database:", "  isolation: schema", "server: main") },
    errors: [`tenants/alpha.yaml:5:1 server: unknown key "server"; it belongs inside database (check the indentation) (allowed: ${TENANT_KEYS})`],
  },
  {
    name: "top-level key indented under another",
    files: { "alpha.yaml": alpha("database:", "  isolation: schema", "  server: main", "  plan: pro") },
    errors: ['tenants/alpha.yaml:6:3 database.plan: unknown key "plan"; it belongs one level up, beside database (check the indentation) (allowed: isolation, server)'],
  },
  { name: "unknown key, nothing close", files: { "alpha.yaml": alpha("colour: red") }, errors: [`tenants/alpha.yaml:3:1 colour: unknown key "colour" (allowed: ${TENANT_KEYS})`] },
  { name: "misspelt enum value", files: { "alpha.yaml": alpha("database:", "  isolation: databse", "  server: main") }, errors: ['tenants/alpha.yaml:4:14 database.isolation: expected one of database|schema|shared, got "databse"; did you mean "database"?'] },
  { name: "misspelt status", files: { "alpha.yaml": alpha("status: suspend") }, errors: ['tenants/alpha.yaml:3:9 status: expected one of active|suspended, got "suspend"; did you mean "suspended"?'] },

  // --- formats ---
  { name: "id uppercase", files: { "alpha.yaml": ["id: Alpha", "name: Alpha Ltd"] }, errors: ['tenants/alpha.yaml:1:5 id: expected 3-40 lowercase letters, digits and single hyphens, starting with a letter, got "Alpha"'] },
  { name: "id double hyphen", files: { "alpha--beta.yaml": ["id: alpha--beta", "name: Alpha Beta"] }, errors: ['tenants/alpha--beta.yaml:1:5 id: expected 3-40 lowercase letters, digits and single hyphens, starting with a letter, got "alpha--beta"'] },
  { name: "id leading digit", files: { "1alpha.yaml": ["id: 1alpha", "name: One Alpha"] }, errors: ['tenants/1alpha.yaml:1:5 id: expected 3-40 lowercase letters, digits and single hyphens, starting with a letter, got "1alpha"'] },
  { name: "id too short", files: { "ab.yaml": ["id: ab", "name: AB"] }, errors: ['tenants/ab.yaml:1:5 id: expected 3-40 lowercase letters, digits and single hyphens, starting with a letter, got "ab"'] },
  { name: "id too long", files: { [`a${"b".repeat(40)}.yaml`]: [`id: a${"b".repeat(40)}`, "name: Long"] }, errors: ['tenants/abbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.yaml:1:5 id: expected 3-40 lowercase letters, digits and single hyphens, starting with a letter, got "abbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"'] },
  { name: "id trailing hyphen", files: { "alpha-.yaml": ["id: alpha-", "name: Alpha"] }, errors: ['tenants/alpha-.yaml:1:5 id: expected 3-40 lowercase letters, digits and single hyphens, starting with a letter, got "alpha-"'] },
  { name: "id is not the file name", files: { "alpha.yaml": ["id: alfa", "name: Alpha Ltd"] }, errors: ['tenants/alpha.yaml:1:5 id: "alfa" does not match the file name alpha.yaml; rename the file to alfa.yaml or set id: alpha'] },
  { name: "hostname with underscore", files: { "alpha.yaml": alpha("domains: { custom: [login_page.alpha.com] }") }, errors: ['tenants/alpha.yaml:3:21 domains.custom[0]: expected labels of lowercase letters, digits and inner hyphens ("login_page" is not one), got "login_page.alpha.com"'] },
  { name: "hostname with trailing dot", files: { "alpha.yaml": alpha("domains: { custom: [login.alpha.com.] }") }, errors: ['tenants/alpha.yaml:3:21 domains.custom[0]: expected a host name without the trailing dot (login.alpha.com), got "login.alpha.com."'] },
  { name: "hostname label over 63", files: { "alpha.yaml": alpha(`domains: { custom: [${"a".repeat(64)}.alpha.com] }`) }, errors: ['tenants/alpha.yaml:3:21 domains.custom[0]: expected labels of at most 63 characters (one has 64), got "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa..."'] },
  { name: "hostname is an IP address", files: { "alpha.yaml": alpha("domains: { custom: [192.168.1.10] }") }, errors: ['tenants/alpha.yaml:3:21 domains.custom[0]: expected a host name, not an IP address, got "192.168.1.10"'] },
  { name: "hostname uppercase", files: { "alpha.yaml": alpha("domains: { custom: [Login.Alpha.com] }") }, errors: ['tenants/alpha.yaml:3:21 domains.custom[0]: expected a lowercase host name (login.alpha.com), got "Login.Alpha.com"'] },
  { name: "subdomain with a dot", files: { "alpha.yaml": alpha("domains: { subdomain: a.b }") }, errors: ['tenants/alpha.yaml:3:23 domains.subdomain: expected one DNS label: lowercase letters, digits and inner hyphens, at most 63 characters, got "a.b"'] },
  { name: "bad e-mail", files: { "alpha.yaml": alpha("access:", "  admins: [ops@alpha.com, ops.alpha.com, ops@@alpha.com]", "  roles: []") }, errors: [
      'tenants/alpha.yaml:4:27 access.admins[1]: expected an e-mail address such as ops@example.com, got "ops.alpha.com"',
      'tenants/alpha.yaml:4:42 access.admins[2]: expected an e-mail address such as ops@example.com, got "ops@@alpha.com"',
    ] },
  {
    name: "admin and role listed twice",
    files: { "alpha.yaml": alpha("access: { admins: [a@alpha.com, b@alpha.com, a@alpha.com], roles: [tenant-member, tenant-member] }") },
    errors: [
      'tenants/alpha.yaml:3:46 access.admins[2]: "a@alpha.com" is listed twice (also [0])',
      'tenants/alpha.yaml:3:83 access.roles[1]: "tenant-member" is listed twice (also [0])',
    ],
  },
  { name: "http webhook", files: { "alpha.yaml": alpha("hooks:", "  created: [http://hooks.alpha.com/x]") }, errors: ['tenants/alpha.yaml:4:13 hooks.created[0]: expected an https:// URL, got "http://hooks.alpha.com/x"'] },
  { name: "webhook with credentials", files: { "alpha.yaml": alpha("hooks:", "  deleted: ['https://user:secret@hooks.alpha.com/x']") }, errors: ['tenants/alpha.yaml:4:13 hooks.deleted[0]: expected an https:// URL with a host and no credentials, got "https://user:***@hooks.alpha.com/x"'] },
  { name: "unknown hook event", files: { "alpha.yaml": alpha("hooks:", "  create: [https://hooks.alpha.com/x]") }, errors: ['tenants/alpha.yaml:4:3 hooks.create: unknown key "create"; did you mean "created"? (allowed: created, updated, deleting, deleted)'] },
  { name: "unknown AWS region", files: { "alpha.yaml": alpha("region: eu-west-9") }, errors: [`tenants/alpha.yaml:3:9 region: ${REGION_RULE}, got "eu-west-9"; did you mean "eu-west-1"?`] },
  { name: "misspelt AWS region", files: { "alpha.yaml": alpha("region: eu-wset-1") }, errors: [`tenants/alpha.yaml:3:9 region: ${REGION_RULE}, got "eu-wset-1"; did you mean "eu-west-1"?`] },

  // --- references across files ---
  { name: "unknown plan", files: { "alpha.yaml": alpha("plan: strater") }, errors: ['tenants/alpha.yaml:3:7 plan: unknown plan "strater"; expected one of starter|pro; did you mean "starter"?'] },
  {
    name: "plan that is not even a plan name (reported once)",
    files: { "alpha.yaml": alpha("plan: Gold Plan") },
    errors: ['tenants/alpha.yaml:3:7 plan: expected a lowercase word (letters, digits, hyphens; starting with a letter; at most 63 characters), got "Gold Plan"'],
  },
  { name: "unknown ring", files: { "alpha.yaml": alpha("rollout: { ring: canery }") }, errors: ['tenants/alpha.yaml:3:18 rollout.ring: unknown ring "canery"; expected one of canary|stable; did you mean "canary"?'] },
  { name: "unknown role", files: { "alpha.yaml": alpha("access: { admins: [], roles: [tenant-membr] }") }, errors: ['tenants/alpha.yaml:3:31 access.roles[0]: no role "tenant-membr" in _control-plane.yaml; did you mean "tenant-member"?'] },
  { name: "parent missing", files: { "alpha.yaml": alpha("parent: alfa") }, errors: ['tenants/alpha.yaml:3:9 parent: no tenant "alfa" in the catalog; did you mean "alpha"?'] },
  { name: "parent named like an Object.prototype member", files: { "alpha.yaml": alpha("parent: constructor") }, errors: ['tenants/alpha.yaml:3:9 parent: no tenant "constructor" in the catalog'] },
  { name: "self-parent", files: { "alpha.yaml": alpha("parent: alpha") }, errors: ["tenants/alpha.yaml:3:9 parent: a tenant cannot be its own parent"] },
  {
    name: "parent cycle",
    files: { "alpha.yaml": alpha("parent: beta"), "beta.yaml": ["id: beta", "name: Beta", "parent: gamma"], "gamma.yaml": ["id: gamma", "name: Gamma", "parent: alpha"] },
    errors: [
      "tenants/alpha.yaml:3:9 parent: parent cycle: alpha -> beta -> gamma -> alpha",
      "tenants/beta.yaml:3:9 parent: parent cycle: beta -> gamma -> alpha -> beta",
      "tenants/gamma.yaml:3:9 parent: parent cycle: gamma -> alpha -> beta -> gamma",
    ],
  },
  {
    name: "hierarchy too deep",
    files: {
      "beta.yaml": ["id: beta", "name: Beta", "parent: alpha"],
      "gamma.yaml": ["id: gamma", "name: Gamma", "parent: beta"],
      "delta.yaml": ["id: delta", "name: Delta", "parent: gamma"],
    },
    errors: ["tenants/delta.yaml:3:9 parent: hierarchy is 3 levels deep (delta -> gamma -> beta -> alpha); the limit is 2 (limits.max_depth)"],
  },

  // --- uniqueness ---
  { name: "uppercase subdomain (so no case variant can slip past uniqueness)", files: { "beta.yaml": ["id: beta", "name: Beta", "domains: { subdomain: ALPHA }"] }, errors: ['tenants/beta.yaml:3:23 domains.subdomain: expected one DNS label: lowercase letters, digits and inner hyphens, at most 63 characters, got "ALPHA"'] },
  { name: "duplicate subdomain", files: { "beta.yaml": ["id: beta", "name: Beta", "domains: { subdomain: alpha }"] }, errors: ['tenants/beta.yaml:3:23 domains.subdomain: "alpha" is already used by tenant alpha (tenants/alpha.yaml:1:5 id)'] },
  {
    name: "duplicate custom domain in one tenant",
    files: { "alpha.yaml": alpha("domains:", "  custom: [login.alpha.com, shop.alpha.com, login.alpha.com]") },
    errors: ['tenants/alpha.yaml:4:45 domains.custom[2]: "login.alpha.com" is listed twice in this tenant (also domains.custom[0])'],
  },
  {
    name: "custom domain collides between tenants",
    files: { "alpha.yaml": alpha("domains: { custom: [login.shared.com] }"), "beta.yaml": ["id: beta", "name: Beta", "domains: { custom: [login.shared.com] }"] },
    errors: ['tenants/beta.yaml:3:21 domains.custom[0]: "login.shared.com" is already used by tenant alpha (tenants/alpha.yaml:3:21 domains.custom[0])'],
  },
  { name: "reserved subdomain", files: { "alpha.yaml": alpha("domains: { subdomain: www }") }, errors: ['tenants/alpha.yaml:3:23 domains.subdomain: subdomain "www" is reserved (reserved_subdomains in _defaults.yaml); choose another'] },
  {
    name: "reserved subdomain when _defaults.yaml lists none (the built-in list applies)",
    files: { "_defaults.yaml": defaultsWith("reserved_subdomains: [www, api, admin]"), "alpha.yaml": alpha("domains: { subdomain: status }") },
    errors: ['tenants/alpha.yaml:3:23 domains.subdomain: subdomain "status" is reserved (reserved_subdomains in _defaults.yaml); choose another'],
  },
  { name: "reserved subdomain by default (= id)", files: { "admin.yaml": ["id: admin", "name: Admin Co"] }, errors: ['tenants/admin.yaml:1:5 id: subdomain "admin" is reserved (reserved_subdomains in _defaults.yaml); choose another with domains.subdomain'] },

  // --- _defaults.yaml and _control-plane.yaml ---
  {
    name: "error inside _defaults.yaml tenant section",
    files: { "_defaults.yaml": defaultsWith("  database: { isolation: shared, server: main }", "  database: { isolation: shard, server: main }") },
    errors: ['tenants/_defaults.yaml:7:26 tenant.database.isolation: expected one of database|schema|shared, got "shard"; did you mean "shared"?'],
  },
  { name: "per-tenant key in _defaults.yaml", files: { "_defaults.yaml": defaultsWith("  status: active", "  status: active", "  friendly_name: Everyone") }, errors: ['tenants/_defaults.yaml:4:3 tenant.friendly_name: "friendly_name" is set per tenant, not in _defaults.yaml'] },
  {
    name: "field missing in the tenant and the defaults",
    files: { "_defaults.yaml": defaultsWith("  cell: default") },
    errors: ["tenants/alpha.yaml:1:1 cell: missing; expected a string here or under tenant: in _defaults.yaml"],
  },
  {
    name: "nested field missing in the tenant and the defaults",
    files: {
      "_defaults.yaml": defaultsWith("  storage: { mode: prefix, versioning: false, noncurrent_days: 30 }"),
      "alpha.yaml": alpha("storage:", "  mode: bucket", "  noncurrent_days: 7"),
    },
    errors: ["tenants/alpha.yaml:4:3 storage.versioning: missing; expected true or false here or under tenant: in _defaults.yaml"],
  },
  { name: "unknown plan in _defaults.yaml (reported once)", files: { "_defaults.yaml": defaultsWith("  plan: starter", "  plan: startr"), "beta.yaml": ["id: beta", "name: Beta"] }, errors: ['tenants/_defaults.yaml:4:9 tenant.plan: unknown plan "startr"; expected one of starter|pro; did you mean "starter"?'] },
  { name: "unknown admin role in _defaults.yaml", files: { "_defaults.yaml": defaultsWith("  admin_role: tenant-admin", "  admin_role: tenant-admn") }, errors: ['tenants/_defaults.yaml:20:15 access.admin_role: no role "tenant-admn" in _control-plane.yaml; did you mean "tenant-admin"?'] },
  { name: "unknown default role in _defaults.yaml", files: { "_defaults.yaml": defaultsWith("  default_roles: [tenant-member]", "  default_roles: [tenant-member, auditor]") }, errors: ['tenants/_defaults.yaml:21:34 access.default_roles[1]: no role "auditor" in _control-plane.yaml'] },
  {
    name: "bad ring name and version in _defaults.yaml",
    files: { "_defaults.yaml": defaultsWith("  rings: { canary: 5, stable: 3 }", "  rings: { Canary: 5, stable: -1 }") },
    errors: [
      'tenants/_defaults.yaml:18:12 rollout.rings.Canary: invalid key "Canary": expected a lowercase word (letters, digits, hyphens; starting with a letter; at most 63 characters)',
      "tenants/_defaults.yaml:18:31 rollout.rings.stable: expected a number >= 0, got number -1",
    ],
  },
  {
    name: "inherit names a setting that does not exist",
    files: { "_defaults.yaml": defaultsWith("inherit: [branding]", "inherit: [brandng, branding.colour, branding.color.hex, branding]") },
    errors: [
      'tenants/_defaults.yaml:14:11 inherit[0]: no setting "brandng" in settings; did you mean "branding"?',
      'tenants/_defaults.yaml:14:20 inherit[1]: no setting "branding.colour" in settings; did you mean "branding.color"?',
      'tenants/_defaults.yaml:14:37 inherit[2]: no setting "branding.color.hex" in settings',
    ],
  },
  {
    name: "plan listed twice in _defaults.yaml",
    files: { "_defaults.yaml": defaultsWith("plans: [starter, pro]", "plans: [starter, pro, starter]") },
    errors: ['tenants/_defaults.yaml:15:23 plans[2]: "starter" is listed twice (also [0])'],
  },
  { name: "no rollout ring in _defaults.yaml", files: { "_defaults.yaml": defaultsWith("  rings: { canary: 5, stable: 3 }", "  rings: {}") }, errors: ["tenants/_defaults.yaml:18:10 rollout.rings: expected at least one ring, got none"] },
  { name: "_defaults.yaml not a mapping", files: { "_defaults.yaml": ["- starter", "- pro"] }, errors: ["tenants/_defaults.yaml:1:1 expected a mapping of keys to values, got a list"] },
  { name: "unknown top-level key in _defaults.yaml", files: { "_defaults.yaml": defaultsWith("inherit: [branding]", "inherits: [branding]") }, errors: [`tenants/_defaults.yaml:14:1 inherits: unknown key "inherits"; did you mean "inherit"? (allowed: ${DEFAULTS_KEYS})`] },
  {
    name: "permission on an undeclared resource server",
    files: {
      "_control-plane.yaml": [
        "resource_servers:",
        "  - identifier: https://api.example.com",
        "    name: Example API",
        "    scopes: [{ value: read:projects }]",
        "roles:",
        "  - name: tenant-admin",
        "    permissions:",
        "      - resource_server: https://api.example.org",
        "        scopes: [read:projects]",
        "  - name: tenant-member",
        "    permissions:",
        "      - resource_server: https://api.example.com",
        "        scopes: [read:project]",
      ],
    },
    errors: [
      'tenants/_control-plane.yaml:8:26 roles[0].permissions[0].resource_server: no resource server "https://api.example.org" is declared; did you mean "https://api.example.com"?',
      'tenants/_control-plane.yaml:13:18 roles[1].permissions[0].scopes[0]: resource server "https://api.example.com" has no scope "read:project"; did you mean "read:projects"?',
    ],
  },
  {
    name: "duplicate role in _control-plane.yaml",
    files: {
      "_control-plane.yaml": [
        "resource_servers: []",
        "roles:",
        "  - name: tenant-admin",
        "  - name: tenant-member",
        "  - name: tenant-admin",
      ],
    },
    errors: ['tenants/_control-plane.yaml:5:11 roles[2].name: duplicate role "tenant-admin" (also roles[0])'],
  },

  {
    name: "_control-plane.yaml with a wrong type",
    files: { "_control-plane.yaml": ["resource_servers: []", "roles:", "  - name: tenant-admin", "    permissions: read-all"] },
    errors: ['tenants/_control-plane.yaml:4:18 roles[0].permissions: expected a list, got "read-all"'],
  },

  // --- cells and database servers: declared in _cells.yaml, never invented ---
  { name: "a tenant in an undeclared cell", files: { "alpha.yaml": alpha("cell: defualt") }, errors: ['tenants/alpha.yaml:3:7 cell: no cell "defualt" is declared (cells in _cells.yaml: default); did you mean "default"?'] },
  {
    name: "a misspelt database server",
    files: { "alpha.yaml": alpha("database: { isolation: schema, server: mian }") },
    errors: ['tenants/alpha.yaml:3:40 database.server: no database server "mian" is declared (database_servers in _cells.yaml: main); did you mean "main"?'],
  },
  {
    name: "an undeclared cell and server in _defaults.yaml, reported there once",
    files: {
      "_defaults.yaml": defaultsWith("  database: { isolation: shared, server: main }", "  database: { isolation: shared, server: replica }").map((l) => l.replace("cell: default", "cell: us-1")),
      "beta.yaml": ["id: beta", "name: Beta"],
    },
    errors: [
      'tenants/_defaults.yaml:5:9 tenant.cell: no cell "us-1" is declared (cells in _cells.yaml: default)',
      'tenants/_defaults.yaml:7:42 tenant.database.server: no database server "replica" is declared (database_servers in _cells.yaml: main)',
    ],
  },
  {
    name: "a region the tenant's cell does not hold",
    files: { "alpha.yaml": alpha("region: us-east-1"), "beta.yaml": ["id: beta", "name: Beta", "cell: default"] },
    errors: ["tenants/alpha.yaml:3:9 region: region us-east-1 is not one of the regions of cell default (eu-west-1); choose a cell of that region, or add the region to cells.default.regions in _cells.yaml"],
  },
  { name: "missing _cells.yaml", files: { "_cells.yaml": null }, errors: ["tenants/_cells.yaml:1:1 missing: the catalog declares its cells (one Pulumi stack each) and database servers in _cells.yaml, and places tenants only there"] },
  {
    name: "_cells.yaml with a misspelt region, an unknown key and a bad cell name",
    files: { "_cells.yaml": ["cells:", "  default:", "    regions: [eu-wset-1]", "    budget: 10", "  Eu_2: { regions: [eu-west-1] }", "database_servers:", "  main:"] },
    errors: [
      `tenants/_cells.yaml:3:15 cells.default.regions[0]: ${REGION_RULE}, got "eu-wset-1"; did you mean "eu-west-1"?`,
      'tenants/_cells.yaml:4:5 cells.default.budget: unknown key "budget" (allowed: regions, resource_budget, description)',
      'tenants/_cells.yaml:5:3 cells.Eu_2: invalid key "Eu_2": expected a lowercase word (letters, digits, hyphens; starting with a letter; at most 63 characters)',
    ],
  },

  // --- adopting a running tenant ---
  {
    name: "adopting under other names: rename a database or schema first",
    files: { "alpha.yaml": alpha("database: { isolation: database, server: main }", "adopt: { database: alpha_prod, schema: public, migration_version: 2 }") },
    errors: [
      'tenants/alpha.yaml:4:20 adopt.database: the tenant\'s database is found by its name tenant_alpha: rename alpha_prod first (ALTER DATABASE alpha_prod RENAME TO tenant_alpha; docs/runbooks.md, "Adopting an existing tenant")',
      'tenants/alpha.yaml:4:40 adopt.schema: the tenant\'s tables are found in schema tenant_alpha: rename public first (ALTER SCHEMA public RENAME TO tenant_alpha; docs/runbooks.md, "Adopting an existing tenant")',
    ],
  },
  {
    name: "adopting what the tenant's modes do not have",
    files: { "alpha.yaml": alpha("adopt:", "  database: tenant_alpha", "  schema: tenant_alpha", "  bucket: alpha-uploads", "  migration_version: 1") },
    errors: [
      "tenants/alpha.yaml:4:13 adopt.database: only a tenant with a database of its own (database.isolation: database) adopts one; this one has isolation shared",
      "tenants/alpha.yaml:5:11 adopt.schema: a shared tenant's rows live in the server's shared schema; there is no schema of its own to adopt",
      "tenants/alpha.yaml:6:11 adopt.bucket: only a tenant with a bucket of its own (storage.mode: bucket) adopts one; this one keeps its objects under a prefix of the cell's shared bucket",
    ],
  },
  {
    name: "adopting tables above the tenant's ring, or a version without its schema",
    files: {
      "alpha.yaml": alpha("database: { isolation: schema, server: main }", "adopt: { schema: tenant_alpha, migration_version: 4 }"),
      "beta.yaml": ["id: beta", "name: Beta", "adopt: { migration_version: 2, organization: beta-corp }"],
      "gamma.yaml": ["id: gamma", "name: Gamma", "adopt: { organization: Gamma }"],
    },
    errors: [
      "tenants/alpha.yaml:4:51 adopt.migration_version: ring stable caps this tenant at migration 3; adopted at 4, it would be lowered at once, its down migrations dropping adopted tables: put it in a ring that allows 4",
      "tenants/beta.yaml:3:29 adopt.migration_version: says what an adopted schema's tables are at: adopt the schema too (adopt.schema)",
      'tenants/gamma.yaml:3:24 adopt.organization: expected an organization name (lowercase letters, digits, hyphens), got "Gamma"',
    ],
  },
  {
    name: "adopt is said of one tenant, never in _defaults.yaml",
    files: { "_defaults.yaml": defaultsWith("  status: active", "  status: active", "  adopt: { organization: shared-org }") },
    errors: ['tenants/_defaults.yaml:4:3 tenant.adopt: "adopt" is set per tenant, not in _defaults.yaml'],
  },

  // --- several errors together ---
  {
    name: "broken _defaults.yaml does not hide YAML errors in tenant files",
    files: { "_defaults.yaml": defaultsWith("plans: [starter, pro]", "plans: starter"), "beta.yaml": ["id: beta", "name: [Beta"] },
    errors: [
      'tenants/_defaults.yaml:15:8 plans: expected a list, got "starter"',
      "tenants/beta.yaml:2:12 YAML syntax error: a [ list is not closed; end it with ] on the same line or indent its continuation",
    ],
  },
  {
    name: "a broken _control-plane.yaml does not hide tenant errors",
    files: { "_control-plane.yaml": ["resource_servers: {}", "roles: []"], "alpha.yaml": alpha("status: paused") },
    errors: [
      "tenants/_control-plane.yaml:1:19 resource_servers: expected a list, got a mapping",
      'tenants/alpha.yaml:3:9 status: expected one of active|suspended, got "paused"',
    ],
  },
  {
    name: "several errors in several files",
    files: {
      "alpha.yaml": alpha("plan: gold", "database: { isolation: databse, server: main }"),
      "beta.yaml": ["id: beta", "name: Beta", "region: mars-1", "statu: active"],
      "gamma.yaml": "id: gamma\nname: [Gamma\n",
    },
    errors: [
      'tenants/alpha.yaml:3:7 plan: unknown plan "gold"; expected one of starter|pro',
      'tenants/alpha.yaml:4:24 database.isolation: expected one of database|schema|shared, got "databse"; did you mean "database"?',
      `tenants/beta.yaml:3:9 region: ${REGION_RULE}, got "mars-1"`,
      `tenants/beta.yaml:4:1 statu: unknown key "statu"; did you mean "status"? (allowed: ${TENANT_KEYS})`,
      "tenants/gamma.yaml:2:13 YAML syntax error: a [ list is not closed; end it with ] on the same line or indent its continuation",
    ],
  },
];

/** The base _defaults.yaml with the line `old` replaced by `lines` (none: removed). */
function defaultsWith(old: string, ...lines: string[]): string[] {
  const at = BASE_DEFAULTS.indexOf(old);
  if (at < 0) throw new Error(`no line ${JSON.stringify(old)} in the base _defaults.yaml`);
  return [...BASE_DEFAULTS.slice(0, at), ...lines, ...BASE_DEFAULTS.slice(at + 1)];
}
