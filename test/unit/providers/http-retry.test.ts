// The one HTTP retry policy (providers/http/retry.ts), as the identity client and the webhooks use it:
// which answers are retried, Retry-After, and the full-jitter backoff.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backoffDelay, DEFAULT_RETRY, isRetryableStatus, retryAfterMs, retryDelay } from "../../../providers/http/retry";

describe("as the identity client uses it", () => {
  it("retries 429 and 5xx; other 4xx are answers", () => {
    expect([200, 400, 401, 403, 404, 409, 429, 500, 502, 503].filter(isRetryableStatus)).toEqual([429, 500, 502, 503]);
  });

  it("reads Retry-After as seconds or as an HTTP date", () => {
    const now = Date.parse("2026-11-22T17:00:00Z");
    expect(retryAfterMs("3", now)).toBe(3000);
    expect(retryAfterMs("Sun, 22 Nov 2026 17:00:05 GMT", now)).toBe(5000);
    expect(retryAfterMs("Sun, 22 Nov 2026 16:00:00 GMT", now)).toBe(0);
    expect(retryAfterMs(null, now)).toBeUndefined();
    expect(retryAfterMs("soon", now)).toBeUndefined();
  });

  it("waits what Retry-After asks, capped; otherwise a full-jitter delay within the exponential bound", () => {
    expect(retryDelay(1, 2000, DEFAULT_RETRY)).toBe(2000);
    expect(retryDelay(1, 10 * 60_000, DEFAULT_RETRY)).toBe(DEFAULT_RETRY.maxRetryAfterMs);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 30 }), fc.double({ min: 0, max: 0.999999, noNaN: true }), (retry, r) => {
        const d = retryDelay(retry + 1, undefined, DEFAULT_RETRY, r);
        const bound = Math.min(DEFAULT_RETRY.maxDelayMs, DEFAULT_RETRY.baseDelayMs * 2 ** retry);
        return d >= 0 && d < bound && Number.isInteger(d);
      }),
    );
    const quick = { ...DEFAULT_RETRY, baseDelayMs: 100, maxDelayMs: 4000 };
    expect(retryDelay(4, undefined, quick, 0.5)).toBe(400);
  });
});

describe("as the webhooks use it", () => {
  it("retries network errors, 5xx, 408 and 429 only", () => {
    expect([undefined, 500, 502, 503, 599, 408, 429].map(isRetryableStatus)).toEqual(Array(7).fill(true));
    expect([200, 301, 400, 401, 403, 404, 409, 410, 422].map(isRetryableStatus)).toEqual(Array(9).fill(false));
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
