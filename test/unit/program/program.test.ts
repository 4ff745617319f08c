// The program function under Pulumi's mocks (lib/plan/evaluate.ts): which tenants a stack deploys,
// the names it derives, the order of hierarchical tenants, scale, and secrets.
import { describe, expect, test } from "vitest";
import { evaluate, plaintextOccurrences, type Evaluation } from "../../../lib/plan/evaluate";
import { programProblems, ProgramInvalidError, registerProgram, tenantsOfCell } from "../../../lib/program";
import { catalogOf, exampleCatalog, exampleConfig } from "../tenancy-fixtures";

const tenantUrn = (ev: Evaluation, id: string) => ev.registrations.find((r) => r.type === "tenancy:index:Tenant" && r.name === id)!.urn;
const owned = (ev: Evaluation, id: string) => ev.registrations.filter((r) => r.ancestors.includes(tenantUrn(ev, id)));

describe("the example catalog", async () => {
  const catalog = exampleCatalog();
  const ev = await evaluate(() => registerProgram(catalog, exampleConfig()));

  test("derived names (snapshot)", () => {
    const exports = ev.exports as { tenants: Record<string, Record<string, unknown>>; sharedBuckets: Record<string, string> };
    const names = Object.fromEntries(
      Object.entries(exports.tenants).map(([id, t]) => [
        id,
        { hostname: t.hostname, bucket: t.bucket, keyPrefix: t.keyPrefix, database: t.database, schema: t.schema ?? null, role: t.role },
      ]),
    );
    expect({ tenants: names, sharedBuckets: exports.sharedBuckets }).toMatchSnapshot();
    // Every registered name too, so a renamed resource (a replacement in production) shows in review.
    expect(ev.registrations.map((r) => `${r.urn.split("::")[2]}::${r.name}`).sort()).toMatchSnapshot();
  });

  test("one Tenant per tenant of the cell", () => {
    expect(ev.registrations.filter((r) => r.type === "tenancy:index:Tenant").map((r) => r.name).sort()).toEqual(catalog.tenants.map((t) => t.id).sort());
  });

  test("providers: one per database server, one per region in use, one Cloudflare", () => {
    expect(ev.registrations.filter((r) => r.type.startsWith("pulumi:providers:")).map((r) => `${r.type} ${r.name}`).sort()).toEqual([
      "pulumi:providers:aws aws-eu-central-1",
      "pulumi:providers:aws aws-eu-west-1",
      "pulumi:providers:aws aws-us-east-1",
      "pulumi:providers:cloudflare cloudflare",
      "pulumi:providers:postgresql postgresql-main",
    ]);
    const pg = ev.registrations.find((r) => r.type === "pulumi:providers:postgresql")!;
    expect(pg.inputs).toMatchObject({ host: "db-main.internal.example.com", port: "5432", username: "tenancy_admin", sslmode: "verify-full", sslrootcert: "certs/db-main-ca.pem" });
    expect(pg.secretInputs).toEqual(["password"]);
    expect(ev.registrations.find((r) => r.type === "pulumi:providers:aws" && r.name === "aws-us-east-1")!.inputs).toMatchObject({ region: "us-east-1" });
  });

  test("a child tenant is created after its parent and deleted before it", () => {
    const parent = [tenantUrn(ev, "acme"), ...owned(ev, "acme").filter((r) => r.custom).map((r) => r.urn)];
    const child = ev.registrations.find((r) => r.urn === tenantUrn(ev, "acme-research"))!;
    expect(child.dependencies).toEqual(expect.arrayContaining(parent.slice(1)));
    const childResources = owned(ev, "acme-research").filter((r) => r.custom);
    // Schema isolation (password, role, suspension, schema, two grants, migrations, seed), a prefix
    // policy and its TenantPrefix, the four domain resources, the three identity resources, the two
    // hooks, the backup and the TenantMove.
    expect(childResources.length).toBe(21);
    // Every resource of the child depends on the parent's, so the engine deletes the child's first.
    for (const r of childResources) expect(r.dependencies, r.name).toEqual(expect.arrayContaining(parent.slice(1)));
    // And not the other way round.
    for (const r of owned(ev, "acme")) expect(r.dependencies.filter((d) => d.endsWith("::acme-research") || d.includes("::acme-research-"))).toEqual([]);
  });

  test("a child's organization is named after its parent too", () => {
    const org = ev.registrations.find((r) => r.name === "acme-research-organization")!;
    expect(org.inputs.displayName).toBe("Acme Corporation / Acme Research");
  });

  test("stack outputs: passwords only as secrets, nothing else secret", () => {
    const ids = catalog.tenants.map((t) => t.id).sort();
    expect([...ev.secretExports].sort()).toEqual(ids.map((id) => `tenants.${id}.password`).sort());
  });
});

describe("cells", () => {
  const catalog = catalogOf({
    alpha: {},
    beta: { cell: "eu-2" },
    gamma: { cell: "eu-2", parent: "beta", database: { isolation: "database", server: "main" } },
  });

  test("a stack deploys only the tenants of its cell; tenants that name no cell are in the default one", async () => {
    expect(tenantsOfCell(catalog, "default").map((t) => t.id)).toEqual(["alpha"]);
    expect(tenantsOfCell(catalog, "eu-2").map((t) => t.id)).toEqual(["beta", "gamma"]);
    const ev = await evaluate(() => registerProgram(catalog, exampleConfig({ cell: "eu-2" })));
    expect(ev.registrations.filter((r) => r.type === "tenancy:index:Tenant").map((r) => r.name)).toEqual(["beta", "gamma"]);
    expect(ev.registrations.find((r) => r.type === "aws:s3/bucket:Bucket" && r.name.startsWith("shared-"))!.inputs.bucket).toBe("example-tenancy-shared-eu-2-eu-west-1");
    expect(ev.registrations.some((r) => r.name.startsWith("alpha"))).toBe(false);
  });

  test("a declared cell without tenants registers nothing; a stack of an undeclared cell is refused", async () => {
    const cells = new Map([...catalog.declarations.cells, ["empty", { regions: ["eu-west-1"] }]]);
    const declared = { ...catalog, declarations: { ...catalog.declarations, cells } };
    const ev = await evaluate(() => registerProgram(declared, exampleConfig({ cell: "empty" })));
    expect(ev.registrations.filter((r) => !r.type.startsWith("pulumi:providers:"))).toEqual([]);
    expect(programProblems(catalog, exampleConfig({ cell: "eu2" }))).toEqual([
      'stack eu2 deploys the declared cell it is named after: no cell "eu2" is declared (cells in _cells.yaml: default, eu-2); did you mean "eu-2"?',
    ]);
    await expect(evaluate(() => registerProgram(catalog, exampleConfig({ cell: "eu2" })))).rejects.toThrow(ProgramInvalidError);
  });
});

describe("programProblems", () => {
  test("names an unknown database server and a parent in another cell, and registers nothing", async () => {
    const catalog = catalogOf({ alpha: { database: { isolation: "schema", server: "replica" } }, beta: { parent: "alpha", cell: "eu-2" } });
    expect(programProblems(catalog, exampleConfig())).toEqual([
      'tenants/alpha.yaml: database.server "replica" is not in tenancy:databaseServers (main)',
    ]);
    expect(programProblems(catalog, exampleConfig({ cell: "eu-2" }))).toEqual([
      "tenants/beta.yaml: parent alpha is in cell default, but a child must be deployed by its parent's stack (cell eu-2 given)",
    ]);
    await expect(evaluate(() => registerProgram(catalog, exampleConfig()))).rejects.toThrow(ProgramInvalidError);
  });
});

test("50 generated tenants of every kind: no duplicate URN, every tenant complete", async () => {
  const isolations = ["database", "schema", "shared"];
  const regions = ["eu-west-1", "us-east-1", "ap-southeast-2"];
  const docs: Record<string, Record<string, unknown>> = {};
  for (let i = 0; i < 50; i++) {
    const id = `tenant-${String(i).padStart(2, "0")}`;
    docs[id] = {
      region: regions[i % 3],
      database: { isolation: isolations[i % 3], server: "main" },
      storage: { mode: i % 2 ? "bucket" : "prefix", versioning: i % 4 < 2, noncurrent_days: 1 + i, expire_days: i % 5 ? null : 400 },
      status: i % 7 ? "active" : "suspended",
      ...(i % 10 === 0 ? {} : { parent: `tenant-${String(i - (i % 10)).padStart(2, "0")}` }),
      domains: i % 6 === 0 ? { custom: [`login.customer-${i}.example.org`, `app.customer-${i}.example.org`] } : {},
    };
  }
  const ev = await evaluate(() => registerProgram(catalogOf(docs), exampleConfig()));
  const urns = ev.registrations.map((r) => r.urn);
  expect(new Set(urns).size).toBe(urns.length);
  expect(ev.registrations.filter((r) => r.type === "tenancy:index:Tenant")).toHaveLength(50);
  const perTenant = Object.keys(docs).map((id) => owned(ev, id).length);
  // The smallest tenant (shared, prefix): four components, password, role, suspension, the admin's
  // membership, migrations, seed, policy, TenantPrefix, four domain resources, three identity resources,
  // two hooks, backup, TenantMove.
  expect(Math.min(...perTenant)).toBe(23);
  expect(urns.length).toBeGreaterThan(50 * 23);
  // One TenantMove per tenant.
  expect(ev.registrations.filter((r) => r.type === "pulumi-nodejs:dynamic/tenancy:TenantMove").map((r) => r.name).sort()).toEqual(Object.keys(docs).map((id) => `${id}-move`).sort());
});

describe("secrets", () => {
  const CANARY = "canary-7f3e9b2c-never-in-plaintext";

  test("a canary secret in config appears in no plaintext input, provider code or output", async () => {
    const config = exampleConfig({
      databasePasswords: { main: CANARY },
      controlPlaneClientSecret: `${CANARY}-client`,
      webhookSecret: `${CANARY}-webhook`,
    });
    const ev = await evaluate(() => registerProgram(exampleCatalog(), config));
    expect(plaintextOccurrences(ev, CANARY)).toEqual([]);
    // The canary did reach the program, as a secret, so the check above could have failed.
    const provider = ev.registrations.find((r) => r.type === "pulumi:providers:postgresql")!;
    expect(provider.inputs.password).toBe(CANARY);
    expect(provider.secretInputs).toContain("password");
    const migrations = ev.registrations.find((r) => r.name === "acme-migrations")!;
    expect([migrations.inputs.password, migrations.secretInputs.includes("password")]).toEqual([CANARY, true]);
    for (const [name, key] of [["acme-backup", "password"], ["acme-suspension", "password"]]) {
      const r = ev.registrations.find((x) => x.name === name)!;
      expect([r.inputs[key], r.secretInputs.includes(key)], name).toEqual([CANARY, true]);
    }
    for (const name of ["acme-lifecycle-hook", "acme-deleted-hook"]) {
      const r = ev.registrations.find((x) => x.name === name)!;
      expect([r.inputs.secret, r.secretInputs.includes("secret")], name).toEqual([`${CANARY}-webhook`, true]);
    }
    const organization = ev.registrations.find((r) => r.name === "acme-organization")!;
    expect((organization.inputs.connection as { clientSecret: string }).clientSecret).toBe(`${CANARY}-client`);
    expect(organization.secretInputs).toContain("connection.clientSecret");
    // The dynamic providers' code was serialized and scanned too.
    expect(ev.registrations.filter((r) => r.providerCode).length).toBeGreaterThanOrEqual(5 * 5);
  });

  test("the check itself finds a canary passed as plain text", async () => {
    const ev = await evaluate(() => {
      const outputs = registerProgram(exampleCatalog(), exampleConfig());
      return { ...outputs, leaked: CANARY };
    });
    expect(plaintextOccurrences(ev, CANARY)).toEqual(["stack output leaked"]);
  });
});
