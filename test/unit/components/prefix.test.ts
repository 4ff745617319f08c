// TenantPrefix under Pulumi's mocks (lib/plan/evaluate.ts): its S3 credentials are secret as an
// input, in the outputs delete will read, and never in the serialized provider.
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, test } from "vitest";
import { evaluate, plaintextOccurrences } from "../../../lib/plan/evaluate";
import { TenantPrefix } from "../../../components/storage/tenantPrefix";
import { stageOf } from "../../../lib/lifecycle/order";
import { registerProgram } from "../../../lib/program";
import { catalogOf, exampleConfig } from "../tenancy-fixtures";

const CANARY = "s3-secret-canary-unit-83d1f0";

describe("TenantPrefix", async () => {
  const ev = await evaluate(() => {
    const r = new TenantPrefix("acme-storage-prefix", {
      tenantId: "acme",
      bucket: "example-shared-default-eu-west-1",
      region: "eu-west-1",
      prefix: "tenants/acme/",
      onDelete: "delete",
      endpoint: "http://127.0.0.1:4568",
      forcePathStyle: true,
      credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: CANARY },
    });
    const outputs = r as unknown as Record<"credentials" | "prefix" | "bucket", pulumi.Output<unknown>>;
    return { credentials: outputs.credentials, prefix: outputs.prefix, bucket: outputs.bucket };
  });
  const [registration] = ev.registrations;

  test("registers the dynamic type that lib/lifecycle/order.ts puts in the storage stage", () => {
    expect(registration.type).toBe("pulumi-nodejs:dynamic/tenancy:TenantPrefix");
    expect(stageOf(registration.type)).toBe("storage");
  });

  test("the canary secret is in no plaintext input, output or provider code, yet reaches the resource", () => {
    expect(plaintextOccurrences(ev, CANARY)).toEqual([]);
    expect(registration.inputs.credentials).toEqual({ accessKeyId: "AKIDEXAMPLE", secretAccessKey: CANARY });
    expect(registration.secretInputs).toContain("credentials");
    expect(registration.additionalSecretOutputs).toContain("credentials");
    expect(ev.secretExports).toEqual(["credentials"]);
    expect(ev.exports).toMatchObject({ prefix: "tenants/acme/", bucket: "example-shared-default-eu-west-1" });
    expect(registration.providerCode).not.toContain(CANARY);
  });
});

describe("TenantPrefix in a tenant", async () => {
  const catalog = catalogOf({
    kept: { lifecycle: { deletion_protection: true, on_delete: "backup" } },
    gone: { lifecycle: { deletion_protection: false, on_delete: "delete" } },
  });
  const ev = await evaluate(() => registerProgram(catalog, exampleConfig()));
  const prefix = (id: string) => ev.registrations.find((r) => r.name === `${id}-storage-prefix`)!;

  test("deletion_protection protects it like a tenant's own bucket; backup and delete both empty the prefix", () => {
    expect(catalog.tenants.map((t) => t.storage.mode)).toEqual(["prefix", "prefix"]);
    expect(prefix("kept")).toMatchObject({ protect: true, retainOnDelete: false, inputs: { onDelete: "delete", prefix: "tenants/kept/" } });
    expect(prefix("gone")).toMatchObject({ protect: false, retainOnDelete: false, inputs: { onDelete: "delete", prefix: "tenants/gone/" } });
  });
});
