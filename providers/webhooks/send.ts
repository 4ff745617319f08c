// Sending lifecycle webhooks: one signed POST per URL and event, retried under the project's one
// HTTP retry policy (providers/http/retry.ts). The secret is never logged, put in an error or in a URL.
import { randomUUID } from "node:crypto";
import { request } from "node:https";
import type { HookEvent } from "../../lib/catalog/load";
import { DEFAULT_RETRY, retrying, type Attempt, type RetryPolicy } from "../http/retry";
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signatureHeader, USER_AGENT, type HookPayload, type HookTenant } from "./signature";

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

/** One POST; never throws, so the retry loop sees every failure the same way. */
export function postOnce(url: URL, headers: Record<string, string>, body: string, timeoutMs: number, ca?: string): Promise<Attempt> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: Attempt) => {
      if (!settled) {
        settled = true;
        resolve(outcome);
      }
    };
    const req = request(url, { method: "POST", headers: { ...headers, "Content-Length": String(Buffer.byteLength(body)) }, ca }, (res) => {
      // The answer's body is not needed; drain it so the socket is released.
      res.resume();
      res.on("end", () => {
        const retryAfter = res.headers["retry-after"];
        finish({ status: res.statusCode, retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter });
      });
      res.on("error", (e) => finish({ error: e.message }));
      res.on("aborted", () => finish({ error: `the answer was cut off (HTTP ${res.statusCode})` }));
    });
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

/** How a delivery is made: the retry timings, and an extra trusted CA (PEM) for receivers on a private PKI. */
export interface DeliveryOptions {
  retry?: Partial<RetryPolicy>;
  ca?: string;
}

export interface SendOptions extends DeliveryOptions {
  event: HookEvent;
  tenant: HookTenant;
  urls: readonly string[];
  secret: string;
  /** ISO time of the event; defaults to now. */
  at?: string;
}

const isSuccess = (status: number | undefined) => status !== undefined && status >= 200 && status < 300;

/** Delivers one payload to one URL, retrying within the policy's attempt and time bounds. */
export async function deliver(url: string, payload: HookPayload, secret: string, policy: RetryPolicy, ca?: string): Promise<DeliveryResult> {
  const target = checkHookUrl(url);
  // Report the URL without its query: query strings often carry tokens.
  const shown = `${target.origin}${target.pathname}`;
  const body = JSON.stringify(payload);
  const { outcome, attempts } = await retrying(policy, (timeoutMs) => {
    // Signed again on every attempt, so a late retry is not refused as stale.
    const headers = {
      "Content-Type": "application/json",
      "User-Agent": USER_AGENT,
      [EVENT_HEADER]: payload.event,
      [DELIVERY_HEADER]: payload.delivery,
      [SIGNATURE_HEADER]: signatureHeader(secret, Math.floor(Date.now() / 1000), body),
    };
    return postOnce(target, headers, body, timeoutMs, ca);
  });
  if (isSuccess(outcome.status)) return { url: shown, delivery: payload.delivery, ok: true, attempts, status: outcome.status };
  const failure = outcome.status !== undefined ? `HTTP ${outcome.status}` : (outcome.error ?? "gave up before the first attempt");
  return { url: shown, delivery: payload.delivery, ok: false, attempts, status: outcome.status, failure };
}

export type HookDeliveryError = Error & { name: "HookDeliveryError"; event: HookEvent; tenantId: string; results: DeliveryResult[] };

/** An Error naming each URL that failed, recognised by its name. */
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
  if (!options.secret) throw new Error(`${options.event} webhook of tenant ${options.tenant.id}: the signing secret is empty; set the secret stack config tenancy:webhookSecret`);
  // Bad URLs fail before anything is sent, so a half-delivered event never comes from a typo.
  for (const url of options.urls) checkHookUrl(url);
  const policy = { ...DEFAULT_RETRY, ...options.retry };
  const at = options.at ?? new Date().toISOString();
  const results = await Promise.all(
    options.urls.map((url) => deliver(url, { event: options.event, tenant: options.tenant, at, delivery: randomUUID() }, options.secret, policy, options.ca)),
  );
  if (results.some((r) => !r.ok)) throw hookDeliveryError(options.event, options.tenant.id, results);
  return results;
}
