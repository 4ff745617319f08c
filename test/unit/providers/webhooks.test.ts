// The webhooks' signature (what receivers verify) and URL rules.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkHookUrl } from "../../../providers/webhooks/send";
import { signatureHeader, verifySignature } from "../../../providers/webhooks/signature";

const SECRET = "s3cret-canary";
const BODY = '{"event":"created"}';

describe("verifySignature", () => {
  const now = 1_800_000_000;
  const header = signatureHeader(SECRET, now, BODY);

  it("accepts what signatureHeader produced", () => {
    expect(verifySignature({ secret: SECRET, header, body: BODY, now })).toEqual({ ok: true, timestamp: now });
    expect(verifySignature({ secret: SECRET, header, body: Buffer.from(BODY), now: now + 300 }).ok).toBe(true);
  });

  it("refuses a changed body, another secret, a moved timestamp", () => {
    expect(verifySignature({ secret: SECRET, header, body: BODY + " ", now }).ok).toBe(false);
    expect(verifySignature({ secret: "other", header, body: BODY, now }).ok).toBe(false);
    const moved = header.replace(`t=${now}`, `t=${now + 1}`);
    expect(verifySignature({ secret: SECRET, header: moved, body: BODY, now })).toEqual({ ok: false, reason: "signature does not match" });
  });

  it("refuses stale and future timestamps beyond the tolerance", () => {
    expect(verifySignature({ secret: SECRET, header, body: BODY, now: now + 301 })).toMatchObject({ ok: false, reason: expect.stringContaining("more than 300s") });
    expect(verifySignature({ secret: SECRET, header, body: BODY, now: now - 301 }).ok).toBe(false);
    expect(verifySignature({ secret: SECRET, header, body: BODY, now: now + 1000, toleranceSeconds: 2000 }).ok).toBe(true);
  });

  it("explains malformed headers", () => {
    expect(verifySignature({ secret: SECRET, header: undefined, body: BODY, now })).toEqual({ ok: false, reason: "missing X-Tenancy-Signature header" });
    expect(verifySignature({ secret: SECRET, header: "v1=" + "a".repeat(64), body: BODY, now })).toMatchObject({ ok: false, reason: expect.stringContaining("no t=") });
    expect(verifySignature({ secret: SECRET, header: `t=${now},v1=xyz`, body: BODY, now })).toMatchObject({ ok: false, reason: expect.stringContaining("no v1=") });
  });

  it("accepts any of several v1 entries (secret rotation)", () => {
    const mac = header.split("v1=")[1];
    expect(verifySignature({ secret: SECRET, header: `t=${now},v1=${"0".repeat(64)},v1=${mac}`, body: BODY, now }).ok).toBe(true);
  });

  it("round-trips for any secret and body", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string(), (secret, body) => {
        expect(verifySignature({ secret, header: signatureHeader(secret, now, body), body, now }).ok).toBe(true);
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
  });
});
