// Sending lifecycle webhooks: one signed POST per URL and event, retried under the project's one
// HTTP retry policy (providers/http/retry.ts). The secret is never logged, put in an error or in a URL.
//
// A webhook's URL is a way into the network the deployment runs in, so its target is checked
// before and after DNS (target.ts), and a failed attempt says the same whatever happened below
// HTTP (refused, reset, timed out, a TLS failure): a hook URL must not serve to tell open, closed
// and TLS ports of internal hosts apart.
import { randomUUID } from "node:crypto";
import { request } from "node:https";
import type { HookEvent } from "../../lib/catalog/load";
import { DEFAULT_RETRY, retrying, type Attempt, type RetryPolicy } from "../http/retry";
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signatureHeader, USER_AGENT, webhookKey, type HookPayload, type HookTenant } from "./signature";
import { hostProblem, resolveTarget, targetPolicy, vettedLookup, type TargetPolicy } from "./target";

/** What every failed attempt below HTTP reports. */
export const NO_ANSWER = "no HTTPS answer (the connection failed, was cut, timed out, or its TLS was refused; which one is not told)";

/**
 * Production accepts https only, as the catalog does, and no host that names a loopback, private,
 * link-local or metadata address before DNS (resolveTarget checks what the name resolves to).
 */
export function checkHookUrl(url: string, policy: TargetPolicy = targetPolicy()): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`webhook URL ${JSON.stringify(url)} is not a URL; expected https://host/path`);
  }
  if (parsed.protocol !== "https:") throw new Error(`webhook URL ${parsed.origin} must use https://`);
  if (parsed.username || parsed.password) throw new Error(`webhook URL ${parsed.origin} must not carry credentials`);
  const problem = hostProblem(parsed.hostname, policy);
  if (problem) throw new Error(`webhook URL ${parsed.origin} refused: its host ${problem}`);
  return parsed;
}

/** One POST; never throws, so the retry loop sees every failure the same way. `ca` (PEM) adds trust in a private CA. */
export function postOnce(url: URL, headers: Record<string, string>, body: string, timeoutMs: number, ca?: string, policy: TargetPolicy = targetPolicy()): Promise<Attempt> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: Attempt) => {
      if (!settled) {
        settled = true;
        resolve(outcome);
      }
    };
    const options = { method: "POST", headers: { ...headers, "Content-Length": String(Buffer.byteLength(body)) }, ca, lookup: vettedLookup(policy) };
    const req = request(url, options, (res) => {
      // The answer's body is not needed; drain it so the socket is released.
      res.resume();
      res.on("end", () => {
        const retryAfter = res.headers["retry-after"];
        finish({ status: res.statusCode, retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter });
      });
      res.on("error", () => finish({ error: NO_ANSWER }));
      res.on("aborted", () => finish({ error: NO_ANSWER }));
    });
    // A whole-attempt timer rather than a socket timeout: that one only catches silence, not a
    // receiver that answers byte by byte.
    const timer = setTimeout(() => req.destroy(new Error("timed out")), timeoutMs);
    req.on("error", () => finish({ error: NO_ANSWER }));
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
  /** Tests only: loopback targets and nothing else (target.ts). The engine never passes options. */
  allowLoopback?: boolean;
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
export async function deliver(url: string, payload: HookPayload, secret: string, policy: RetryPolicy, options: DeliveryOptions = {}): Promise<DeliveryResult> {
  const targets = targetPolicy(options.allowLoopback);
  const target = checkHookUrl(url, targets);
  // Report the URL without its query: query strings often carry tokens.
  const shown = `${target.origin}${target.pathname}`;
  try {
    await resolveTarget(target, targets);
  } catch (error) {
    return { url: shown, delivery: payload.delivery, ok: false, attempts: 0, failure: (error as Error).message };
  }
  const key = webhookKey(secret, payload.tenant.id);
  const body = JSON.stringify(payload);
  const { outcome, attempts } = await retrying(policy, (timeoutMs) => {
    // Signed again on every attempt, so a late retry is not refused as stale.
    const headers = {
      "Content-Type": "application/json",
      "User-Agent": USER_AGENT,
      [EVENT_HEADER]: payload.event,
      [DELIVERY_HEADER]: payload.delivery,
      [SIGNATURE_HEADER]: signatureHeader(key, Math.floor(Date.now() / 1000), body),
    };
    return postOnce(target, headers, body, timeoutMs, options.ca, targets);
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
  const targets = targetPolicy(options.allowLoopback);
  for (const url of options.urls) checkHookUrl(url, targets);
  const policy = { ...DEFAULT_RETRY, ...options.retry };
  const at = options.at ?? new Date().toISOString();
  const results = await Promise.all(
    options.urls.map((url) => deliver(url, { event: options.event, tenant: options.tenant, at, delivery: randomUUID() }, options.secret, policy, options)),
  );
  if (results.some((r) => !r.ok)) throw hookDeliveryError(options.event, options.tenant.id, results);
  return results;
}
