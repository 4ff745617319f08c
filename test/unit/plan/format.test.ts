import { describe, expect, it } from "vitest";
import { loadCatalog, readCatalogDir, type Catalog } from "../../../lib/catalog";
import { parseMigrationFiles } from "../../../lib/database/migrations";
import { migrationRollout } from "../../../lib/database/rollout";
import { diffRegistrations, tenantOf } from "../../../lib/plan/diff";
import type { Registration } from "../../../lib/plan/evaluate";
import { formatJson, formatMarkdown, formatPlan, formatText, summaryWords } from "../../../lib/plan/format";
import { buildPlan, deletionProtectionErrors } from "../../../lib/plan/plan";
import { tenantRegistrations } from "./registrations";

const CANARY = "canary-pw-7d1e0b";

function exampleCatalog(): Catalog {
  const loaded = loadCatalog(readCatalogDir("tenants"));
  if (!loaded.ok) throw new Error("the example catalog should be valid");
  return loaded.catalog;
}

const without = (catalog: Catalog, id: string): Catalog => ({ ...catalog, tenants: catalog.tenants.filter((t) => t.id !== id) });

/** Registrations of a whole catalog, as tenantRegistrations builds them, with the role password set to the canary. */
function registrationsOf(catalog: Catalog, migrations: (id: string) => number = () => 3): Registration[] {
  return catalog.tenants.flatMap((t) =>
    tenantRegistrations(t.id, { isolation: t.database.isolation, migrations: migrations(t.id), protect: t.lifecycle.deletion_protection }).map((r) =>
      r.type === "postgresql:index/role:Role" ? { ...r, inputs: { ...r.inputs, password: CANARY } } : r,
    ),
  );
}

/** Five migrations, so a ring can be raised above the example's 3. */
const MIGRATIONS = parseMigrationFiles(
  ["0001_a", "0002_b", "0003_c", "0004_d", "0005_e"].flatMap((n) => [
    { name: `${n}.sql`, text: `select ${n.length};` },
    { name: `${n}.down.sql`, text: "select 0;" },
  ]),
);

function planOf(base: Catalog, head: Catalog, baseRegs = registrationsOf(base), headRegs = registrationsOf(head)) {
  return buildPlan({
    base: base.tenants.length === 0 ? null : "HEAD",
    baseCatalog: base,
    headCatalog: head,
    cells: ["default"],
    changes: diffRegistrations(baseRegs, headRegs),
    rollout: migrationRollout(base.tenants.length === 0 ? null : { tenants: base.tenants, migrations: MIGRATIONS }, { tenants: head.tenants, migrations: MIGRATIONS }),
  });
}

describe("buildPlan", () => {
  it("marks a removed tenant deleted with its data resources as data loss", () => {
    const catalog = exampleCatalog();
    const plan = planOf(catalog, without(catalog, "initech"));
    const initech = plan.tenants.find((t) => t.id === "initech")!;
    expect(initech.action).toBe("delete");
    expect(initech.resources.every((c) => c.action === "delete")).toBe(true);
    // initech is in shared mode: its rows go with the migrations resource; its bucket too.
    expect(initech.dataLoss.map((c) => c.name).sort()).toEqual(["initech-bucket", "initech-migrations"]);
    expect(initech.migration).toBeUndefined();
    expect(plan.tenants.filter((t) => t.id !== "initech").every((t) => t.action === "same")).toBe(true);
    expect(plan.errors).toEqual([]);
  });

  it("refuses to delete a tenant whose base version has deletion protection", () => {
    const catalog = exampleCatalog();
    const errors = deletionProtectionErrors(catalog, without(catalog, "acme"));
    expect(errors).toEqual([
      "tenant acme (tenants/acme.yaml) has lifecycle.deletion_protection: true and its file was removed; set deletion_protection to false in one change, then delete the file in the next",
    ]);
    expect(planOf(catalog, without(catalog, "acme")).errors).toEqual(errors);
    // Lifting the protection in the same change does not help: the base still has it.
    const lifted = { ...catalog, tenants: catalog.tenants.map((t) => (t.id === "acme" ? { ...t, lifecycle: { ...t.lifecycle, deletion_protection: false } } : t)) };
    expect(deletionProtectionErrors(catalog, without(lifted, "acme"))).toEqual(errors);
    expect(deletionProtectionErrors(lifted, without(lifted, "acme"))).toEqual([]);
  });

  it("refuses to delete or replace a protected resource of a tenant that stays", () => {
    const catalog = exampleCatalog();
    const baseRegs = registrationsOf(catalog);
    const headRegs = baseRegs
      .filter((r) => r.name !== "acme-database")
      .map((r) => (r.name === "acme-bucket" ? { ...r, provider: "urn:pulumi:default::tenancy::pulumi:providers:aws::aws-us-east-1::id" } : r));
    const plan = planOf(catalog, catalog, baseRegs, headRegs);
    expect(plan.errors).toEqual([
      "acme: postgresql:index/database:Database acme-database is protected (deletion_protection) and this change would delete it; set deletion_protection to false in one change, then make this change in the next",
      "acme: aws:s3/bucket:Bucket acme-bucket is protected (deletion_protection) and this change would replace it; set deletion_protection to false in one change, then make this change in the next",
      // Protected or not, losing the data needs the change's acknowledgement.
      "acme: this change deletes or replaces Database acme-database, Bucket acme-bucket with the data in it; acknowledge with --allow-data-loss acme",
    ]);
    expect(formatText(plan)).toContain("    !!! DATA LOSS: replaces bucket example-acme\n");
  });

  it("shows exactly the tenants of a raised ring migrating, from which version to which", () => {
    const base = exampleCatalog();
    const raised = { ...base, tenants: base.tenants.map((t) => (t.rollout.ring === "canary" ? { ...t, max_migration: 5 } : t)) };
    const plan = planOf(base, raised, registrationsOf(base), registrationsOf(raised, (id) => raised.tenants.find((t) => t.id === id)!.max_migration));
    const migrating = plan.tenants.filter((t) => t.migration).map((t) => [t.id, t.migration]);
    expect(migrating).toEqual([
      ["acme", { tenant: "acme", isolation: "database", ring: "canary", from: 3, to: 5, direction: "up", files: ["0004_d.sql", "0005_e.sql"], missingDown: [], edited: [], held: false }],
    ]);
    expect(plan.tenants.filter((t) => t.action !== "same").map((t) => t.id)).toEqual(["acme"]);
    expect(summaryWords(plan.tenants.find((t) => t.id === "acme")!)).toEqual(["migrations 3→5"]);
  });

  it("stops a rollout the runner would refuse: an edited applied migration, a missing down file", () => {
    const base = exampleCatalog();
    const edited = parseMigrationFiles([
      ...MIGRATIONS.map((m) => ({ name: m.file, text: m.version === 2 ? "select 'edited';" : m.sql })),
      ...MIGRATIONS.filter((m) => m.version !== 5).map((m) => ({ name: m.down!.file, text: m.down!.sql })),
    ]);
    const lowered = { ...base, tenants: base.tenants.map((t) => (t.id === "umbrella" ? { ...t, max_migration: 5 } : t)) };
    const steps = migrationRollout({ tenants: lowered.tenants, migrations: MIGRATIONS }, { tenants: base.tenants, migrations: edited });
    const plan = buildPlan({ base: "HEAD", baseCatalog: lowered, headCatalog: base, cells: ["default"], changes: [], rollout: steps });
    expect(plan.errors).toContain("umbrella: lowering migrations 5→3 needs 0005_e.down.sql, which do not exist; add them or keep the ring's version");
    expect(plan.errors).toContain("acme: migration 0002_b.sql was changed after it was applied; the runner refuses edited migrations: restore it and add a new migration instead");
  });

  it("treats every tenant as new against an empty base", () => {
    const head = exampleCatalog();
    const plan = planOf({ ...head, tenants: [] }, head, []);
    expect(plan.tenants.map((t) => t.action)).toEqual(head.tenants.map(() => "create"));
    expect(formatText(plan)).toMatch(/^Tenancy plan \(no --base: everything is new\); cells: default\n/);
    // Components are not counted: they are no object anywhere.
    expect(plan.counts).toEqual({ create: registrationsOf(head).filter((r) => r.custom).length, update: 0, delete: 0, same: 0 });
    expect(summaryWords(plan.tenants.find((t) => t.id === "acme")!)).toEqual(["database", "role", "bucket", "DNS", "certificate", "migrations 1-3", "seed"]);
  });
});

describe("formatters", () => {
  const catalog = exampleCatalog();
  const head = {
    ...without(catalog, "initech"),
    tenants: without(catalog, "initech").tenants.map((t) => (t.id === "globex" ? { ...t, max_migration: 4 } : t)),
  };
  const headRegs = registrationsOf(head, (id) => (id === "globex" ? 4 : 3)).map((r) =>
    r.name === "umbrella-dns" ? { ...r, inputs: { ...r.inputs, content: "maintenance.example.net" } } : r,
  );
  const plan = planOf(catalog, head, registrationsOf(catalog), headRegs);

  it("text: one summary line per changed tenant, loud data loss, then details", () => {
    const text = formatText(plan);
    expect(text).toContain("Tenancy plan against HEAD; cells: default\n");
    expect(text).toContain("~ globex: migrations 3→4\n    runs 0004_d.sql\n");
    expect(text).toContain("~ umbrella: DNS (content)\n");
    expect(text).toContain("- initech: role, bucket, DNS, certificate, migrations, seed\n");
    expect(text).toContain(
      "    !!! DATA LOSS: deletes the tenant's rows in the shared tables (initech-migrations)\n" +
        "    !!! DATA LOSS: deletes bucket example-initech\n" +
        "    a backup is taken first (lifecycle.on_delete: backup)\n",
    );
    expect(text).toMatch(/ {2}~ cloudflare:index\/dnsRecord:DnsRecord +umbrella-dns {2}changed: content\n {6}content: "ingress.example.net" → "maintenance.example.net"\n/);
    expect(text).toMatch(/ {2}- aws:s3\/bucket:Bucket +initech-bucket {2}!!! DATA LOSS\n/);
    // Unchanged tenants are counted, never named.
    expect(text).toContain("= 2 tenants unchanged\n");
    expect(text).not.toContain("acme");
    expect(text).not.toContain("ERROR");
  });

  it("markdown: caution for errors, warning for data loss, a summary table and collapsible details", () => {
    const protectedPlan = planOf(catalog, without(catalog, "acme"));
    const markdown = formatMarkdown(protectedPlan);
    expect(markdown).toContain("> [!CAUTION]\n> **This change cannot be applied:**\n> - tenant acme (tenants/acme.yaml) has lifecycle.deletion_protection: true");
    expect(markdown).toContain("> **⚠️ DATA LOSS: 2 data resource(s) would be deleted or replaced:**\n> - **acme: database tenant_acme**\n> - **acme: bucket example-acme**");
    expect(markdown).toContain("| - | `acme` | default | database, role, bucket, DNS, certificate, migrations, seed **⚠️ DATA LOSS** | 0 | 0 | 7 |");
    expect(markdown).toContain("<details>\n<summary>acme: delete (7 resources)</summary>");
    expect(markdown).toContain("| - | `aws:s3/bucket:Bucket` | **`acme-bucket` ⚠️ DATA LOSS** |  |");
    expect(formatMarkdown(plan)).toContain('| ~ | `cloudflare:index/dnsRecord:DnsRecord` | `umbrella-dns` | content: "ingress.example.net" → "maintenance.example.net" |');
    expect(formatMarkdown(plan)).toContain("\nUnchanged tenants: 2.\n");
    expect(formatMarkdown(plan)).not.toContain("acme");
  });

  it("json: every resource with tenant, type, name and action", () => {
    const doc = JSON.parse(formatJson(plan));
    // Every resource of a tenant that changes; none of the two unchanged tenants, which are counted.
    const unchanged = new Set(["acme", "acme-research"]);
    const listed = new Set([...registrationsOf(catalog), ...headRegs].filter((r) => !unchanged.has(tenantOf(r)!)).map((r) => r.urn));
    expect(doc.resources).toHaveLength(listed.size);
    expect(doc.tenants.map((t: { id: string }) => t.id)).toEqual(["globex", "initech", "umbrella"]);
    expect(doc.unchanged).toBe(2);
    expect(doc.resources.find((r: { name: string }) => r.name === "umbrella-dns")).toEqual({
      tenant: "umbrella",
      cell: "default",
      type: "cloudflare:index/dnsRecord:DnsRecord",
      name: "umbrella-dns",
      urn: "urn:pulumi:default::tenancy::tenancy:index:Tenant$tenancy:domain:TenantDomain$cloudflare:index/dnsRecord:DnsRecord::umbrella-dns",
      action: "update",
      changedKeys: ["content"],
      changes: [{ key: "content", from: '"ingress.example.net"', to: '"maintenance.example.net"' }],
      replace: false,
      refused: [],
      data: false,
      dataLoss: false,
      protect: false,
      retainOnDelete: false,
    });
    expect(doc.tenants.find((t: { id: string }) => t.id === "globex").migration).toMatchObject({ from: 3, to: 4, ring: "stable", files: ["0004_d.sql"] });
    // 34 custom resources in base; initech's 6 go, umbrella's DNS record and globex's migrations change.
    expect(doc.counts).toEqual({ create: 0, update: 2, delete: 6, same: 26 });
  });

  it("shows an update's old → new values, masking secrets and secret-sounding keys, and cuts long values", () => {
    const base = registrationsOf(catalog);
    const long = "x".repeat(500);
    const changed = base.map((r) => {
      if (r.name === "globex-role") return { ...r, inputs: { ...r.inputs, password: `${CANARY}-2` } };
      if (r.name === "globex-dns") {
        const url = "https://user:visible-pass-77c@hooks.example.com/in?sig=visible-sig-4d0";
        return { ...r, inputs: { ...r.inputs, content: long, apiToken: "visible-token-1f3", settings: { signingKey: "visible-key-9a2", ttl: 60 }, url } };
      }
      return r;
    });
    const updated = planOf(catalog, catalog, base, changed);
    const text = formatText(updated);
    expect(text).toContain("      password: [secret] → [secret]\n");
    expect(text).toContain(`      content: "ingress.example.net" → "${"x".repeat(78)}…\n`);
    expect(text).toContain("      apiToken: (none) → [secret]\n");
    expect(text).toContain('      settings: (none) → {"signingKey":"[secret]","ttl":60}\n');
    expect(text).toContain('      url: (none) → "https://[secret]@hooks.example.com/in?[secret]"\n');
    // Inside an object input, only the paths that differ; a Pulumi secret deeper down stays masked.
    const dns = base.find((r) => r.name === "initech-dns")!;
    const nestedBase = { ...dns, inputs: { target: { host: "db-a", conn: `${CANARY}-conn`, tags: Array.from({ length: 9 }, (_, i) => i) } }, secretInputs: ["target.conn"] };
    const nestedHead = { ...nestedBase, inputs: { target: { host: "db-b", conn: `${CANARY}-conn2`, tags: [] } } };
    const nested = formatText(planOf(catalog, catalog, base.map((r) => (r.urn === dns.urn ? nestedBase : r)), base.map((r) => (r.urn === dns.urn ? nestedHead : r))));
    expect(nested).toContain('      target.conn: [secret] → [secret]\n      target.host: "db-a" → "db-b"\n      target.tags: [0,1,2,3,4,5,6,7,8] → []\n');
    expect(nested).not.toContain(CANARY);
    for (const format of ["text", "markdown", "json"] as const) {
      const out = formatPlan(updated, format);
      for (const secret of [CANARY, "visible-token-1f3", "visible-key-9a2", "visible-pass-77c", "visible-sig-4d0"]) expect(out).not.toContain(secret);
    }
  });

  it("never prints a secret input value, so no secret reaches a plan", () => {
    for (const format of ["text", "markdown", "json"] as const) expect(formatPlan(plan, format)).not.toContain(CANARY);
  });

  it("prints the same whatever order the program registered in", () => {
    const shuffled = planOf(catalog, head, registrationsOf(catalog).reverse(), [...headRegs].reverse());
    for (const format of ["text", "markdown", "json"] as const) expect(formatPlan(shuffled, format)).toBe(formatPlan(plan, format));
  });
});

describe("a tenant move in every format", () => {
  const base = exampleCatalog();
  const head = { ...base, tenants: base.tenants.map((t) => (t.id === "globex" ? { ...t, database: { isolation: "database" as const, server: "main" } } : t)) };
  // The TenantMove guards the place-keyed resources (providers/kit.ts MOVE_GUARD): the move is carried out.
  const guarded = (catalog: Catalog) => registrationsOf(catalog).map((r) => (r.type.endsWith(":TenantMigrations") ? { ...r, inputs: { ...r.inputs, moveGuard: true } } : r));
  const moved = (sizes?: Map<string, number>) =>
    buildPlan({ base: "HEAD", baseCatalog: base, headCatalog: head, cells: ["default"], changes: diffRegistrations(guarded(base), guarded(head)), rollout: [], sizes });
  const COPIES = "copies every row of the tenant, from its schema on server main into its database on server main";

  it("text: the MOVE line names what is copied and the maintenance; the old place's deletion is no data loss", () => {
    const text = formatText(moved(new Map([["globex", 5_700_000_000]])));
    expect(text).toContain(`    MOVE database.isolation schema → database: ${COPIES}; maintenance: about 19 min (5.7 GB of rows and objects at about 5 MB/s, plus 1 s)\n`);
    expect(text).toContain("    old place: deletes schema tenant_globex once the move has copied its data\n");
    expect(text).toMatch(/ {2}- postgresql:index\/schema:Schema +globex-schema {2}\(old place: deleted once the move has copied its data\)\n/);
    expect(text).not.toMatch(/DATA LOSS|ERROR|refuse|does not/);
    // Without --sizes, the line says how the time scales instead.
    expect(formatText(moved())).toContain(`${COPIES}; maintenance: size not known to the plan: the time to copy its rows and objects, about 5 MB/s plus 1 s; pass --sizes to estimate\n`);
  });

  it("markdown: the moves with their maintenance, and no data loss warning for the old place", () => {
    const markdown = formatMarkdown(moved(new Map([["globex", 5_700_000_000]])));
    expect(markdown).toContain(
      "> [!WARNING]\n> **Tenant moves (1):** pulumi up copies the data; the tenant's logins are refused during its maintenance.\n" +
        `> - **globex: database.isolation schema → database**: ${COPIES}; maintenance: about 19 min (5.7 GB of rows and objects at about 5 MB/s, plus 1 s)\n` +
        "> - globex: old place: schema tenant_globex deleted once the move has copied its data\n",
    );
    expect(markdown).toContain("| - | `postgresql:index/schema:Schema` | `globex-schema` (old place, after the move's copy) |  |");
    expect(markdown).not.toContain("DATA LOSS");
  });

  it("json: each move with its maintenance, and its bytes when --sizes gave them", () => {
    const tenantOfDoc = (sizes?: Map<string, number>) => JSON.parse(formatJson(moved(sizes))).tenants.find((t: { id: string }) => t.id === "globex");
    expect(tenantOfDoc(new Map([["globex", 5_700_000_000]]))).toMatchObject({
      moves: [{ key: "database.isolation", from: "schema", to: "database", copies: COPIES.slice("copies ".length), maintenance: "about 19 min (5.7 GB of rows and objects at about 5 MB/s, plus 1 s)", bytes: 5_700_000_000 }],
      moveRefusals: [],
    });
    expect(tenantOfDoc().moves[0]).not.toHaveProperty("bytes");
  });

  it("a refused move keeps its data loss loud: nothing is copied", () => {
    const protectedBase = { ...base, tenants: base.tenants.map((t) => (t.id === "globex" ? { ...t, lifecycle: { ...t.lifecycle, deletion_protection: true } } : t)) };
    const plan = buildPlan({ base: "HEAD", baseCatalog: protectedBase, headCatalog: head, cells: ["default"], changes: diffRegistrations(guarded(base), guarded(head)), rollout: [] });
    const text = formatText(plan);
    expect(text).toContain("ERROR: globex: database.isolation schema → database cannot be carried out by pulumi up: the tenant has lifecycle.deletion_protection: true at the base");
    expect(text).toContain("    !!! DATA LOSS: deletes schema tenant_globex\n");
  });
});
