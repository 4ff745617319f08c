// index.ts, the real entry point: config from the stack, the catalog from tenants/ of the working
// directory (where Pulumi runs the program), and not a single resource registered when the catalog
// or the config is broken, or when the stack file names another cell or catalog directory.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, afterEach, beforeEach, expect, test, vi } from "vitest";
import type { CatalogInvalidError } from "../../../lib/catalog";
import { evaluate } from "../../../lib/plan/evaluate";
import { mockOutputs } from "../../../lib/plan/mock-outputs";
import { EXAMPLE_TENANTS, exampleRawConfig, ROOT } from "../tenancy-fixtures";

const scratch = mkdtempSync(join(tmpdir(), "tenancy-index-"));
const home = process.cwd();
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let registered: string[] = [];

beforeEach(async () => {
  registered = [];
  vi.resetModules();
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registered.push(`${args.type}::${args.name}`);
        return mockOutputs(args);
      },
      call: (args) => args.inputs,
    },
    "tenancy",
    // The stack's name is the cell it deploys: the example catalog's tenants are in cell "default".
    "default",
    false,
  );
});

afterEach(async () => {
  await pulumi.runtime.disconnect();
  process.chdir(home);
});

/** A project directory whose tenants/ is a copy of `catalog`: the program's working directory. */
function projectWith(catalog: string, name: string): string {
  const dir = join(scratch, name);
  cpSync(catalog, join(dir, "tenants"), { recursive: true });
  // The example stack config checks its server against this CA file, relative to the project.
  cpSync(join(ROOT, "certs"), join(dir, "certs"), { recursive: true });
  return dir;
}

/** Stack config as the engine passes it: every value a string, objects as JSON, secrets listed. */
function setStackConfig(project: string, drop: string[] = [], overrides: Record<string, unknown> = {}) {
  process.chdir(project);
  const raw = exampleRawConfig(overrides);
  for (const key of drop) delete raw[key];
  const values = Object.fromEntries(Object.entries(raw).map(([k, v]) => [`tenancy:${k}`, typeof v === "string" ? v : JSON.stringify(v)]));
  pulumi.runtime.setAllConfig(values, ["tenancy:databasePasswords", "tenancy:controlPlaneClientSecret", "tenancy:webhookSecret"]);
}

test("a broken catalog throws every error and registers no resource", async () => {
  const dir = projectWith(EXAMPLE_TENANTS, "broken");
  writeFileSync(join(dir, "tenants", "globex.yaml"), "id: globex\nname: Globex\ndatabase: { isolation: databse, server: main }\n");
  writeFileSync(join(dir, "tenants", "initech.yaml"), "id: initech\nname: Initech\nplan: platinum\n");
  setStackConfig(dir);
  const error = await import("../../../index").then(
    () => undefined,
    (e: unknown) => e,
  );
  // resetModules gives index.ts its own copy of lib/catalog, so the class is checked by name.
  expect((error as Error).name).toBe("CatalogInvalidError");
  expect((error as CatalogInvalidError).errors.map((e) => `${e.file.split("/").pop()} ${e.path}`)).toEqual(["globex.yaml database.isolation", "initech.yaml plan"]);
  await pulumi.runtime.disconnect();
  expect(registered).toEqual([]);
});

test("invalid stack config throws every problem and registers no resource", async () => {
  setStackConfig(projectWith(EXAMPLE_TENANTS, "bad-config"), ["bucketPrefix", "databasePasswords"]);
  const error = await import("../../../index").then(
    () => undefined,
    (e: unknown) => e,
  );
  expect((error as Error).name).toBe("ConfigInvalidError");
  expect((error as Error).message).toMatch(/tenancy:bucketPrefix: missing[\s\S]*tenancy:databasePasswords: missing/);
  await pulumi.runtime.disconnect();
  expect(registered).toEqual([]);
});

test("a stack file naming another cell or catalog directory registers nothing", async () => {
  for (const [name, overrides, message] of [
    ["other-cell", { cell: "eu-9" }, /tenancy:cell: "eu-9" is not this stack's name "default"/],
    ["other-dir", { tenantsDir: "other" }, /tenancy:tenantsDir: the catalog is always tenants\/ beside Pulumi.yaml/],
  ] as const) {
    vi.resetModules();
    setStackConfig(projectWith(EXAMPLE_TENANTS, name), [], overrides);
    const error = await import("../../../index").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as Error).name).toBe("ConfigInvalidError");
    expect((error as Error).message).toMatch(message);
    await pulumi.runtime.disconnect();
    expect(registered).toEqual([]);
  }
});

test("a valid catalog is registered in full", async () => {
  setStackConfig(projectWith(EXAMPLE_TENANTS, "valid"));
  await pulumi.runtime.disconnect();
  const ev = await evaluate(() => import("../../../index"), { stack: "default" });
  expect(Object.keys((ev.exports as { tenants: object }).tenants).sort()).toEqual(["acme", "acme-research", "globex", "initech", "umbrella"]);
  expect((ev.exports as { tenants: Record<string, { hostname: string }> }).tenants.acme.hostname).toBe("acme.saas.example.com");
  expect(ev.registrations.filter((r) => r.type === "tenancy:index:Tenant")).toHaveLength(5);
  // Secrets read from the stack config stay secret all the way to the provider.
  expect(ev.registrations.find((r) => r.type === "pulumi:providers:postgresql")!.secretInputs).toEqual(["password"]);
});
