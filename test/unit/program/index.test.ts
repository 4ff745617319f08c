// index.ts, the real entry point: config from the stack, catalog from tenancy:tenantsDir, and not a
// single resource registered when the catalog is broken.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, afterEach, beforeEach, expect, test, vi } from "vitest";
import type { CatalogInvalidError } from "../../../lib/catalog";
import { evaluate } from "../../../lib/plan/evaluate";
import { mockOutputs } from "../../../lib/plan/mock-outputs";
import { EXAMPLE_TENANTS, exampleRawConfig } from "../tenancy-fixtures";

const scratch = mkdtempSync(join(tmpdir(), "tenancy-index-"));
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
    "test",
    false,
  );
});

afterEach(async () => {
  await pulumi.runtime.disconnect();
});

/** Stack config as the engine passes it: every value a string, objects as JSON, secrets listed. */
function setStackConfig(tenantsDir: string, drop: string[] = []) {
  const raw = exampleRawConfig({ tenantsDir });
  for (const key of drop) delete raw[key];
  const values = Object.fromEntries(Object.entries(raw).map(([k, v]) => [`tenancy:${k}`, typeof v === "string" ? v : JSON.stringify(v)]));
  pulumi.runtime.setAllConfig(values, ["tenancy:databasePasswords", "tenancy:controlPlaneClientSecret", "tenancy:webhookSecret"]);
}

test("a broken catalog throws every error and registers no resource", async () => {
  const dir = join(scratch, "broken");
  cpSync(EXAMPLE_TENANTS, dir, { recursive: true });
  writeFileSync(join(dir, "globex.yaml"), "id: globex\nname: Globex\ndatabase: { isolation: databse, server: main }\n");
  writeFileSync(join(dir, "initech.yaml"), "id: initech\nname: Initech\nplan: platinum\n");
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
  setStackConfig(EXAMPLE_TENANTS, ["bucketPrefix", "databasePasswords"]);
  const error = await import("../../../index").then(
    () => undefined,
    (e: unknown) => e,
  );
  expect((error as Error).name).toBe("ConfigInvalidError");
  expect((error as Error).message).toMatch(/tenancy:bucketPrefix: missing[\s\S]*tenancy:databasePasswords: missing/);
  await pulumi.runtime.disconnect();
  expect(registered).toEqual([]);
});

test("a valid catalog is registered in full", async () => {
  setStackConfig(EXAMPLE_TENANTS);
  await pulumi.runtime.disconnect();
  const ev = await evaluate(() => import("../../../index"));
  expect(Object.keys((ev.exports as { tenants: object }).tenants).sort()).toEqual(["acme", "acme-research", "globex", "initech", "umbrella"]);
  expect((ev.exports as { tenants: Record<string, { hostname: string }> }).tenants.acme.hostname).toBe("acme.saas.example.com");
  expect(ev.registrations.filter((r) => r.type === "tenancy:index:Tenant")).toHaveLength(5);
  // Secrets read from the stack config stay secret all the way to the provider.
  expect(ev.registrations.find((r) => r.type === "pulumi:providers:postgresql")!.secretInputs).toEqual(["password"]);
});
