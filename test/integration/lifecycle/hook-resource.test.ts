// The lifecycle-hook providers run as the engine runs them (serialized, in a fresh node process)
// against a real HTTPS receiver on 127.0.0.1.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { deletedHookProvider, lifecycleHookProvider, type DeletedHookInputs, type LifecycleHookInputs } from "../../../lib/lifecycle/hook-resource";
import { verifySignature, type HookTenant } from "../../../lib/lifecycle/webhooks";
import { serializeProvider, type SerializedProvider } from "../../harness/engine";
import { startWebhookReceiver, type WebhookReceiver } from "../../harness/webhook-receiver";

const SECRET = "whsec-canary-2b7e151628aed2a6abf7";
const tenant: HookTenant = { id: "acme", name: "Acme Corporation", friendly_name: "Acme", plan: "pro", status: "active", cell: "eu-1", region: "eu-west-1", parent: null };
const retry = { baseDelayMs: 20, maxDelayMs: 100, maxAttempts: 3, requestTimeoutMs: 2_000, totalTimeoutMs: 5_000 };

let receiver: WebhookReceiver;
let lifecycle: SerializedProvider;
let deleted: SerializedProvider;
beforeAll(async () => {
  receiver = await startWebhookReceiver();
  lifecycle = await serializeProvider(lifecycleHookProvider);
  deleted = await serializeProvider(deletedHookProvider);
});
afterAll(async () => {
  await receiver?.stop();
});
beforeEach(() => {
  receiver.requests.length = 0;
  receiver.respond = () => 200;
});

function lifecycleInputs(overrides: Partial<LifecycleHookInputs> = {}): LifecycleHookInputs {
  const u = (p: string) => [`${receiver.url}/${p}`];
  return { tenant, urls: { created: u("created"), updated: u("updated"), deleting: u("deleting") }, secret: SECRET, ca: receiver.ca, retry, ...overrides };
}

function events(): string[] {
  return receiver.requests.map((r) => {
    expect(verifySignature({ secret: SECRET, header: r.headers["x-tenancy-signature"] as string, body: r.body }).ok).toBe(true);
    return `${r.path} ${JSON.parse(r.body).event} ${JSON.parse(r.body).tenant.name}`;
  });
}

describe("serialized providers", () => {
  it("carry no secret and no captured module state", () => {
    for (const p of [lifecycle, deleted]) {
      expect(p.containsSecrets).toBe(false);
      expect(p.text).not.toContain(SECRET);
      expect(p.text).toContain('require("node:https")');
      expect(p.text).toContain('require("node:crypto")');
    }
  });
});

describe("LifecycleHook through the engine", () => {
  it("create sends created, update sends updated only when the tenant changed, delete sends deleting", async () => {
    const created = await lifecycle.call("create", lifecycle.inputs(lifecycleInputs()));
    expect(created.id).toBe("acme-lifecycle-hook");
    expect(created.outs.secret).toBe(SECRET);
    expect(created.outs.__provider).toBeUndefined();
    expect(events()).toEqual(["/created created Acme Corporation"]);

    receiver.requests.length = 0;
    const moreUrls = lifecycleInputs({ urls: { ...lifecycleInputs().urls, updated: [`${receiver.url}/updated`, `${receiver.url}/updated-2`] } });
    const diff = await lifecycle.call("diff", created.id, created.outs, lifecycle.inputs(moreUrls));
    expect(diff).toMatchObject({ changes: true, replaces: [] });
    const sameTenant = await lifecycle.call("update", created.id, created.outs, lifecycle.inputs(moreUrls));
    expect(receiver.requests).toHaveLength(0);

    const renamed = { ...moreUrls, tenant: { ...tenant, name: "Acme Inc." } };
    const updated = await lifecycle.call("update", created.id, sameTenant.outs, lifecycle.inputs(renamed));
    expect(events().sort()).toEqual(["/updated updated Acme Inc.", "/updated-2 updated Acme Inc."]);

    receiver.requests.length = 0;
    expect(await lifecycle.call("diff", created.id, updated.outs, lifecycle.inputs(renamed))).toMatchObject({ changes: false });
    await lifecycle.call("delete", created.id, updated.outs);
    expect(events()).toEqual(["/deleting deleting Acme Inc."]);
  });

  it("a failing deleting hook makes delete throw, saying nothing was deleted", async () => {
    receiver.respond = () => 503;
    const run = await lifecycle.run([{ method: "delete", args: ["acme-lifecycle-hook", lifecycleInputs()] }]);
    const [result] = run.results;
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.message).toContain(`deleting webhook of tenant acme failed for 1 of 1 URL(s): ${receiver.url}/deleting (HTTP 503 after 3 attempt(s)`);
    expect(result.message).toContain("Nothing of tenant acme was deleted");
    expect(result.message).not.toContain(SECRET);
    expect(run.logs).not.toContain(SECRET);
    expect(receiver.requests).toHaveLength(3);
  });

  it("a failing created hook fails the create (nothing recorded, the rerun sends again)", async () => {
    receiver.respond = () => 404;
    await expect(lifecycle.call("create", lifecycle.inputs(lifecycleInputs()))).rejects.toThrow(/created webhook of tenant acme failed .*HTTP 404 after 1 attempt/);
  });

  it("check refuses bad inputs with reasons and sends nothing", async () => {
    const bad = lifecycleInputs({ secret: "short", urls: { created: ["http://127.0.0.1:1/x"], updated: [], deleting: [] }, tenant: { ...tenant, id: "Not An Id" } });
    const result = await lifecycle.call("check", {}, lifecycle.inputs(bad));
    expect(result.failures.map((f: { property: string }) => f.property).sort()).toEqual(["secret", "tenant", "urls"]);
    expect(JSON.stringify(result.failures)).toContain("tenancy:webhookSecret");
    expect(JSON.stringify(result.failures)).not.toContain("short");
    expect(receiver.requests).toHaveLength(0);
    const good = await lifecycle.call("check", {}, lifecycle.inputs(lifecycleInputs()));
    expect(good.failures).toBeUndefined();
  });
});

describe("DeletedHook through the engine", () => {
  const inputs = (): DeletedHookInputs => ({ tenant, urls: [`${receiver.url}/deleted`], secret: SECRET, ca: receiver.ca, retry });

  it("create and update send nothing; delete sends deleted", async () => {
    const created = await deleted.call("create", deleted.inputs(inputs()));
    expect(created.id).toBe("acme-deleted-hook");
    await deleted.call("update", created.id, created.outs, deleted.inputs({ ...inputs(), tenant: { ...tenant, status: "suspended" } }));
    expect(receiver.requests).toHaveLength(0);
    await deleted.call("delete", created.id, created.outs);
    expect(events()).toEqual(["/deleted deleted Acme Corporation"]);
  });

  it("a failing deleted hook is reported and says nothing is undone", async () => {
    receiver.respond = () => 500;
    await expect(deleted.call("delete", "acme-deleted-hook", inputs())).rejects.toThrow(/deleted webhook of tenant acme failed .*HTTP 500 after 3 attempt.*already deleted and stays deleted/);
  });
});
