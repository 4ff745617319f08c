// Lifecycle webhooks against a real HTTPS receiver on 127.0.0.1 (certificate made at test time).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { isHookDeliveryError, NO_ANSWER, sendEvent } from "../../../providers/webhooks/send";
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, verifySignature, webhookKey, type HookTenant } from "../../../providers/webhooks/signature";
import { startWebhookReceiver, type WebhookReceiver } from "../../harness/webhook-receiver";

const SECRET = "whsec-canary-7f3a9c1e-do-not-leak";
/** What acme's receivers verify with: the key derived from the secret for acme. */
const KEYS = [webhookKey(SECRET, "acme")];
const tenant: HookTenant = { id: "acme", name: "Acme Corporation", friendly_name: "Acme", plan: "pro", status: "active", cell: "eu-1", region: "eu-west-1", parent: null };
const fast = { baseDelayMs: 20, maxDelayMs: 200, timeoutMs: 2_000, totalTimeoutMs: 10_000 };

let receiver: WebhookReceiver;
beforeAll(async () => {
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await receiver?.stop();
});
beforeEach(() => {
  receiver.requests.length = 0;
  receiver.respond = () => 200;
});

describe("sendEvent", () => {
  it("posts a signed JSON payload that the receiver verifies", async () => {
    const [result] = await sendEvent({ event: "created", tenant, urls: [`${receiver.url}/hooks/a`], secret: SECRET, ca: receiver.ca, allowLoopback: true, retry: fast });
    expect(result).toMatchObject({ ok: true, attempts: 1, status: 200 });
    expect(receiver.requests).toHaveLength(1);
    const req = receiver.requests[0];
    expect(req.method).toBe("POST");
    expect(req.path).toBe("/hooks/a");
    expect(req.headers["content-type"]).toBe("application/json");
    expect(req.headers[EVENT_HEADER.toLowerCase()]).toBe("created");
    const payload = JSON.parse(req.body);
    expect(payload).toMatchObject({ event: "created", tenant });
    expect(req.headers[DELIVERY_HEADER.toLowerCase()]).toBe(payload.delivery);
    expect(payload.delivery).toBe(result.delivery);
    expect(Date.parse(payload.at)).toBeGreaterThan(Date.now() - 60_000);
    const header = req.headers[SIGNATURE_HEADER.toLowerCase()] as string;
    expect(header).toMatch(/^t=\d+,kid=[0-9a-f]{12},v1=[0-9a-f]{64}$/);
    expect(verifySignature({ keys: KEYS, header, body: req.body })).toMatchObject({ ok: true });
    expect(verifySignature({ keys: [webhookKey("another-secret", "acme")], header, body: req.body }).ok).toBe(false);
    expect(verifySignature({ keys: [webhookKey(SECRET, "globex")], header, body: req.body })).toEqual({ ok: false, reason: "signature does not match" });
    expect(verifySignature({ keys: KEYS, header, body: req.body.replace("Acme", "Evil") }).ok).toBe(false);
    expect(req.body).not.toContain(SECRET);
  });

  it("retries 5xx and dropped connections with backoff, keeping the delivery id, then succeeds", async () => {
    receiver.respond = (_req, n) => (n === 1 ? 503 : n === 2 ? "reset" : n === 3 ? 500 : 204);
    const [result] = await sendEvent({ event: "updated", tenant, urls: [`${receiver.url}/flaky`], secret: SECRET, ca: receiver.ca, allowLoopback: true, retry: { ...fast, attempts: 5 } });
    expect(result).toMatchObject({ ok: true, attempts: 4, status: 204 });
    expect(receiver.requests).toHaveLength(4);
    const ids = new Set(receiver.requests.map((r) => r.headers[DELIVERY_HEADER.toLowerCase()]));
    expect(ids.size).toBe(1);
    for (const r of receiver.requests) {
      expect(verifySignature({ keys: KEYS, header: r.headers[SIGNATURE_HEADER.toLowerCase()] as string, body: r.body }).ok).toBe(true);
    }
  });

  it("does not retry a 4xx other than 408/429 and names the URL without its query", async () => {
    receiver.respond = () => 400;
    const error = await sendEvent({ event: "deleting", tenant, urls: [`${receiver.url}/bad?token=querysecret`], secret: SECRET, ca: receiver.ca, allowLoopback: true, retry: fast }).catch((e) => e);
    expect(isHookDeliveryError(error)).toBe(true);
    expect(error.message).toContain(`deleting webhook of tenant acme failed for 1 of 1 URL(s): ${receiver.url}/bad (HTTP 400 after 1 attempt(s)`);
    expect(error.message).not.toContain("querysecret");
    expect(error.message).not.toContain(SECRET);
    expect(receiver.requests).toHaveLength(1);
  });

  it("honours Retry-After on 429", async () => {
    receiver.respond = (_req, n) => (n === 1 ? { status: 429, headers: { "Retry-After": "1" } } : 200);
    const [result] = await sendEvent({ event: "updated", tenant, urls: [`${receiver.url}/slow-down`], secret: SECRET, ca: receiver.ca, allowLoopback: true, retry: { ...fast, maxDelayMs: 2_000 } });
    expect(result.attempts).toBe(2);
    const gap = receiver.requests[1].atMs - receiver.requests[0].atMs;
    expect(gap).toBeGreaterThanOrEqual(950);
  });

  it("gives up after attempts on persistent failure", async () => {
    receiver.respond = () => 502;
    const error = await sendEvent({ event: "deleting", tenant, urls: [`${receiver.url}/down`], secret: SECRET, ca: receiver.ca, allowLoopback: true, retry: { ...fast, attempts: 3 } }).catch((e) => e);
    expect(error.message).toContain("HTTP 502 after 3 attempt(s)");
    expect(receiver.requests).toHaveLength(3);
  });

  it("bounds the total time when the receiver never answers", async () => {
    receiver.respond = () => "hang";
    const started = Date.now();
    const error = await sendEvent({ event: "deleting", tenant, urls: [`${receiver.url}/hang`], secret: SECRET, ca: receiver.ca, allowLoopback: true, retry: { baseDelayMs: 20, maxDelayMs: 50, timeoutMs: 300, totalTimeoutMs: 1_000, attempts: 100 } }).catch((e) => e);
    const took = Date.now() - started;
    expect(isHookDeliveryError(error)).toBe(true);
    expect(error.message).toContain(NO_ANSWER);
    expect(took).toBeLessThan(2_000);
    expect(receiver.requests.length).toBeGreaterThanOrEqual(2);
  });

  it("bounds each attempt even when the receiver answers byte by byte", async () => {
    receiver.respond = () => "trickle";
    const started = Date.now();
    const error = await sendEvent({ event: "deleting", tenant, urls: [`${receiver.url}/trickle`], secret: SECRET, ca: receiver.ca, allowLoopback: true, retry: { baseDelayMs: 20, maxDelayMs: 50, timeoutMs: 400, totalTimeoutMs: 5_000, attempts: 2 } }).catch((e) => e);
    expect(isHookDeliveryError(error)).toBe(true);
    expect(error.message).toContain(NO_ANSWER);
    expect(error.message).toContain("after 2 attempt(s)");
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("refuses a certificate it does not trust (no ca): production stays strict, and does not say why", async () => {
    const error = await sendEvent({ event: "created", tenant, urls: [`${receiver.url}/x`], secret: SECRET, retry: { ...fast, attempts: 2 }, allowLoopback: true }).catch((e) => e);
    expect(isHookDeliveryError(error)).toBe(true);
    expect(error.message).toContain(NO_ANSWER);
    expect(receiver.requests).toHaveLength(0);
  });

  it("refuses http:// and credentials in URLs before sending anything", async () => {
    const http = `${receiver.url.replace("https:", "http:")}/plain`;
    await expect(sendEvent({ event: "created", tenant, urls: [`${receiver.url}/ok`, http], secret: SECRET, ca: receiver.ca, allowLoopback: true })).rejects.toThrow(/must use https:\/\//);
    await expect(sendEvent({ event: "created", tenant, urls: [`https://user:pw@127.0.0.1:1/x`], secret: SECRET })).rejects.toThrow(/must not carry credentials/);
    expect(receiver.requests).toHaveLength(0);
  });

  it("refuses an empty secret", async () => {
    await expect(sendEvent({ event: "created", tenant, urls: [`${receiver.url}/ok`], secret: "", ca: receiver.ca, allowLoopback: true })).rejects.toThrow(/tenancy:webhookSecret/);
    expect(receiver.requests).toHaveLength(0);
  });

  it("delivers to every URL and reports only the ones that failed", async () => {
    receiver.respond = (req) => (req.path === "/broken" ? 410 : 200);
    const error = await sendEvent({ event: "deleting", tenant, urls: [`${receiver.url}/one`, `${receiver.url}/broken`, `${receiver.url}/two`], secret: SECRET, ca: receiver.ca, allowLoopback: true, retry: fast }).catch((e) => e);
    expect(isHookDeliveryError(error)).toBe(true);
    expect(error.message).toContain("failed for 1 of 3 URL(s)");
    expect(error.results.filter((r: { ok: boolean }) => r.ok).map((r: { url: string }) => r.url).sort()).toEqual([`${receiver.url}/one`, `${receiver.url}/two`]);
    expect(receiver.requests.map((r) => r.path).sort()).toEqual(["/broken", "/one", "/two"]);
    // Each URL gets its own delivery id.
    expect(new Set(receiver.requests.map((r) => r.headers[DELIVERY_HEADER.toLowerCase()])).size).toBe(3);
  });

  it("reports a refused connection as a failure below HTTP, without telling which", async () => {
    const closed = await startWebhookReceiver();
    const url = `${closed.url}/gone`;
    await closed.stop();
    const error = await sendEvent({ event: "deleted", tenant, urls: [url], secret: SECRET, ca: receiver.ca, allowLoopback: true, retry: { ...fast, attempts: 2 } }).catch((e) => e);
    expect(error.message).toContain(NO_ANSWER);
    expect(error.message).toContain("after 2 attempt(s)");
  });
});
