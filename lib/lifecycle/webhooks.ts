// Lifecycle webhooks (the seed's onTenantCreated / Updated / Deleting / Deleted), sent from inside
// dynamic providers. Everything here may be serialized into a provider by the Pulumi engine, so
// Node modules are required inside the functions that use them (a captured module object cannot be
// serialized) and nothing holds state at module level.
//
// Wire format, one POST per URL and event:
//   Content-Type:        application/json
//   User-Agent:          tenancy-webhooks/1
//   X-Tenancy-Event:     created | updated | deleting | deleted
//   X-Tenancy-Delivery:  <uuid>, the same on every retry of one delivery (receivers dedupe on it;
//                        delivery is at least once: a crash between sending and recording the
//                        resource in state sends the event again with a new delivery id)
//   X-Tenancy-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
//                        (re-signed on every attempt, so a late retry is not refused as stale;
//                        several v1= entries may appear during a secret rotation)
//   body: {"event":..., "tenant":{id,name,friendly_name,plan,status,cell,region,parent},
//          "at":"<ISO time of the event>", "delivery":"<uuid>"}
// The secret comes from stack config (a secret) and is never logged, put in an error or in a URL.
import type { HookEvent, ResolvedTenant } from "../catalog/load";

export const SIGNATURE_HEADER = "X-Tenancy-Signature";
export const EVENT_HEADER = "X-Tenancy-Event";
export const DELIVERY_HEADER = "X-Tenancy-Delivery";
export const USER_AGENT = "tenancy-webhooks/1";
/** Shortest signing key accepted: stack config and the hook providers both enforce it. */
export const WEBHOOK_SECRET_MIN_LENGTH = 16;
/** Receivers refuse signatures older (or newer) than this by default. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** What a receiver learns about the tenant: identity and state, never credentials or settings. */
export interface HookTenant {
  id: string;
  name: string;
  friendly_name: string;
  plan: string;
  status: string;
  cell: string;
  region: string;
  parent: string | null;
}

export interface HookPayload {
  event: HookEvent;
  tenant: HookTenant;
  at: string;
  delivery: string;
}

export function hookTenant(t: Pick<ResolvedTenant, keyof HookTenant>): HookTenant {
  return {
    id: t.id,
    name: t.name,
    friendly_name: t.friendly_name,
    plan: t.plan,
    status: t.status,
    cell: t.cell,
    region: t.region,
    parent: t.parent,
  };
}

export function signatureHeader(secret: string, timestamp: number, body: string): string {
  const { createHmac } = require("node:crypto") as typeof import("node:crypto");
  const mac = createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");
  return `t=${timestamp},v1=${mac}`;
}

export type VerifyResult = { ok: true; timestamp: number } | { ok: false; reason: string };

export interface VerifyOptions {
  secret: string;
  /** The raw X-Tenancy-Signature header value. */
  header: string | undefined;
  /** The raw request body, exactly as received (before any JSON parsing). */
  body: string | Buffer;
  toleranceSeconds?: number;
  /** Unix seconds; defaults to the clock. */
  now?: number;
}

/** For receivers: checks the signature in constant time and refuses stale or future timestamps. */
export function verifySignature(options: VerifyOptions): VerifyResult {
  const { createHmac, timingSafeEqual } = require("node:crypto") as typeof import("node:crypto");
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (!options.header) return { ok: false, reason: `missing ${SIGNATURE_HEADER} header` };
  let timestamp: number | undefined;
  const candidates: string[] = [];
  for (const part of options.header.split(",")) {
    const eq = part.indexOf("=");
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === "t" && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (key === "v1" && /^[0-9a-f]{64}$/.test(value)) candidates.push(value);
  }
  if (timestamp === undefined) return { ok: false, reason: `${SIGNATURE_HEADER} has no t=<unix seconds>` };
  if (candidates.length === 0) return { ok: false, reason: `${SIGNATURE_HEADER} has no v1=<64 hex digits>` };
  if (Math.abs(now - timestamp) > tolerance) {
    return { ok: false, reason: `timestamp ${timestamp} is more than ${tolerance}s from now (${now})` };
  }
  const body = typeof options.body === "string" ? options.body : options.body.toString("utf8");
  const expected = createHmac("sha256", options.secret).update(`${timestamp}.${body}`).digest();
  // Every candidate is compared, so the time taken does not reveal which one matched.
  let matched = false;
  for (const candidate of candidates) {
    if (timingSafeEqual(expected, Buffer.from(candidate, "hex"))) matched = true;
  }
  return matched ? { ok: true, timestamp } : { ok: false, reason: "signature does not match" };
}

export interface RetryPolicy {
  /** Attempts per URL, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Per attempt. */
  requestTimeoutMs: number;
  /** Whole delivery to one URL, retries and waits included. */
  totalTimeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 6,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
  requestTimeoutMs: 10_000,
  totalTimeoutMs: 60_000,
};

/** Network errors, 5xx, 429 and 408 are worth retrying; any other answer will not change. */
export function isRetryable(status: number | undefined): boolean {
  return status === undefined || status >= 500 || status === 429 || status === 408;
}

/** Full jitter: a random wait in [0, min(max, base * 2^(attempt-1))]; `random` is in [0, 1). */
export function backoffDelay(attempt: number, policy: Pick<RetryPolicy, "baseDelayMs" | "maxDelayMs">, random: number): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(cap * random);
}

/** Retry-After in seconds or as an HTTP date, in milliseconds; undefined when absent or unreadable. */
export function retryAfterMs(value: string | undefined, nowMs: number): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/**
 * Production accepts https only, as the catalog does. `ca` (PEM) adds trust in a private CA, which
 * is how the tests reach a loopback receiver with a certificate made at test time.
 */
export function checkHookUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`webhook URL ${JSON.stringify(url)} is not a URL; expected https://host/path`);
  }
  if (parsed.protocol !== "https:") throw new Error(`webhook URL ${parsed.origin} must use https://`);
  if (parsed.username || parsed.password) throw new Error(`webhook URL ${parsed.origin} must not carry credentials`);
  return parsed;
}

export interface AttemptOutcome {
  status?: number;
  retryAfter?: string;
  /** Network-level failure (refused, reset, timeout, TLS). */
  error?: string;
}

/** One POST; never throws, so the retry loop sees every failure the same way. */
export function postOnce(url: URL, headers: Record<string, string>, body: string, timeoutMs: number, ca?: string): Promise<AttemptOutcome> {
  const https = require("node:https") as typeof import("node:https");
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: AttemptOutcome) => {
      if (!settled) {
        settled = true;
        resolve(outcome);
      }
    };
    const req = https.request(
      url,
      {
        method: "POST",
        headers: { ...headers, "Content-Length": String(Buffer.byteLength(body)) },
        ca,
      },
      (res) => {
        // The answer's body is not needed; drain it so the socket is released.
        res.resume();
        res.on("end", () => {
          const retryAfter = res.headers["retry-after"];
          finish({ status: res.statusCode, retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter });
        });
        res.on("error", (e) => finish({ error: e.message }));
        res.on("aborted", () => finish({ error: `the answer was cut off (HTTP ${res.statusCode})` }));
      },
    );
    // A whole-attempt timer rather than a socket timeout: that one only catches silence, not a
    // receiver that answers byte by byte.
    const timer = setTimeout(() => req.destroy(new Error(`no complete answer within ${timeoutMs} ms`)), timeoutMs);
    req.on("error", (e: NodeJS.ErrnoException) => finish({ error: e.code ? `${e.code}: ${e.message}` : e.message }));
    req.on("close", () => clearTimeout(timer));
    req.end(body);
  });
}

export interface DeliveryResult {
  url: string;
  delivery: string;
  ok: boolean;
  attempts: number;
  /** Last HTTP status, if any answer came. */
  status?: number;
  /** Why the delivery failed, for the error message. */
  failure?: string;
}

export interface SendOptions {
  event: HookEvent;
  tenant: HookTenant;
  urls: readonly string[];
  secret: string;
  /** PEM of an extra trusted CA. */
  ca?: string;
  retry?: Partial<RetryPolicy>;
  /** ISO time of the event; defaults to now. */
  at?: string;
}

/** Delivers one payload to one URL, retrying within the policy's attempt and time bounds. */
export async function deliver(url: string, payload: HookPayload, secret: string, policy: RetryPolicy, ca?: string): Promise<DeliveryResult> {
  const target = checkHookUrl(url);
  // Report the URL without its query: query strings often carry tokens.
  const shown = `${target.origin}${target.pathname}`;
  const body = JSON.stringify(payload);
  const deadline = Date.now() + policy.totalTimeoutMs;
  let last: AttemptOutcome = {};
  let attempt = 0;
  while (attempt < policy.maxAttempts) {
    attempt++;
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    const headers = {
      "Content-Type": "application/json",
      "User-Agent": USER_AGENT,
      [EVENT_HEADER]: payload.event,
      [DELIVERY_HEADER]: payload.delivery,
      [SIGNATURE_HEADER]: signatureHeader(secret, Math.floor(Date.now() / 1000), body),
    };
    last = await postOnce(target, headers, body, Math.min(policy.requestTimeoutMs, remaining), ca);
    if (last.status !== undefined && last.status >= 200 && last.status < 300) {
      return { url: shown, delivery: payload.delivery, ok: true, attempts: attempt, status: last.status };
    }
    if (!isRetryable(last.status) || attempt >= policy.maxAttempts) break;
    const hinted = retryAfterMs(last.retryAfter, Date.now());
    const wait = Math.min(hinted ?? backoffDelay(attempt, policy, Math.random()), policy.maxDelayMs);
    if (Date.now() + wait >= deadline) break;
    await new Promise((r) => setTimeout(r, wait));
  }
  const failure = last.status !== undefined ? `HTTP ${last.status}` : (last.error ?? "gave up before the first attempt");
  return { url: shown, delivery: payload.delivery, ok: false, attempts: attempt, status: last.status, failure };
}

export type HookDeliveryError = Error & { name: "HookDeliveryError"; event: HookEvent; tenantId: string; results: DeliveryResult[] };

/** A plain Error rather than a subclass: classes do not survive the engine's function serialization. */
export function hookDeliveryError(event: HookEvent, tenantId: string, results: DeliveryResult[]): HookDeliveryError {
  const failed = results.filter((r) => !r.ok);
  const error = new Error(
    `${event} webhook of tenant ${tenantId} failed for ${failed.length} of ${results.length} URL(s): ` +
      failed.map((r) => `${r.url} (${r.failure} after ${r.attempts} attempt(s), delivery ${r.delivery})`).join("; "),
  );
  return Object.assign(error, { name: "HookDeliveryError" as const, event, tenantId, results });
}

export function isHookDeliveryError(error: unknown): error is HookDeliveryError {
  return error instanceof Error && error.name === "HookDeliveryError";
}

/** Sends the event to every URL in parallel; throws HookDeliveryError naming each URL that failed. */
export async function sendEvent(options: SendOptions): Promise<DeliveryResult[]> {
  const { randomUUID } = require("node:crypto") as typeof import("node:crypto");
  if (!options.secret) throw new Error(`${options.event} webhook of tenant ${options.tenant.id}: the signing secret is empty; set the secret stack config tenancy:webhookSecret`);
  // Bad URLs fail before anything is sent, so a half-delivered event never comes from a typo.
  for (const url of options.urls) checkHookUrl(url);
  const policy = { ...DEFAULT_RETRY, ...options.retry };
  const at = options.at ?? new Date().toISOString();
  const results = await Promise.all(
    options.urls.map((url) =>
      deliver(url, { event: options.event, tenant: options.tenant, at, delivery: randomUUID() }, options.secret, policy, options.ca),
    ),
  );
  if (results.some((r) => !r.ok)) throw hookDeliveryError(options.event, options.tenant.id, results);
  return results;
}
