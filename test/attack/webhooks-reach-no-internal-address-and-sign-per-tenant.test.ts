// Attack: a webhook URL aimed inside the deployment's network (loopback, private ranges, the cloud
// metadata service) in any spelling (decimal, hex, octal, IPv4-mapped IPv6, NAT64), or a name that
// resolves there, possibly only at connection time (DNS rebinding); delivery errors used to map
// which internal ports are open, closed or speak TLS; a receiver of one tenant forging another
// tenant's events with the shared secret; replays; a receiver whose tolerance is NaN.
// Held: targets are refused before and after DNS and at connection time; every failure below HTTP
// reads the same; each tenant's receivers verify with a key of its own (HKDF of the secret and the
// tenant id, picked by kid); deliveries carry an id the signed body repeats, which DeliveryLog
// refuses twice; a tolerance that is not a whole number in range refuses everything.
// Receivers here listen on 127.0.0.1, which production refuses: the tests say so with the narrow,
// test-only allowance (`allowLoopback`, or TEST_ONLY_LOOPBACK_ENV), which allows loopback and
// nothing else.
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { blockedAddress } from "../../providers/webhooks/address";
import { checkHookUrl, NO_ANSWER, sendEvent } from "../../providers/webhooks/send";
import { DeliveryLog, signatureHeader, verifyDelivery, verifySignature, webhookKey, type HookTenant } from "../../providers/webhooks/signature";
import { resolveTarget, targetPolicy, TEST_ONLY_LOOPBACK_ENV, vettedLookup } from "../../providers/webhooks/target";
import { startWebhookReceiver, type WebhookReceiver } from "../harness/webhook-receiver";

const SECRET = "whsec-master-canary-4b1d9e0f77";
const tenant: HookTenant = { id: "acme", name: "Acme", friendly_name: "Acme", plan: "pro", status: "active", cell: "eu-1", region: "eu-west-1", parent: null };
const production = targetPolicy(false, {});
const once = { attempts: 1, timeoutMs: 1_500, totalTimeoutMs: 3_000, baseDelayMs: 10, maxDelayMs: 10 };

let receiver: WebhookReceiver;
beforeAll(async () => {
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await receiver?.stop();
});

describe("webhook targets", () => {
  const REFUSED = [
    "https://127.0.0.1/", "https://127.8.9.10:8443/x", "https://0x7f000001/", "https://2130706433/", "https://0177.0.0.1/", "https://127.1/",
    "https://169.254.169.254/latest/meta-data/", "https://0xa9fea9fe/", "https://[::ffff:169.254.169.254]/", "https://[::ffff:a9fe:a9fe]/",
    "https://[fd00:ec2::254]/", "https://100.100.100.200/", "https://168.63.129.16/", "https://0.0.0.0/", "https://[::]/", "https://[::1]/",
    "https://[::ffff:127.0.0.1]/", "https://[64:ff9b::a9fe:a9fe]/", "https://[2002:a9fe:a9fe::1]/", "https://[fe80::1]/", "https://10.1.2.3/",
    "https://172.20.0.1/", "https://192.168.0.10/", "https://100.64.0.1/", "https://[fc00::1]/", "https://224.0.0.1/", "https://255.255.255.255/",
    "https://localhost/", "https://api.localhost/", "https://metadata/", "https://metadata.google.internal/computeMetadata/v1/", "https://printer.local/",
  ];

  it("refuses loopback, private, link-local, metadata and unspecified hosts, in every spelling, before any connection", async () => {
    const accepted = REFUSED.filter((url) => {
      try {
        checkHookUrl(url, production);
        return true;
      } catch (error) {
        return !/refused: its host (is|names)/.test((error as Error).message);
      }
    });
    expect(accepted).toEqual([]);
    expect(checkHookUrl("https://hooks.example.com/x", production).hostname).toBe("hooks.example.com");
    expect(checkHookUrl("https://93.184.215.14/x", production).hostname).toBe("93.184.215.14");
  });

  it("refuses a name that resolves to such an address, after DNS and again at connection time (DNS rebinding)", async () => {
    const answers = [[{ address: "93.184.215.14", family: 4 }], [{ address: "169.254.169.254", family: 4 }]];
    let call = 0;
    const rebinding = async () => answers[Math.min(call++, 1)];
    const url = new URL("https://hooks.example.com/x");
    expect(await resolveTarget(url, production, rebinding)).toEqual(["93.184.215.14"]);
    const failed = await new Promise<NodeJS.ErrnoException | null>((resolve) => vettedLookup(production, rebinding)("hooks.example.com", { all: true }, (error) => resolve(error)));
    expect(failed?.message).toBe("hooks.example.com resolves to an address a webhook may not reach");
    const mixed = async () => [{ address: "93.184.215.14", family: 4 }, { address: "::ffff:10.0.0.7", family: 6 }];
    await expect(resolveTarget(url, production, mixed)).rejects.toThrow("webhook URL https://hooks.example.com refused: its host resolves to ::ffff:10.0.0.7, which is private, inside an IPv6 address");
  });

  it("classifies the forms IPv6 hides IPv4 in", () => {
    expect(blockedAddress("::ffff:7f00:1")).toBe("loopback, inside an IPv6 address");
    expect(blockedAddress("64:ff9b::808:808")).toBeUndefined();
    expect(blockedAddress("2002:0808:0808::1")).toBeUndefined();
    expect(blockedAddress("2001:0:4136:e378::1")).toMatch(/Teredo/);
    expect(blockedAddress("2606:4700::1111")).toBeUndefined();
  });

  it("the test-only allowance allows loopback and nothing else; without it, loopback is refused", async () => {
    expect(targetPolicy(undefined, { [TEST_ONLY_LOOPBACK_ENV]: "1" })).toEqual({ loopbackOnly: true });
    expect(targetPolicy(undefined, {})).toEqual({ loopbackOnly: false });
    const loopbackOnly = targetPolicy(true, {});
    expect(() => checkHookUrl("https://93.184.215.14/x", loopbackOnly)).toThrow(/is not a loopback address, and TENANCY_TEST_ONLY_LOOPBACK_WEBHOOKS \(tests only\) allows loopback targets and nothing else/);
    expect(() => checkHookUrl("https://10.0.0.1/x", loopbackOnly)).toThrow(/is not a loopback address/);
    const refused = await sendEvent({ event: "created", tenant, urls: [`${receiver.url}/x`], secret: SECRET, ca: receiver.ca, retry: once }).catch((e: Error) => e);
    expect((refused as Error).message).toMatch(/refused: its host is loopback/);
    expect(receiver.requests).toHaveLength(0);
  });
});

describe("delivery errors", () => {
  it("read the same for a closed port, a reset, an untrusted certificate and a timeout", async () => {
    const closed = await startWebhookReceiver();
    const closedUrl = closed.url;
    await closed.stop();
    const resetter = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => resetter.listen(0, "127.0.0.1", resolve));
    const resetUrl = `https://127.0.0.1:${(resetter.address() as { port: number }).port}`;
    receiver.respond = (request) => (request.path === "/hang" ? "hang" : 200);
    const failures: string[] = [];
    for (const [url, ca] of [[`${closedUrl}/x`, receiver.ca], [`${resetUrl}/x`, receiver.ca], [`${receiver.url}/x`, undefined], [`${receiver.url}/hang`, receiver.ca]] as const) {
      const error = await sendEvent({ event: "created", tenant, urls: [url], secret: SECRET, ca, retry: once, allowLoopback: true }).catch((e) => e);
      failures.push(error.results[0].failure);
    }
    resetter.close();
    expect(failures).toEqual([NO_ANSWER, NO_ANSWER, NO_ANSWER, NO_ANSWER]);
  });
});

describe("signatures", () => {
  it("each tenant's receivers verify with a key of their own; the master secret never travels", async () => {
    receiver.requests.length = 0;
    receiver.respond = () => 200;
    const globex = { ...tenant, id: "globex" };
    await sendEvent({ event: "created", tenant, urls: [`${receiver.url}/acme`], secret: SECRET, ca: receiver.ca, allowLoopback: true });
    await sendEvent({ event: "created", tenant: globex, urls: [`${receiver.url}/globex`], secret: SECRET, ca: receiver.ca, allowLoopback: true });
    const [acmeRequest, globexRequest] = receiver.requests;
    const acmeKeys = [webhookKey(SECRET, "acme")];
    const header = (r: typeof acmeRequest) => r.headers["x-tenancy-signature"] as string;
    expect(header(acmeRequest)).toMatch(new RegExp(`^t=\\d+,kid=${acmeKeys[0].kid},v1=[0-9a-f]{64}$`));
    expect(verifySignature({ keys: acmeKeys, header: header(acmeRequest), body: acmeRequest.body })).toMatchObject({ ok: true });
    // Acme's key cannot verify (or forge) Globex's events.
    expect(verifySignature({ keys: acmeKeys, header: header(globexRequest), body: globexRequest.body })).toEqual({ ok: false, reason: "signature does not match" });
    for (const r of receiver.requests) expect(JSON.stringify(r.headers) + r.body).not.toContain(SECRET);
  });

  it("a rotated secret changes the kid: a receiver holding old and new keys accepts both, one with only the old key says what to do", () => {
    const body = '{"event":"created","delivery":"d-1"}';
    const old = webhookKey(SECRET, "acme");
    const fresh = webhookKey(`${SECRET}-rotated`, "acme");
    expect(fresh.kid).not.toBe(old.kid);
    const now = 1_800_000_000;
    const signed = signatureHeader(fresh, now, body);
    expect(verifySignature({ keys: [old, fresh], header: signed, body, now })).toMatchObject({ ok: true, kid: fresh.kid });
    expect(verifySignature({ keys: [old], header: signed, body, now })).toEqual({ ok: false, reason: `no key with kid ${fresh.kid}: the signing secret was rotated; get this tenant's new key` });
  });

  it("a tolerance that is not a whole number from 1 to a day refuses everything instead of disabling expiry", () => {
    const key = webhookKey(SECRET, "acme");
    const body = "{}";
    const header = signatureHeader(key, 1_000, body);
    for (const toleranceSeconds of [NaN, Infinity, -1, 0, 1.5, 10 ** 9]) {
      expect(verifySignature({ keys: [key], header, body, now: 1_000, toleranceSeconds })).toMatchObject({ ok: false, reason: expect.stringContaining("toleranceSeconds must be a whole number") });
    }
    expect(verifySignature({ keys: [key], header, body, now: NaN })).toMatchObject({ ok: false, reason: expect.stringContaining("now must be") });
  });

  it("a replayed delivery, or a delivery header that is not the signed body's, is refused", () => {
    const key = webhookKey(SECRET, "acme");
    const body = JSON.stringify({ event: "deleting", tenant, at: "2026-01-01T00:00:00Z", delivery: "4c8f-delivery" });
    const now = 1_800_000_000;
    const headers = { "x-tenancy-signature": signatureHeader(key, now, body), "x-tenancy-delivery": "4c8f-delivery" };
    const log = new DeliveryLog();
    expect(verifyDelivery({ keys: [key], headers, body, now, log })).toMatchObject({ ok: true, delivery: "4c8f-delivery" });
    expect(verifyDelivery({ keys: [key], headers, body, now: now + 10, log })).toEqual({ ok: false, reason: "delivery 4c8f-delivery was already accepted (a replay or a retry)" });
    expect(verifyDelivery({ keys: [key], headers: { ...headers, "x-tenancy-delivery": "other" }, body, now, log: new DeliveryLog() })).toMatchObject({ ok: false });
  });
});
