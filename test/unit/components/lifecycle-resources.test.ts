// The lifecycle resources under Pulumi's own mocks: type tokens, secret inputs, serialized code.
import { loaderText } from "../../../components/dynamic";
import type { ProviderKind } from "../../../providers";
import * as pulumi from "@pulumi/pulumi";
import { afterEach, beforeAll, describe, expect, it } from "vitest";

const CANARY_SECRET = "canary-hmac-secret-31b9e0c4";
const CANARY_PASSWORD = "canary-db-password-a77f02";
const CANARY_KEY = "canary-s3-key-5d5e";

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, any>;
}
const registered: Registered[] = [];

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs });
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call: () => ({}),
    },
    "tenancy",
    "test",
    false,
  );
});
afterEach(() => {
  registered.length = 0;
});

const tenant = { id: "acme", name: "Acme", friendly_name: "Acme", plan: "pro", status: "active", cell: "eu-1", region: "eu-west-1", parent: null };

function outputValue(o: pulumi.Output<string>): Promise<{ value: string; secret: boolean }> {
  return new Promise((resolve) => {
    o.apply(async (value) => resolve({ value, secret: await pulumi.isSecret(o) }));
  });
}

describe("lifecycle resources", () => {
  it("register under tenancy type tokens with secrets wrapped and absent from the provider code", async () => {
    const { LifecycleHook, DeletedHook, TenantBackup } = await import("../../../components/lifecycle");
    const urls = { created: ["https://hooks.example.com/c"], updated: [], deleting: ["https://hooks.example.com/d"] };
    const hook = new LifecycleHook("acme-lifecycle", { tenant, urls, secret: CANARY_SECRET });
    new DeletedHook("acme-deleted", { tenant, urls: ["https://hooks.example.com/x"], secret: pulumi.secret(CANARY_SECRET) });
    const backup = new TenantBackup("acme-backup", {
      target: { server: "main", host: "db.internal", port: 5432, user: "admin", database: "tenant_acme", sslmode: "require", isolation: "database", tenantId: "acme", schema: "public", role: "tenant_acme", ownerRole: "tenancy_owner", appRole: "tenancy_app" },
      password: CANARY_PASSWORD,
      store: { bucket: "acme-backups", region: "eu-west-1" },
      credentials: { accessKeyId: "AKIA", secretAccessKey: CANARY_KEY },
      onDelete: "backup",
    });
    const secret = await outputValue((hook as unknown as { secret: pulumi.Output<string> }).secret);
    expect(secret).toEqual({ value: CANARY_SECRET, secret: true });
    const password = await outputValue((backup as unknown as { password: pulumi.Output<string> }).password);
    expect(password).toEqual({ value: CANARY_PASSWORD, secret: true });
    await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs?.();

    expect(registered.map((r) => r.type).sort()).toEqual([
      "pulumi-nodejs:dynamic/tenancy:DeletedHook",
      "pulumi-nodejs:dynamic/tenancy:LifecycleHook",
      "pulumi-nodejs:dynamic/tenancy:TenantBackup",
    ]);
    for (const r of registered) {
      const code = r.inputs.__provider as string;
      expect(code).toBe(loaderText(r.type.split(":").pop() as ProviderKind));
      for (const canary of [CANARY_SECRET, CANARY_PASSWORD, CANARY_KEY]) expect(code).not.toContain(canary);
    }
  });
});
