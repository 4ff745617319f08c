// Valid catalogs load, every resolved value is what the rules say, and the result does not depend
// on the order in which the files are listed.
import fc from "fast-check";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatError, loadCatalog, readCatalogDir, type Catalog, type CatalogFile } from "../../../lib/catalog";

const ROOT = join(__dirname, "../../..");

function load(files: readonly CatalogFile[]): Catalog {
  const result = loadCatalog(files);
  if (!result.ok) throw new Error(`catalog invalid:\n${result.errors.map(formatError).join("\n")}`);
  return result.catalog;
}

const noHooks = { created: [], updated: [], deleting: [], deleted: [] };

describe("the example catalog in tenants/", () => {
  const files = readCatalogDir(join(ROOT, "tenants")).map((f) => ({ ...f, path: `tenants/${f.name}` }));
  const catalog = load(files);
  const byId = Object.fromEntries(catalog.tenants.map((t) => [t.id, t]));
  const inheritedBranding = { primary_color: "#2255aa", logo_url: "https://assets.example.com/logo.svg" };
  const inheritedFeatures = { sso: false, audit_log: true, beta_dashboard: false };

  it("holds its tenants sorted by id", () => {
    expect(catalog.tenants.map((t) => t.id)).toEqual(["acme", "acme-research", "globex", "initech", "umbrella"]);
  });

  it("resolves acme: own values over defaults, its own hooks, the canary ring", () => {
    expect(byId.acme).toEqual({
      id: "acme",
      name: "Acme Corporation",
      friendly_name: "Acme Corp",
      status: "active",
      plan: "enterprise",
      cell: "default",
      region: "eu-west-1",
      parent: null,
      depth: 0,
      database: { isolation: "database", server: "main" },
      storage: { mode: "bucket", versioning: true, noncurrent_days: 30 },
      domains: { subdomain: "acme", custom: ["login.acme-corp.com"] },
      access: { admins: ["ops@acme-corp.com"], roles: ["billing-viewer"] },
      rollout: { ring: "canary" },
      settings: {
        branding: { primary_color: "#0a7", logo_url: "https://assets.example.com/logo.svg" },
        features: { sso: true, audit_log: true, beta_dashboard: false },
        session: { idle_timeout_minutes: 30 },
      },
      lifecycle: { deletion_protection: true, on_delete: "backup" },
      hooks: { ...noHooks, created: ["https://hooks.acme-corp.com/tenancy"] },
      max_migration: 3,
      source: "tenants/acme.yaml",
    });
  });

  it("resolves acme-research under acme: depth 1, acme's settings under its own, defaults elsewhere", () => {
    expect(byId["acme-research"]).toEqual({
      id: "acme-research",
      name: "Acme Research",
      friendly_name: "Acme Research",
      status: "active",
      plan: "enterprise",
      cell: "default",
      region: "eu-west-1",
      parent: "acme",
      depth: 1,
      database: { isolation: "schema", server: "main" },
      storage: { mode: "prefix", versioning: false, noncurrent_days: 30 },
      domains: { subdomain: "acme-research", custom: [] },
      access: { admins: ["lab@acme-corp.com"], roles: [] },
      rollout: { ring: "stable" },
      settings: {
        branding: { primary_color: "#0a7", logo_url: "https://assets.example.com/logo.svg" },
        features: { sso: true, audit_log: true, beta_dashboard: true },
        session: { idle_timeout_minutes: 30 },
      },
      lifecycle: { deletion_protection: false, on_delete: "backup" },
      hooks: noHooks,
      max_migration: 3,
      source: "tenants/acme-research.yaml",
    });
  });

  it("resolves globex, initech and umbrella from their few lines and the defaults", () => {
    expect(byId.globex).toMatchObject({
      friendly_name: "Globex Inc.",
      region: "us-east-1",
      database: { isolation: "schema", server: "main" },
      storage: { mode: "bucket", versioning: false, noncurrent_days: 7 },
      settings: { branding: inheritedBranding, features: inheritedFeatures, session: { idle_timeout_minutes: 120 } },
      depth: 0,
    });
    expect(byId.initech).toEqual({
      id: "initech",
      name: "Initech",
      friendly_name: "Initech",
      status: "active",
      plan: "starter",
      cell: "default",
      region: "eu-west-1",
      parent: null,
      depth: 0,
      database: { isolation: "shared", server: "main" },
      storage: { mode: "prefix", versioning: false, noncurrent_days: 30 },
      domains: { subdomain: "initech", custom: [] },
      access: { admins: [], roles: [] },
      rollout: { ring: "early" },
      settings: { branding: inheritedBranding, features: inheritedFeatures, session: { idle_timeout_minutes: 30 } },
      lifecycle: { deletion_protection: false, on_delete: "backup" },
      hooks: noHooks,
      max_migration: 3,
      source: "tenants/initech.yaml",
    });
    expect(byId.umbrella).toMatchObject({ status: "suspended", region: "eu-central-1", lifecycle: { deletion_protection: false, on_delete: "retain" } });
  });

  it("covers the three isolation modes, a suspended tenant, a custom domain and a child", () => {
    expect(new Set(catalog.tenants.map((t) => t.database.isolation))).toEqual(new Set(["database", "schema", "shared"]));
    expect(catalog.tenants.some((t) => t.status === "suspended")).toBe(true);
    expect(catalog.tenants.some((t) => t.domains.custom.length > 0)).toBe(true);
    expect(catalog.tenants.some((t) => t.parent !== null)).toBe(true);
  });

  it("keeps settings that are not inherited away from every tenant", () => {
    for (const t of catalog.tenants) expect(t.settings).not.toHaveProperty("internal");
  });
});

describe("the resolution fixture (test/fixtures/catalogs/valid)", () => {
  const dir = join(ROOT, "test/fixtures/catalogs/valid");
  const files = readCatalogDir(dir).map((f) => ({ ...f, path: `valid/${f.name}` }));
  const catalog = load(files);
  const byId = Object.fromEntries(catalog.tenants.map((t) => [t.id, t]));
  const catalogHooks = {
    created: ["https://audit.example.com/created", "https://crm.example.com/created"],
    updated: ["https://tenant-default.example.com/updated"],
    deleting: [],
    deleted: ["https://audit.example.com/deleted"],
  };

  it("resolves the top of the hierarchy: custom subdomain, friendly name, ring, hooks from both files without repeats", () => {
    expect(byId["root-co"]).toEqual({
      id: "root-co",
      name: "Root Company",
      friendly_name: "Root",
      status: "active",
      plan: "plus",
      cell: "eu-1",
      region: "eu-west-1",
      parent: null,
      depth: 0,
      database: { isolation: "shared", server: "main" },
      storage: { mode: "prefix", versioning: false, noncurrent_days: 30, expire_days: 365 },
      domains: { subdomain: "root", custom: ["login.root.example", "app.root.example"] },
      access: { admins: ["ceo@root.example"], roles: ["reader"] },
      rollout: { ring: "first" },
      settings: { theme: { color: "green", dark: false }, limits: { api: { rate: 10, burst: 50 } } },
      lifecycle: { deletion_protection: false, on_delete: "backup" },
      hooks: { ...catalogHooks, created: [...catalogHooks.created, "https://root.example/created"] },
      max_migration: 9,
      source: "valid/root-co.yaml",
    });
  });

  it("resolves the middle: depth 1, null removes a default field and a parent's setting", () => {
    const mid = byId["mid-co"];
    expect(mid).toEqual({
      id: "mid-co",
      name: "Mid Company",
      friendly_name: "Mid Company",
      status: "active",
      plan: "basic",
      cell: "eu-1",
      region: "eu-west-1",
      parent: "root-co",
      depth: 1,
      database: { isolation: "shared", server: "main" },
      storage: { mode: "bucket", versioning: true, noncurrent_days: 7 },
      domains: { subdomain: "mid-co", custom: [] },
      access: { admins: [], roles: [] },
      rollout: { ring: "stable" },
      settings: { theme: { dark: true }, limits: { api: { rate: 10, burst: 50 } } },
      lifecycle: { deletion_protection: false, on_delete: "backup" },
      hooks: catalogHooks,
      max_migration: 7,
      source: "valid/mid-co.yaml",
    });
    expect(mid.storage).not.toHaveProperty("expire_days");
  });

  it("resolves the leaf: depth 2, a removed key stays removed, its own list and nested override", () => {
    expect(byId["leaf-co"]).toMatchObject({
      status: "suspended",
      parent: "mid-co",
      depth: 2,
      database: { isolation: "database", server: "replica" },
      settings: { theme: { dark: true }, limits: { api: { rate: 1, burst: 50 } }, extra: [1, 2] },
      hooks: catalogHooks,
      max_migration: 7,
    });
    expect(byId["leaf-co"].settings).toEqual({ theme: { dark: true }, limits: { api: { rate: 1, burst: 50 } }, extra: [1, 2] });
  });

  it("treats an explicit parent: null as no parent, and inherits only the listed settings paths", () => {
    expect(byId.solo).toMatchObject({ parent: null, depth: 0, settings: { theme: { color: "blue", dark: false }, limits: { api: { rate: 10 } } } });
    expect(byId.solo.settings).toEqual({ theme: { color: "blue", dark: false }, limits: { api: { rate: 10 } } });
  });

  it("keeps the catalog-wide parts: defaults and the control plane", () => {
    expect(catalog.defaults.rollout.rings).toEqual({ first: 9, stable: 7 });
    expect(catalog.controlPlane.roles.map((r) => [r.name, r.description])).toEqual([
      ["owner", ""],
      ["reader", "Reads"],
    ]);
  });

  it("gives the same catalog, byte for byte, whatever order the files are listed in", () => {
    const expected = JSON.stringify(catalog);
    fc.assert(
      fc.property(fc.shuffledSubarray(files, { minLength: files.length, maxLength: files.length }), (shuffled) => {
        expect(JSON.stringify(load(shuffled))).toBe(expected);
      }),
      { numRuns: 50 },
    );
  });
});

describe("a catalog without tenants", () => {
  it("loads, with its catalog-wide parts", () => {
    const catalog = load(readCatalogDir(join(ROOT, "test/fixtures/catalogs/base")).filter((f) => f.name.startsWith("_")));
    expect(catalog.tenants).toEqual([]);
    expect(catalog.defaults.plans).toEqual(["starter", "pro"]);
    expect(catalog.controlPlane.roles.map((r) => r.name)).toEqual(["tenant-admin", "tenant-member"]);
  });

  it("without _control-plane.yaml has no roles or resource servers", () => {
    const catalog = load(readCatalogDir(join(ROOT, "test/fixtures/catalogs/base")).filter((f) => f.name === "_defaults.yaml" || f.name === "_cells.yaml"));
    expect(catalog.controlPlane).toEqual({ resource_servers: [], roles: [] });
  });
});

describe("generated valid catalogs", () => {
  const base = readCatalogDir(join(ROOT, "test/fixtures/catalogs/base")).filter((f) => f.name.startsWith("_"));
  const RESERVED = ["www", "api", "admin"];
  const RINGS: Record<string, number> = { canary: 5, stable: 3 };
  const MAX_DEPTH = 2;

  interface Spec {
    id: string;
    parent?: string;
    ring?: string;
    subdomain?: boolean;
    color?: string | null;
  }

  /** Tenants where each parent comes earlier in the list and no chain is deeper than the limit. */
  const catalogSpec = fc
    .uniqueArray(fc.stringMatching(/^[a-z][a-z0-9]{2,8}$/).filter((id) => !RESERVED.includes(id)), { minLength: 1, maxLength: 8 })
    .chain((ids) =>
      fc.tuple(
        ...ids.map((id, i) =>
          fc.record(
            {
              id: fc.constant(id),
              parentIndex: i === 0 ? fc.constant(undefined) : fc.option(fc.nat(i - 1), { nil: undefined }),
              ring: fc.option(fc.constantFrom("canary", "stable"), { nil: undefined }),
              subdomain: fc.boolean(),
              color: fc.option(fc.oneof(fc.constant(null), fc.constantFrom("red", "green")), { nil: undefined }),
            },
            { requiredKeys: ["id", "subdomain"] },
          ),
        ),
      ),
    )
    .map((rows) => {
      const depth: Record<string, number> = {};
      return rows.map(({ parentIndex, ...row }): Spec => {
        const parent = parentIndex === undefined ? undefined : rows[parentIndex].id;
        const ok = parent !== undefined && depth[parent] < MAX_DEPTH;
        depth[row.id] = ok ? depth[parent] + 1 : 0;
        return { ...row, parent: ok ? parent : undefined };
      });
    });

  function fileOf(spec: Spec): CatalogFile {
    const lines = [`id: ${spec.id}`, `name: Tenant ${spec.id.toUpperCase()}`];
    if (spec.parent) lines.push(`parent: ${spec.parent}`);
    if (spec.ring) lines.push(`rollout: { ring: ${spec.ring} }`);
    if (spec.subdomain) lines.push(`domains: { subdomain: ${spec.id}-app, custom: [login.${spec.id}.example] }`);
    if (spec.color !== undefined) lines.push(`settings: { branding: { color: ${spec.color === null ? "null" : spec.color} } }`);
    return { name: `${spec.id}.yaml`, path: `tenants/${spec.id}.yaml`, text: `${lines.join("\n")}\n` };
  }

  it("resolve every rule the way the specification says", () => {
    fc.assert(
      fc.property(catalogSpec, (specs) => {
        const catalog = load([...base, ...specs.map(fileOf)]);
        expect(catalog.tenants.map((t) => t.id)).toEqual(specs.map((s) => s.id).sort());
        const byId = Object.fromEntries(catalog.tenants.map((t) => [t.id, t]));
        const specOf = Object.fromEntries(specs.map((s) => [s.id, s]));
        /** The branding color a tenant ends with: its own, else its parent's, else the default; null removes it. */
        const color = (id: string): string | undefined => {
          const spec = specOf[id];
          if (spec.color !== undefined) return spec.color ?? undefined;
          return spec.parent ? color(spec.parent) : "blue";
        };
        for (const spec of specs) {
          const t = byId[spec.id];
          expect(t.parent).toBe(spec.parent ?? null);
          expect(t.depth).toBe(spec.parent ? byId[spec.parent].depth + 1 : 0);
          expect(t.depth).toBeLessThanOrEqual(MAX_DEPTH);
          expect(t.max_migration).toBe(RINGS[spec.ring ?? "stable"]);
          expect(t.domains).toEqual(spec.subdomain ? { subdomain: `${spec.id}-app`, custom: [`login.${spec.id}.example`] } : { subdomain: spec.id, custom: [] });
          expect(t.friendly_name).toBe(`Tenant ${spec.id.toUpperCase()}`);
          expect(t.settings).toEqual(color(spec.id) === undefined ? { branding: {} } : { branding: { color: color(spec.id) } });
          expect(t.hooks).toEqual(noHooks);
          expect(t.source).toBe(`tenants/${spec.id}.yaml`);
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe("declared cells and database servers (_cells.yaml)", () => {
  const fixture = readCatalogDir(join(ROOT, "test/fixtures/catalogs/valid"));

  it("are loaded with the catalog: regions, budgets, server names", () => {
    const { declarations } = load(fixture);
    expect([...declarations.cells]).toEqual([["eu-1", { regions: ["eu-west-1", "eu-central-1"], resource_budget: 1500 }]]);
    expect([...declarations.servers].sort()).toEqual(["main", "replica"]);
    expect(declarations.implied).toBe(false);
  });

  it("are implied by its tenants in a catalog read at a ref from before _cells.yaml, and required everywhere else", () => {
    const older = fixture.filter((f) => f.name !== "_cells.yaml");
    expect(loadCatalog(older).ok).toBe(false);
    const atRef = loadCatalog(older, "tenants", { atRef: true });
    if (!atRef.ok) throw new Error(atRef.errors.map(formatError).join("\n"));
    expect([...atRef.catalog.declarations.cells]).toEqual([["eu-1", { regions: ["eu-west-1"] }]]);
    expect([...atRef.catalog.declarations.servers].sort()).toEqual(["main", "replica"]);
    expect(atRef.catalog.declarations.implied).toBe(true);
    // A catalog at a ref that has the file is held to it like any other.
    const broken = fixture.map((f) => (f.name === "_cells.yaml" ? { ...f, text: "cells: {}\ndatabase_servers: {}\n" } : f));
    expect(loadCatalog(broken, "tenants", { atRef: true }).ok).toBe(false);
  });
});
