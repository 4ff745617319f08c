// The lifecycle-hook providers, called as the provider host calls them, against a real HTTPS
// receiver on 127.0.0.1 (its certificate's CA and quick retry timings come through the options).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { deletedHook, lifecycleHook, type DeletedHookInputs, type LifecycleHookInputs } from "../../../providers/webhooks/hooks";
import type { DeliveryOptions } from "../../../providers/webhooks/send";
import { verifySignature, webhookKey, type HookTenant } from "../../../providers/webhooks/signature";
import { TEST_ONLY_LOOPBACK_ENV } from "../../../providers/webhooks/target";
import { usePrintedOutput } from "../../harness/printed";
import { startWebhookReceiver, type WebhookReceiver } from "../../harness/webhook-receiver";

const SECRET = "whsec-canary-2b7e151628aed2a6abf7";
const tenant: HookTenant = { id: "acme", name: "Acme Corporation", friendly_name: "Acme", plan: "pro", status: "active", cell: "eu-1", region: "eu-west-1", parent: null };
const retry = { baseDelayMs: 20, maxDelayMs: 100, attempts: 3, timeoutMs: 2_000, totalTimeoutMs: 5_000 };

let receiver: WebhookReceiver;
let options: DeliveryOptions;
const printed = usePrintedOutput();
beforeAll(async () => {
  receiver = await startWebhookReceiver();
  options = { ca: receiver.ca, retry, allowLoopback: true };
  // check() takes no options: the receiver on 127.0.0.1 is allowed the way the engine tests allow it.
  process.env[TEST_ONLY_LOOPBACK_ENV] = "1";
});
afterAll(async () => {
  delete process.env[TEST_ONLY_LOOPBACK_ENV];
  await receiver?.stop();
});
beforeEach(() => {
  receiver.requests.length = 0;
  receiver.respond = () => 200;
});

function lifecycleInputs(overrides: Partial<LifecycleHookInputs> = {}): LifecycleHookInputs {
  const u = (p: string) => [`${receiver.url}/${p}`];
  return { tenant, urls: { created: u("created"), updated: u("updated"), deleting: u("deleting") }, secret: SECRET, ...overrides };
}

function events(): string[] {
  return receiver.requests.map((r) => {
    expect(verifySignature({ keys: [webhookKey(SECRET, "acme")], header: r.headers["x-tenancy-signature"] as string, body: r.body }).ok).toBe(true);
    return `${r.path} ${JSON.parse(r.body).event} ${JSON.parse(r.body).tenant.name}`;
  });
}

describe("LifecycleHook", () => {
  it("create sends created, update sends updated only when the tenant changed, delete sends deleting", async () => {
    const created = await lifecycleHook.create({ ...lifecycleInputs(), __provider: "the loader" }, options);
    expect(created.id).toBe("acme-lifecycle-hook");
    expect(created.outs.secret).toBe(SECRET);
    expect((created.outs as { __provider?: string }).__provider).toBeUndefined();
    // A hook has no object of its own: read reports the stored props.
    expect(await lifecycleHook.read(created.id, created.outs)).toEqual({ id: created.id, props: created.outs });
    expect(events()).toEqual(["/created created Acme Corporation"]);

    receiver.requests.length = 0;
    const moreUrls = lifecycleInputs({ urls: { ...lifecycleInputs().urls, updated: [`${receiver.url}/updated`, `${receiver.url}/updated-2`] } });
    const diff = await lifecycleHook.diff(created.id, created.outs, moreUrls);
    expect(diff).toMatchObject({ changes: true, replaces: [] });
    const sameTenant = await lifecycleHook.update(created.id, created.outs, moreUrls, options);
    expect(receiver.requests).toHaveLength(0);

    const renamed = { ...moreUrls, tenant: { ...tenant, name: "Acme Inc." } };
    const updated = await lifecycleHook.update(created.id, sameTenant.outs, renamed, options);
    expect(events().sort()).toEqual(["/updated updated Acme Inc.", "/updated-2 updated Acme Inc."]);

    receiver.requests.length = 0;
    expect(await lifecycleHook.diff(created.id, updated.outs, renamed)).toMatchObject({ changes: false });
    // A new loader text alone is an update that sends nothing.
    expect(await lifecycleHook.diff(created.id, { ...updated.outs, __provider: "old" }, { ...renamed, __provider: "new" })).toMatchObject({ changes: true, replaces: [] });
    await lifecycleHook.update(created.id, { ...updated.outs, __provider: "old" }, { ...renamed, __provider: "new" }, options);
    expect(receiver.requests).toHaveLength(0);
    await lifecycleHook.delete(created.id, updated.outs, options);
    expect(events()).toEqual(["/deleting deleting Acme Inc."]);
  });

  it("a failing deleting hook makes delete throw, saying nothing was deleted", async () => {
    receiver.respond = () => 503;
    const result = (await lifecycleHook.delete("acme-lifecycle-hook", lifecycleInputs(), options).catch((e: Error) => e)) as Error;
    expect(result).toBeInstanceOf(Error);
    expect(result.message).toContain(`deleting webhook of tenant acme failed for 1 of 1 URL(s): ${receiver.url}/deleting (HTTP 503 after 3 attempt(s)`);
    expect(result.message).toContain("Nothing of tenant acme was deleted");
    expect(result.message).not.toContain(SECRET);
    expect(printed.take()).not.toContain(SECRET);
    expect(receiver.requests).toHaveLength(3);
  });

  it("a failing created hook fails the create (nothing recorded, the rerun sends again)", async () => {
    receiver.respond = () => 404;
    await expect(lifecycleHook.create(lifecycleInputs(), options)).rejects.toThrow(/created webhook of tenant acme failed .*HTTP 404 after 1 attempt/);
  });

  it("check refuses bad inputs with reasons and sends nothing", async () => {
    const bad = lifecycleInputs({ secret: "short", urls: { created: ["http://127.0.0.1:1/x"], updated: [], deleting: [] }, tenant: { ...tenant, id: "Not An Id" } });
    const result = await lifecycleHook.check({}, bad);
    expect(result.failures!.map((f) => f.property).sort()).toEqual(["secret", "tenant", "urls"]);
    expect(JSON.stringify(result.failures)).toContain("tenancy:webhookSecret");
    expect(JSON.stringify(result.failures)).not.toContain("short");
    expect(receiver.requests).toHaveLength(0);
    const good = await lifecycleHook.check({}, lifecycleInputs());
    expect(good.failures).toBeUndefined();
  });
});

describe("suspension", () => {
  it("closes every lifecycle webhook but updated, and resuming reopens exactly those", async () => {
    const suspended = { ...tenant, status: "suspended" as const };
    const deleted = (t: HookTenant): DeletedHookInputs => ({ tenant: t, urls: [`${receiver.url}/deleted`], secret: SECRET });
    // Created suspended: no `created`.
    const hook = await lifecycleHook.create(lifecycleInputs({ tenant: suspended }), options);
    expect(receiver.requests).toHaveLength(0);
    // Resumed: `updated` says so; suspended again: `updated` says that too.
    const resumed = await lifecycleHook.update(hook.id, hook.outs, lifecycleInputs(), options);
    await lifecycleHook.update(hook.id, resumed.outs, lifecycleInputs({ tenant: suspended }), options);
    expect(events()).toEqual(["/updated updated Acme Corporation", "/updated updated Acme Corporation"]);
    expect(receiver.requests.map((r) => JSON.parse(r.body).tenant.status)).toEqual(["active", "suspended"]);
    // Offboarded while suspended: neither `deleting` nor `deleted` goes out.
    receiver.requests.length = 0;
    await lifecycleHook.delete(hook.id, lifecycleInputs({ tenant: suspended }), options);
    await deletedHook.delete("acme-deleted-hook", deleted(suspended), options);
    expect(receiver.requests).toHaveLength(0);
    // Active again, the same deletes send both.
    await lifecycleHook.delete(hook.id, lifecycleInputs(), options);
    await deletedHook.delete("acme-deleted-hook", deleted(tenant), options);
    expect(events()).toEqual(["/deleting deleting Acme Corporation", "/deleted deleted Acme Corporation"]);
  });
});

describe("DeletedHook", () => {
  const inputs = (): DeletedHookInputs => ({ tenant, urls: [`${receiver.url}/deleted`], secret: SECRET });

  it("create and update send nothing; delete sends deleted", async () => {
    const created = await deletedHook.create(inputs(), options);
    expect(created.id).toBe("acme-deleted-hook");
    await deletedHook.update(created.id, created.outs, { ...inputs(), tenant: { ...tenant, status: "suspended" } }, options);
    expect(receiver.requests).toHaveLength(0);
    expect(await deletedHook.read(created.id, created.outs)).toEqual({ id: created.id, props: created.outs });
    await deletedHook.delete(created.id, created.outs, options);
    expect(events()).toEqual(["/deleted deleted Acme Corporation"]);
  });

  it("a failing deleted hook is reported and says nothing is undone", async () => {
    receiver.respond = () => 500;
    await expect(deletedHook.delete("acme-deleted-hook", inputs(), options)).rejects.toThrow(/deleted webhook of tenant acme failed .*HTTP 500 after 3 attempt.*already deleted and stays deleted/);
  });
});
