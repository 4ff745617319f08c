// The plan evaluates only what a change can touch (lib/plan/scope.ts). Proof that this loses
// nothing: on a generated catalog with a hierarchy, in two cells, committed to a real git
// repository, each change below is planned twice against HEAD, evaluating only what the scope
// names and evaluating everything, and the two plans (and all three printed forms) must be equal.
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { computePlan, FORMATS, formatPlan } from "../../../lib/plan";
import { readCatalogAtRef, readCatalogDir } from "../../../lib/catalog";
import { catalogFilesAtRef } from "../../../lib/plan/base-catalog";
import { computePlanWithScope } from "../../../lib/plan/index";
import { loadMigrations } from "../../../lib/database/migrations";
import { planScope, withRelatives } from "../../../lib/plan/scope";
import { exampleCatalog } from "../tenancy-fixtures";

let repo: string;
const git = (...args: string[]) =>
  execFileSync("git", ["-c", "user.name=scope-test", "-c", "user.email=scope-test@example.com", ...args], { cwd: repo, encoding: "utf8" });
const file = (id: string) => join(repo, "tenants", `${id}.yaml`);
const write = (id: string, lines: string[]) => writeFileSync(file(id), `${lines.join("\n")}\n`);
const edit = (id: string, from: string | RegExp, to: string) => () => {
  const text = readFileSync(file(id), "utf8");
  const next = text.replace(from, to);
  if (next === text) throw new Error(`${id}.yaml has no ${from}`);
  writeFileSync(file(id), next);
};

/**
 * Fourteen tenants: in cell default a three-level hierarchy (root-a > mid-a > leaf-a1, leaf-a2) and a
 * two-level one (root-b > kid-b), beside loners of every isolation and storage mode; in cell eu-2 a
 * parent with a child and two loners. Settings, custom domains, rings and protection vary.
 */
const TENANTS: Record<string, string[]> = {
  "root-a": ["name: Root A", "database: { isolation: database, server: main }", "storage: { mode: bucket, versioning: true, noncurrent_days: 30 }", "domains: { custom: [login.root-a.example.org] }", "settings:", "  branding: { primary_color: \"#111111\" }"],
  "mid-a": ["name: Mid A", "parent: root-a", "database: { isolation: schema, server: main }", "settings:", "  features: { sso: true }"],
  "leaf-a1": ["name: Leaf A1", "parent: mid-a", "rollout: { ring: canary }"],
  "leaf-a2": ["name: Leaf A2", "parent: mid-a", "storage: { mode: bucket, versioning: false, noncurrent_days: 7 }"],
  "root-b": ["name: Root B", "region: eu-central-1", "database: { isolation: schema, server: main }", "lifecycle: { deletion_protection: false, on_delete: retain }"],
  "kid-b": ["name: Kid B", "parent: root-b", "region: eu-central-1"],
  "solo-db": ["name: Solo Db", "database: { isolation: database, server: main }", "storage: { mode: prefix, versioning: true, noncurrent_days: 14 }"],
  "solo-shared": ["name: Solo Shared", "domains: { custom: [a.solo-shared.example.org, b.solo-shared.example.org] }"],
  "solo-us": ["name: Solo Us", "region: us-east-1", "storage: { mode: bucket, versioning: true, noncurrent_days: 30 }"],
  "solo-early": ["name: Solo Early", "rollout: { ring: early }", "plan: pro"],
  "eu2-root": ["name: Eu2 Root", "cell: eu-2", "database: { isolation: database, server: main }"],
  "eu2-kid": ["name: Eu2 Kid", "cell: eu-2", "parent: eu2-root", "storage: { mode: bucket, versioning: true, noncurrent_days: 30 }"],
  "eu2-solo": ["name: Eu2 Solo", "cell: eu-2", "database: { isolation: schema, server: main }"],
  "eu2-other": ["name: Eu2 Other", "cell: eu-2"],
};

beforeAll(() => {
  repo = mkdtempSync(join(tmpdir(), "tenancy-scope-"));
  cpSync("migrations", join(repo, "migrations"), { recursive: true });
  cpSync("tenants/_defaults.yaml", join(repo, "tenants/_defaults.yaml"));
  cpSync("tenants/_control-plane.yaml", join(repo, "tenants/_control-plane.yaml"));
  writeFileSync(join(repo, "tenants/_cells.yaml"), "cells:\n  default: { regions: [eu-west-1, eu-central-1, us-east-1, us-west-2] }\n  eu-2: { regions: [eu-west-1, eu-central-1] }\ndatabase_servers:\n  main:\n");
  for (const [id, lines] of Object.entries(TENANTS)) write(id, [`id: ${id}`, ...lines]);
  git("init", "-q");
  git("add", ".");
  git("commit", "-qm", "catalog");
});

afterAll(() => rmSync(repo, { recursive: true, force: true }));

/** Plans the working tree against HEAD both ways, expects them equal, and returns the scope's plan and scope. */
async function bothWays(change: () => void) {
  change();
  try {
    const scoped = await computePlanWithScope({ dir: "tenants", base: "HEAD", cwd: repo });
    const full = await computePlan({ dir: "tenants", base: "HEAD", cwd: repo, full: true });
    expect(scoped.plan).toEqual(full);
    for (const format of FORMATS) expect(formatPlan(scoped.plan, format)).toBe(formatPlan(full, format));
    return scoped;
  } finally {
    git("checkout", "--", ".");
    git("clean", "-fdq");
  }
}

const evaluated = (scope: Awaited<ReturnType<typeof bothWays>>["scope"]) => (scope.full ? "all" : [...scope.tenants].sort());

describe("a plan that evaluates only what the change can touch", () => {
  it("is the full plan for a new top-level tenant, and evaluates that tenant only", async () => {
    const { plan, scope } = await bothWays(() => write("newcomer", ["id: newcomer", "name: Newcomer", "database: { isolation: database, server: main }"]));
    expect(evaluated(scope)).toEqual(["newcomer"]);
    expect(plan.tenants.map((t) => [t.id, t.action])).toEqual([["newcomer", "create"]]);
    expect(plan.unchanged).toBe(14);
    // In a region of its own, with its storage in a prefix: a new provider and shared bucket for the cell.
    const far = await bothWays(() => write("far-away", ["id: far-away", "name: Far Away", "region: us-west-2"]));
    expect(evaluated(far.scope)).toEqual(["far-away"]);
    expect(far.plan.shared.filter((c) => c.action === "create").map((c) => c.name)).toEqual(expect.arrayContaining(["aws-us-west-2", "shared-us-west-2-bucket"]));
  });

  it("is the full plan for a new child, evaluated with its ancestors", async () => {
    const { plan, scope } = await bothWays(() => write("leaf-a3", ["id: leaf-a3", "name: Leaf A3", "parent: mid-a"]));
    expect(evaluated(scope)).toEqual(["leaf-a3", "mid-a", "root-a"]);
    expect(plan.tenants.map((t) => [t.id, t.action])).toEqual([["leaf-a3", "create"]]);
  });

  it("is the full plan for a removed leaf and for a removed subtree", async () => {
    const leaf = await bothWays(() => unlinkSync(file("leaf-a2")));
    expect(evaluated(leaf.scope)).toEqual(["leaf-a2", "mid-a", "root-a"]);
    expect(leaf.plan.tenants.map((t) => [t.id, t.action])).toEqual([["leaf-a2", "delete"]]);
    const subtree = await bothWays(() => ["root-b", "kid-b"].forEach((id) => unlinkSync(file(id))));
    expect(subtree.plan.tenants.map((t) => [t.id, t.action])).toEqual([
      ["kid-b", "delete"],
      ["root-b", "delete"],
    ]);
  });

  it("is the full plan for an edited loner: storage mode, custom domains, suspension", async () => {
    for (const change of [
      edit("solo-db", "mode: prefix", "mode: bucket"),
      edit("solo-shared", "custom: [a.solo-shared.example.org, b.solo-shared.example.org]", "custom: [a.solo-shared.example.org]"),
      () => writeFileSync(file("solo-us"), `${readFileSync(file("solo-us"), "utf8")}status: suspended\n`),
    ]) {
      const { plan, scope } = await bothWays(change);
      expect(scope.full).toBe(false);
      expect(plan.tenants).toHaveLength(1);
    }
  });

  it("is the full plan when a parent changes: its descendants are evaluated, and change with it", async () => {
    // Settings and name reach every descendant (inherited settings, the organization's display name).
    const { plan, scope } = await bothWays(() => {
      edit("root-a", "name: Root A", "name: Root A Renamed")();
      edit("root-a", 'primary_color: "#111111"', 'primary_color: "#222222"')();
    });
    expect(evaluated(scope)).toEqual(["leaf-a1", "leaf-a2", "mid-a", "root-a"]);
    expect(plan.tenants.map((t) => t.id)).toEqual(["leaf-a1", "leaf-a2", "mid-a", "root-a"]);
    // A region move of a parent: its child depends on all of the parent's resources, which move with it.
    const moved = await bothWays(edit("eu2-root", "cell: eu-2", "cell: eu-2\nregion: eu-central-1"));
    expect(evaluated(moved.scope)).toEqual(["eu2-kid", "eu2-root"]);
  });

  it("is the full plan when only a child changes, and when a tenant moves cells or gets a parent", async () => {
    const child = await bothWays(edit("leaf-a1", "ring: canary", "ring: early"));
    expect(evaluated(child.scope)).toEqual(["leaf-a1", "mid-a", "root-a"]);
    const moved = await bothWays(edit("eu2-other", "cell: eu-2", "cell: default"));
    expect(moved.plan.tenants.map((t) => [t.id, t.action, t.movedFrom])).toEqual([["eu2-other", "update", "eu-2"]]);
    const adopted = await bothWays(() => writeFileSync(file("solo-early"), `${readFileSync(file("solo-early"), "utf8")}parent: root-b\nregion: eu-central-1\n`));
    // Its new parent comes along; the parent's other child is not touched.
    expect(evaluated(adopted.scope)).toEqual(["root-b", "solo-early"]);
  });

  it("is the full plan for several changes at once, in both cells", async () => {
    const { plan, scope } = await bothWays(() => {
      unlinkSync(file("eu2-solo"));
      write("eu2-new", ["id: eu2-new", "name: Eu2 New", "cell: eu-2", "parent: eu2-root"]);
      edit("kid-b", "name: Kid B", "name: Kid B2")();
      edit("solo-shared", "a.solo-shared.example.org, ", "")();
    });
    expect(scope.full).toBe(false);
    expect(plan.tenants.map((t) => [t.id, t.action])).toEqual([
      ["eu2-new", "create"],
      ["eu2-solo", "delete"],
      ["kid-b", "update"],
      ["solo-shared", "update"],
    ]);
  });

  it("evaluates nothing but the cells' shared resources for a change that changes no tenant", async () => {
    const { plan, scope } = await bothWays(() => writeFileSync(file("solo-us"), `# a comment\n${readFileSync(file("solo-us"), "utf8")}`));
    expect(evaluated(scope)).toEqual([]);
    expect([plan.tenants, plan.unchanged, plan.counts.create + plan.counts.update + plan.counts.delete]).toEqual([[], 14, 0]);
  });

  it("evaluates everything for a catalog-wide change, for the stack config and for code", async () => {
    const defaults = await bothWays(edit("_defaults", "idle_timeout_minutes: 30", "idle_timeout_minutes: 45"));
    expect(defaults.scope).toMatchObject({ full: true, reason: "tenants/_defaults.yaml changed (catalog-wide)" });
    expect(defaults.plan.tenants.length).toBe(14);
    const stack = await bothWays(() => writeFileSync(join(repo, "Pulumi.eu-2.yaml"), readFileSync("Pulumi.example.yaml", "utf8")));
    expect(stack.scope).toMatchObject({ full: true, reason: "Pulumi.eu-2.yaml changed (stack config)" });
    const code = await bothWays(() => writeFileSync(join(repo, "index.ts"), "// the program\n"));
    expect(code.scope).toMatchObject({ full: true, reason: "index.ts changed (program code or configuration)" });
    // Documentation is not code: the scope stays narrow.
    const docs = await bothWays(() => writeFileSync(join(repo, "NOTES.md"), "notes\n"));
    expect(evaluated(docs.scope)).toEqual([]);
  });
});

describe("the base catalog, read from the working tree where git holds the same", () => {
  it("is what readCatalogAtRef reads, whatever the working tree changed", () => {
    const sorted = (files: { name: string }[]) => [...files].sort((a, b) => (a.name < b.name ? -1 : 1));
    const check = () => expect(sorted(catalogFilesAtRef("HEAD", "tenants", repo, readCatalogDir("tenants", repo)))).toEqual(sorted(readCatalogAtRef("HEAD", "tenants", repo)));
    check();
    try {
      edit("root-a", "name: Root A", "name: Root A2")();
      unlinkSync(file("solo-us"));
      write("added", ["id: added", "name: Added"]);
      writeFileSync(file("kid-b"), readFileSync(file("kid-b"), "utf8").replace(/\n/g, "\r\n"));
      writeFileSync(file("eu2-other"), "");
      check();
      // A ref that does not exist is reported as readCatalogAtRef reports it.
      expect(() => catalogFilesAtRef("no-such-ref", "tenants", repo, [])).toThrow('git revision "no-such-ref" not found');
    } finally {
      git("checkout", "--", ".");
      git("clean", "-fdq");
    }
  });
});

describe("withRelatives", () => {
  it("adds every ancestor and descendant, in either catalog", () => {
    const t = (id: string, parent: string | null) => ({ id, parent }) as never;
    const base = [t("a", null), t("b", "a"), t("c", "b"), t("x", null)];
    const head = [t("a", null), t("b", "a"), t("d", "b"), t("x", null), t("y", "x")];
    expect([...withRelatives(new Set(["b"]), [base, head])].sort()).toEqual(["a", "b", "c", "d"]);
    expect([...withRelatives(new Set(["y"]), [base, head])].sort()).toEqual(["x", "y"]);
    expect([...withRelatives(new Set([]), [base, head])]).toEqual([]);
  });
});

describe("planScope", () => {
  const catalog = exampleCatalog();
  const migrations = loadMigrations();
  const scope = (changedPaths: string[] | null, over: Partial<Parameters<typeof planScope>[0]> = {}) =>
    planScope({ base: catalog, head: catalog, changedPaths, dir: "tenants", migrations: { base: migrations, head: migrations }, rollout: [], ...over });

  it("evaluates everything without a base, for a change outside the project, and when the migrations differ", () => {
    expect(scope(null)).toEqual({ full: true, reason: "no base: every tenant is new" });
    expect(scope(["../shared/lib.ts"])).toEqual({ full: true, reason: "../shared/lib.ts changed (outside the project)" });
    expect(scope(["migrations/0004_x.sql"])).toMatchObject({ full: true });
    expect(scope([], { migrations: { base: migrations.slice(0, -1), head: migrations } })).toEqual({ full: true, reason: "the migrations differ" });
  });

  it("evaluates a tenant whose migrations move, with its relatives, even when its file is the same", () => {
    const step = { tenant: "acme" } as Parameters<typeof planScope>[0]["rollout"][number];
    const result = scope(["tenants/acme.yaml", "docs/runbooks.md", "test/x.test.ts"], { rollout: [step] });
    expect(result.full).toBe(false);
    expect(result.full ? [] : [...result.tenants].sort()).toEqual(["acme", "acme-research"]);
  });
});
