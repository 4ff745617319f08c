// The webhooks' signature (what receivers verify) and URL rules.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkHookUrl } from "../../../providers/webhooks/send";
import { signatureHeader, verifySignature, webhookKey } from "../../../providers/webhooks/signature";

const SECRET = "s3cret-canary";
const KEY = webhookKey(SECRET, "acme");
const BODY = '{"event":"created"}';

describe("verifySignature", () => {
  const now = 1_800_000_000;
  const header = signatureHeader(KEY, now, BODY);

  it("accepts what signatureHeader produced", () => {
    expect(verifySignature({ keys: [KEY], header, body: BODY, now })).toEqual({ ok: true, timestamp: now, kid: KEY.kid });
    expect(verifySignature({ keys: [KEY], header, body: Buffer.from(BODY), now: now + 300 }).ok).toBe(true);
  });

  it("refuses a changed body, another secret, a moved timestamp", () => {
    expect(verifySignature({ keys: [KEY], header, body: BODY + " ", now }).ok).toBe(false);
    expect(verifySignature({ keys: [webhookKey("other", "acme")], header, body: BODY, now }).ok).toBe(false);
    const moved = header.replace(`t=${now}`, `t=${now + 1}`);
    expect(verifySignature({ keys: [KEY], header: moved, body: BODY, now })).toEqual({ ok: false, reason: "signature does not match" });
  });

  it("refuses stale and future timestamps beyond the tolerance", () => {
    expect(verifySignature({ keys: [KEY], header, body: BODY, now: now + 301 })).toMatchObject({ ok: false, reason: expect.stringContaining("more than 300s") });
    expect(verifySignature({ keys: [KEY], header, body: BODY, now: now - 301 }).ok).toBe(false);
    expect(verifySignature({ keys: [KEY], header, body: BODY, now: now + 1000, toleranceSeconds: 2000 }).ok).toBe(true);
  });

  it("explains malformed headers", () => {
    expect(verifySignature({ keys: [KEY], header: undefined, body: BODY, now })).toEqual({ ok: false, reason: "missing X-Tenancy-Signature header" });
    expect(verifySignature({ keys: [KEY], header: "v1=" + "a".repeat(64), body: BODY, now })).toMatchObject({ ok: false, reason: expect.stringContaining("no t=") });
    expect(verifySignature({ keys: [KEY], header: `t=${now},kid=${KEY.kid},v1=xyz`, body: BODY, now })).toMatchObject({ ok: false, reason: expect.stringContaining("no v1=") });
  });

  it("accepts any of several v1 entries", () => {
    const mac = header.split("v1=")[1];
    expect(verifySignature({ keys: [KEY], header: `t=${now},kid=${KEY.kid},v1=${"0".repeat(64)},v1=${mac}`, body: BODY, now }).ok).toBe(true);
  });

  it("round-trips for any secret and body", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string(), (secret, body) => {
        const key = webhookKey(secret, "acme");
        expect(verifySignature({ keys: [key], header: signatureHeader(key, now, body), body, now }).ok).toBe(true);
      }),
    );
  });
});

describe("checkHookUrl", () => {
  it("accepts https and refuses everything else with a reason", () => {
    expect(checkHookUrl("https://hooks.example.com/t?x=1").hostname).toBe("hooks.example.com");
    expect(() => checkHookUrl("http://hooks.example.com/")).toThrow("webhook URL http://hooks.example.com must use https://");
    expect(() => checkHookUrl("http://127.0.0.1:8080/")).toThrow(/must use https/);
    expect(() => checkHookUrl("not a url")).toThrow(/is not a URL; expected https:\/\/host\/path/);
    expect(() => checkHookUrl("https://a:b@hooks.example.com/")).toThrow(/must not carry credentials/);
    // More in test/attack/webhook-targets-and-signatures.test.ts.
    expect(() => checkHookUrl("https://169.254.169.254/")).toThrow("webhook URL https://169.254.169.254 refused: its host is link-local (cloud metadata services live here)");
  });
});
