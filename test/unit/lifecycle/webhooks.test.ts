import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backoffDelay, checkHookUrl, hookTenant, isRetryable, retryAfterMs, signatureHeader, verifySignature } from "../../../lib/lifecycle/webhooks";

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

describe("retry policy", () => {
  it("retries network errors, 5xx, 408 and 429 only", () => {
    expect([undefined, 500, 502, 503, 599, 408, 429].map(isRetryable)).toEqual(Array(7).fill(true));
    expect([200, 301, 400, 401, 403, 404, 409, 410, 422].map(isRetryable)).toEqual(Array(9).fill(false));
  });

  it("backoff stays within [0, min(max, base*2^(n-1))]", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 60_000 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempt, base, max, r) => {
        const d = backoffDelay(attempt, { baseDelayMs: base, maxDelayMs: max }, r);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(Math.min(max, base * 2 ** (attempt - 1)));
      }),
    );
    expect(backoffDelay(1, { baseDelayMs: 100, maxDelayMs: 10_000 }, 0.999)).toBe(99);
    expect(backoffDelay(4, { baseDelayMs: 100, maxDelayMs: 10_000 }, 0.999)).toBe(799);
    expect(backoffDelay(30, { baseDelayMs: 100, maxDelayMs: 10_000 }, 0.5)).toBe(5_000);
  });

  it("reads Retry-After as seconds or as a date", () => {
    expect(retryAfterMs("3", 0)).toBe(3000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
    expect(retryAfterMs("soon", 0)).toBeUndefined();
    expect(retryAfterMs(undefined, 0)).toBeUndefined();
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

describe("hookTenant", () => {
  it("keeps identity and state, drops everything else", () => {
    const full = { id: "acme", name: "Acme", friendly_name: "A", plan: "pro", status: "active" as const, cell: "eu-1", region: "eu-west-1", parent: null, settings: { apiKey: "x" }, access: { admins: ["a@b.co"] } };
    expect(hookTenant(full)).toEqual({ id: "acme", name: "Acme", friendly_name: "A", plan: "pro", status: "active", cell: "eu-1", region: "eu-west-1", parent: null });
  });
});
