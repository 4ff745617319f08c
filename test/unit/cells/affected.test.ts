import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { affected, affectedFromGit, classifyChange } from "../../../lib/cells";
import { catalogOf, CELLS, DEFAULTS, tenantText } from "./fixture";

describe("classifyChange", () => {
  it.each([
    ["tenants/acme.yaml", { kind: "tenant", id: "acme" }],
    ["tenants/_defaults.yaml", { kind: "every-cell", why: "tenants/_defaults.yaml changed (catalog-wide)" }],
    ["tenants/_control-plane.yaml", { kind: "every-cell", why: "tenants/_control-plane.yaml changed (catalog-wide)" }],
    ["tenants/tenant.schema.json", { kind: "none", why: "editor schema" }],
    ["migrations/0002_invoices.sql", { kind: "every-cell", why: "migrations/0002_invoices.sql changed (migrations reach every tenant)" }],
    ["lib/naming.ts", { kind: "every-cell", why: "lib/naming.ts changed (program code or configuration)" }],
    ["components/tenant.ts", { kind: "every-cell", why: "components/tenant.ts changed (program code or configuration)" }],
    ["index.ts", { kind: "every-cell", why: "index.ts changed (program code or configuration)" }],
    ["package-lock.json", { kind: "every-cell", why: "package-lock.json changed (program code or configuration)" }],
    ["Pulumi.yaml", { kind: "every-cell", why: "Pulumi.yaml changed (program code or configuration)" }],
    ["Pulumi.eu-1.yaml", { kind: "stack-config", stack: "eu-1" }],
    ["README.md", { kind: "none", why: "documentation" }],
    ["docs/runbooks.md", { kind: "none", why: "documentation" }],
    ["test/unit/cells/report.test.ts", { kind: "none", why: "documentation, tests or benchmarks" }],
    ["bench/program.ts", { kind: "none", why: "documentation, tests or benchmarks" }],
    [".github/workflows/pull-request.yml", { kind: "none", why: "CI and editor files" }],
    // Not under the tenants directory: a file of that name elsewhere is not a tenant.
    ["test/fixtures/acme.yaml", { kind: "none", why: "documentation, tests or benchmarks" }],
    ["tenants/old/acme.yaml", { kind: "every-cell", why: "tenants/old/acme.yaml changed (program code or configuration)" }],
  ])("%s", (path, expected) => {
    expect(classifyChange(path)).toEqual(expected);
  });

  it("follows a tenants directory set elsewhere", () => {
    expect(classifyChange("catalog/prod/acme.yaml", "catalog/prod/")).toEqual({ kind: "tenant", id: "acme" });
    expect(classifyChange("tenants/acme.yaml", "catalog/prod")).toEqual({ kind: "every-cell", why: "tenants/acme.yaml changed (program code or configuration)" });
  });
});

describe("affected", () => {
  const base = catalogOf({ "_defaults.yaml": DEFAULTS, "acme.yaml": tenantText("acme", "cell: eu-1"), "globex.yaml": tenantText("globex") });

  it("prints as a matrix GitHub Actions takes as is", () => {
    const result = affected(base, base, ["tenants/acme.yaml"]);
    expect(JSON.stringify(result.matrix)).toBe('{"include":[{"cell":"eu-1","stack":"eu-1"}]}');
    expect(result.cells).toEqual([{ cell: "eu-1", stack: "eu-1", reasons: ["tenant acme changed"] }]);
  });

  it("touches every cell of the head when there was no catalog at the base", () => {
    expect(affected(undefined, base, []).cells.map((c) => c.cell)).toEqual(["default", "eu-1"]);
  });

  it("touches a stack whose config changed only when it is a cell", () => {
    expect(affected(base, base, ["Pulumi.eu-1.yaml", "Pulumi.example.yaml"]).cells).toEqual([
      { cell: "eu-1", stack: "eu-1", reasons: ["Pulumi.eu-1.yaml changed (stack config)"] },
    ]);
  });
});

// The test table runs against a real git repository: the project at the base on `main`, each
// change on its own branch, compared with `main` as CI compares with origin/<base>.
describe("affectedFromGit", () => {
  let repo: string;
  const git = (...args: string[]) => execFileSync("git", args, { cwd: repo, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(repo, path)), { recursive: true });
    writeFileSync(join(repo, path), text);
  };
  const commitAll = (message: string) => {
    git("add", "--all");
    git("commit", "--quiet", "--allow-empty", "-m", message);
  };

  beforeAll(() => {
    repo = mkdtempSync(join(tmpdir(), "tenancy-affected-"));
    git("init", "--quiet", "--initial-branch=main");
    git("config", "user.email", "ci@example.com");
    git("config", "user.name", "CI");
    write("Pulumi.yaml", "name: tenancy\nruntime: nodejs\n");
    write("index.ts", "export {};\n");
    write("README.md", "# tenancy\n");
    write("tenants/_defaults.yaml", DEFAULTS);
    write("tenants/_cells.yaml", CELLS);
    write("tenants/acme.yaml", tenantText("acme", "cell: eu-1"));
    write("tenants/acme-lab.yaml", tenantText("acme-lab", "parent: acme", "cell: eu-1"));
    write("tenants/initech.yaml", tenantText("initech", "cell: eu-1"));
    write("tenants/globex.yaml", tenantText("globex"));
    write("tenants/umbrella.yaml", tenantText("umbrella", "cell: eu-2"));
    write("migrations/0001_init.sql", "create table profile (id int);\n");
    commitAll("base");
  });
  afterAll(() => rmSync(repo, { recursive: true, force: true }));

  type Case = { name: string; change: () => void; commit?: boolean; cells: string[]; reasons?: Record<string, string[]> };
  const cases: Case[] = [
    { name: "a tenant file added", change: () => write("tenants/newco.yaml", tenantText("newco", "cell: eu-2")), cells: ["eu-2"], reasons: { "eu-2": ["tenant newco added"] } },
    { name: "a tenant file removed", change: () => unlinkSync(join(repo, "tenants/globex.yaml")), cells: ["default"], reasons: { default: ["tenant globex removed"] } },
    { name: "a tenant moved between cells", change: () => write("tenants/initech.yaml", tenantText("initech", "cell: eu-3")), cells: ["eu-1", "eu-3"], reasons: { "eu-1": ["tenant initech changed"], "eu-3": ["tenant initech changed"] } },
    { name: "a tenant edited in place", change: () => write("tenants/umbrella.yaml", tenantText("umbrella", "cell: eu-2", "plan: pro")), cells: ["eu-2"] },
    { name: "_defaults.yaml changed", change: () => write("tenants/_defaults.yaml", DEFAULTS.replace("canary: 2", "canary: 3")), cells: ["default", "eu-1", "eu-2"] },
    { name: "_control-plane.yaml added", change: () => write("tenants/_control-plane.yaml", "resource_servers: []\nroles:\n  - name: tenant-admin\n"), cells: ["default", "eu-1", "eu-2"] },
    { name: "a migration added", change: () => write("migrations/0002_invoices.sql", "create table invoice (id int);\n"), cells: ["default", "eu-1", "eu-2"], reasons: { "eu-2": ["migrations/0002_invoices.sql changed (migrations reach every tenant)"] } },
    { name: "code changed", change: () => write("lib/naming.ts", "export const x = 1;\n"), cells: ["default", "eu-1", "eu-2"] },
    { name: "the project file changed", change: () => write("Pulumi.yaml", "name: tenancy\nruntime: nodejs\ndescription: x\n"), cells: ["default", "eu-1", "eu-2"] },
    { name: "a stack's config changed", change: () => write("Pulumi.eu-2.yaml", "config:\n  tenancy:cell: eu-2\n"), cells: ["eu-2"] },
    // A new cell has no tenants (and maybe no stack) yet: declaring it touches nothing.
    { name: "_cells.yaml changed", change: () => write("tenants/_cells.yaml", CELLS.replace("database_servers:", "  us-1: { regions: [us-east-1], resource_budget: 900 }\ndatabase_servers:")), cells: [] },
    {
      name: "docs and tests only",
      change: () => {
        write("README.md", "# tenancy\n\nmore\n");
        write("docs/runbooks.md", "# runbooks\n");
        write("test/unit/x.test.ts", "export {};\n");
      },
      cells: [],
    },
    { name: "an uncommitted tenant edit", change: () => write("tenants/acme.yaml", tenantText("acme", "cell: eu-1", "plan: pro")), commit: false, cells: ["eu-1"] },
    { name: "an untracked tenant file", change: () => write("tenants/hooli.yaml", tenantText("hooli")), commit: false, cells: ["default"], reasons: { default: ["tenant hooli added"] } },
    {
      name: "a tenant and its child removed, docs changed",
      change: () => {
        unlinkSync(join(repo, "tenants/acme.yaml"));
        unlinkSync(join(repo, "tenants/acme-lab.yaml"));
        write("README.md", "# tenancy\n\nacme left\n");
      },
      cells: ["eu-1"],
      reasons: { "eu-1": ["tenant acme removed", "tenant acme-lab removed"] },
    },
  ];

  it.each(cases)("$name", ({ change, commit = true, cells, reasons }) => {
    git("checkout", "--quiet", "-B", "change", "main");
    try {
      change();
      if (commit) commitAll("change");
      const result = affectedFromGit({ base: "main", cwd: repo });
      expect(result.matrix).toEqual({ include: cells.map((cell) => ({ cell, stack: cell })) });
      for (const [cell, why] of Object.entries(reasons ?? {})) {
        expect(result.cells.find((c) => c.cell === cell)?.reasons).toEqual(why);
      }
    } finally {
      git("checkout", "--quiet", "--force", "main");
      git("clean", "--quiet", "-fd");
    }
  });

  it("compares with the fork point, not with what the base gained since", () => {
    git("checkout", "--quiet", "-B", "fork", "main");
    try {
      write("tenants/umbrella.yaml", tenantText("umbrella", "cell: eu-2", "plan: pro"));
      commitAll("change umbrella");
      git("checkout", "--quiet", "-B", "main-ahead", "main");
      write("lib/other.ts", "export {};\n");
      commitAll("someone else's code change");
      git("checkout", "--quiet", "fork");
      expect(affectedFromGit({ base: "main-ahead", cwd: repo }).matrix).toEqual({ include: [{ cell: "eu-2", stack: "eu-2" }] });
    } finally {
      git("checkout", "--quiet", "--force", "main");
      git("branch", "--quiet", "-D", "fork", "main-ahead");
    }
  });

  it("touches every cell when the catalog at the base does not load", () => {
    git("checkout", "--quiet", "-B", "broken-base", "main");
    try {
      write("tenants/globex.yaml", "id: globex\nname: Globex\nplan: platinum\n");
      commitAll("break globex");
      git("checkout", "--quiet", "-B", "fix", "broken-base");
      write("tenants/globex.yaml", tenantText("globex"));
      commitAll("fix globex");
      const result = affectedFromGit({ base: "broken-base", cwd: repo });
      expect(result.cells.map((c) => c.cell)).toEqual(["default", "eu-1", "eu-2"]);
      expect(result.cells[1].reasons).toEqual(["no valid catalog at the base revision"]);
    } finally {
      git("checkout", "--quiet", "--force", "main");
      git("branch", "--quiet", "-D", "broken-base", "fix");
    }
  });

  it("never lists a cell nobody declared: a tenant placed in one makes the head catalog invalid", () => {
    git("checkout", "--quiet", "-B", "invented", "main");
    try {
      write("tenants/newco.yaml", tenantText("newco", "cell: us-1"));
      expect(() => affectedFromGit({ base: "main", cwd: repo })).toThrow(/tenants\/newco\.yaml:3:7 cell: no cell "us-1" is declared \(cells in _cells\.yaml: default, eu-1, eu-2, eu-3, eu-9\)/);
    } finally {
      git("checkout", "--quiet", "--force", "main");
      git("clean", "--quiet", "-fd");
      git("branch", "--quiet", "-D", "invented");
    }
  });

  it("compares with a base from before _cells.yaml, whose cells its tenants imply", () => {
    git("checkout", "--quiet", "-B", "before-cells", "main");
    try {
      unlinkSync(join(repo, "tenants/_cells.yaml"));
      commitAll("a catalog from before declarations");
      git("checkout", "--quiet", "-B", "declared", "before-cells");
      write("tenants/_cells.yaml", CELLS);
      write("tenants/umbrella.yaml", tenantText("umbrella", "cell: eu-2", "plan: pro"));
      commitAll("declare the cells, and a change");
      const result = affectedFromGit({ base: "before-cells", cwd: repo });
      expect(result.matrix).toEqual({ include: [{ cell: "eu-2", stack: "eu-2" }] });
    } finally {
      git("checkout", "--quiet", "--force", "main");
      git("branch", "--quiet", "-D", "before-cells", "declared");
    }
  });

  it("says how to fix an unknown base and refuses an invalid head catalog", () => {
    expect(() => affectedFromGit({ base: "origin/nope", cwd: repo })).toThrow('git revision "origin/nope" not found; fetch it first (for example: git fetch origin main)');
    git("checkout", "--quiet", "-B", "broken", "main");
    try {
      write("tenants/globex.yaml", "id: globex\nname: Globex\nplan: platinum\n");
      expect(() => affectedFromGit({ base: "main", cwd: repo })).toThrow(/tenants\/globex\.yaml:3:7 plan: unknown plan "platinum"/);
    } finally {
      git("checkout", "--quiet", "--force", "main");
      git("branch", "--quiet", "-D", "broken");
    }
  });
});
