// Lifecycle webhooks: the payload, its signature, and what receivers verify with. Sending is send.ts's.
//
// Wire format, one POST per URL and event:
//   Content-Type:        application/json
//   User-Agent:          tenancy-webhooks/1
//   X-Tenancy-Event:     created | updated | deleting | deleted
//   X-Tenancy-Delivery:  <uuid>, the same on every retry of one delivery, and the body's `delivery`:
//                        receivers deduplicate on it (delivery is at least once: a crash between
//                        sending and recording the resource in state sends the event again, with a
//                        new id)
//   X-Tenancy-Signature: t=<unix seconds>,kid=<key id>,v1=<hex HMAC-SHA256(key, "<t>.<raw body>")>
//                        (signed again on every attempt, so a late retry is not refused as stale)
//   body: {"event":..., "tenant":{id,name,friendly_name,plan,status,cell,region,parent},
//          "at":"<ISO time of the event>", "delivery":"<uuid>"}
//
// Keys: every tenant's receivers get a key of their own, derived from tenancy:webhookSecret with
// HKDF-SHA256 and the tenant id (webhookKey), so a receiver can verify its tenant's events and
// forge no other tenant's. `kid` names the master secret it was derived from: rotating
// tenancy:webhookSecret changes it, and a receiver that holds the old and the new key during the
// switch picks by kid (verifySignature takes several). The master secret itself never leaves
// the deployment: it is never logged, put in an error, a URL or a header.
import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";
import type { HookEvent } from "../../lib/catalog/load";

export const SIGNATURE_HEADER = "X-Tenancy-Signature";
export const EVENT_HEADER = "X-Tenancy-Event";
export const DELIVERY_HEADER = "X-Tenancy-Delivery";
export const USER_AGENT = "tenancy-webhooks/1";
/** Receivers refuse signatures older (or newer) than this by default. */
export const DEFAULT_TOLERANCE_SECONDS = 300;
/** The widest tolerance verifySignature accepts: a day. */
export const MAX_TOLERANCE_SECONDS = 86_400;

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

/** One tenant's signing key: what its receivers are given (hex), and the id they pick it by. */
export interface WebhookKey {
  kid: string;
  key: string;
}

const SALT = "tenancy-webhooks/v1";

/** The key of `tenantId`'s receivers, derived from the master secret tenancy:webhookSecret. */
export function webhookKey(secret: string, tenantId: string): WebhookKey {
  const derive = (info: string, length: number) => Buffer.from(hkdfSync("sha256", secret, SALT, info, length)).toString("hex");
  return { kid: derive("key-id", 6), key: derive(`tenant:${tenantId}`, 32) };
}

function mac(key: string, timestamp: number, body: string): Buffer {
  return createHmac("sha256", Buffer.from(key, "hex")).update(`${timestamp}.${body}`).digest();
}

export function signatureHeader(key: WebhookKey, timestamp: number, body: string): string {
  return `t=${timestamp},kid=${key.kid},v1=${mac(key.key, timestamp, body).toString("hex")}`;
}

export type VerifyResult = { ok: true; timestamp: number; kid: string } | { ok: false; reason: string };

export interface VerifyOptions {
  /** The keys this receiver holds (its tenant's, from webhookKey), by kid: more than one while a secret rotates. */
  keys: readonly WebhookKey[];
  /** The raw X-Tenancy-Signature header value. */
  header: string | undefined;
  /** The raw request body, exactly as received (before any JSON parsing). */
  body: string | Buffer;
  /** Whole seconds from 1 to MAX_TOLERANCE_SECONDS; DEFAULT_TOLERANCE_SECONDS when left out. */
  toleranceSeconds?: number;
  /** Unix seconds; defaults to the clock. */
  now?: number;
}

/** Why the options cannot decide anything (a NaN or infinite tolerance would disable expiry): refused, not ignored. */
function optionProblem(options: VerifyOptions, tolerance: number, now: number): string | undefined {
  if (!Number.isInteger(tolerance) || tolerance < 1 || tolerance > MAX_TOLERANCE_SECONDS) {
    return `toleranceSeconds must be a whole number from 1 to ${MAX_TOLERANCE_SECONDS}, got ${String(options.toleranceSeconds)}`;
  }
  if (!Number.isSafeInteger(now) || now < 0) return `now must be whole unix seconds, got ${String(options.now)}`;
  if (!Array.isArray(options.keys) || options.keys.length === 0 || options.keys.some((k) => !/^[0-9a-f]{12}$/.test(k?.kid) || !/^[0-9a-f]{64}$/.test(k?.key))) {
    return "keys must list the receiver's keys as webhookKey() makes them ({ kid: 12 hex digits, key: 64 hex digits })";
  }
  return undefined;
}

/** For receivers: checks the signature in constant time and refuses stale or future timestamps. */
export function verifySignature(options: VerifyOptions): VerifyResult {
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const problem = optionProblem(options, tolerance, now);
  if (problem) return { ok: false, reason: problem };
  if (!options.header) return { ok: false, reason: `missing ${SIGNATURE_HEADER} header` };
  let timestamp: number | undefined;
  let kid: string | undefined;
  const candidates: string[] = [];
  for (const part of options.header.split(",")) {
    const eq = part.indexOf("=");
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (name === "t" && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (name === "kid" && /^[0-9a-f]{12}$/.test(value)) kid = value;
    else if (name === "v1" && /^[0-9a-f]{64}$/.test(value)) candidates.push(value);
  }
  if (timestamp === undefined) return { ok: false, reason: `${SIGNATURE_HEADER} has no t=<unix seconds>` };
  if (kid === undefined) return { ok: false, reason: `${SIGNATURE_HEADER} has no kid=<key id>` };
  if (candidates.length === 0) return { ok: false, reason: `${SIGNATURE_HEADER} has no v1=<64 hex digits>` };
  if (Math.abs(now - timestamp) > tolerance) return { ok: false, reason: `timestamp ${timestamp} is more than ${tolerance}s from now (${now})` };
  const key = options.keys.find((k) => k.kid === kid);
  if (!key) return { ok: false, reason: `no key with kid ${kid}: the signing secret was rotated; get this tenant's new key` };
  const body = typeof options.body === "string" ? options.body : options.body.toString("utf8");
  const expected = mac(key.key, timestamp, body);
  // Every candidate is compared, so the time taken does not reveal which one matched.
  let matched = false;
  for (const candidate of candidates) {
    if (timingSafeEqual(expected, Buffer.from(candidate, "hex"))) matched = true;
  }
  return matched ? { ok: true, timestamp, kid } : { ok: false, reason: "signature does not match" };
}

/**
 * For receivers: remembers the delivery ids it accepted for as long as their signatures are fresh,
 * so a replay inside the tolerance (or a retry of a delivery already handled) is recognised.
 */
export class DeliveryLog {
  private readonly seen = new Map<string, number>();

  constructor(private readonly toleranceSeconds = DEFAULT_TOLERANCE_SECONDS) {}

  /** True the first time `delivery` is offered (it is then remembered), false for a repeat. */
  accept(delivery: string, now = Math.floor(Date.now() / 1000)): boolean {
    for (const [id, expires] of this.seen) if (expires < now) this.seen.delete(id);
    if (this.seen.has(delivery)) return false;
    this.seen.set(delivery, now + 2 * this.toleranceSeconds);
    return true;
  }
}

/**
 * For receivers, everything at once: the signature, the delivery header against the signed body's
 * `delivery`, and the replay log. `headers` as Node gives them (lower-case names).
 */
export function verifyDelivery(options: Omit<VerifyOptions, "header"> & { headers: Record<string, string | string[] | undefined>; log: DeliveryLog }): VerifyResult & { delivery?: string } {
  const header = (name: string) => {
    const value = options.headers[name.toLowerCase()];
    return Array.isArray(value) ? value[0] : value;
  };
  const verified = verifySignature({ ...options, header: header(SIGNATURE_HEADER) });
  if (!verified.ok) return verified;
  const body = typeof options.body === "string" ? options.body : options.body.toString("utf8");
  let delivery: unknown;
  try {
    delivery = (JSON.parse(body) as { delivery?: unknown }).delivery;
  } catch {
    return { ok: false, reason: "the body is not JSON" };
  }
  if (typeof delivery !== "string" || delivery !== header(DELIVERY_HEADER)) return { ok: false, reason: `${DELIVERY_HEADER} is not the signed body's delivery` };
  if (!options.log.accept(delivery, options.now)) return { ok: false, reason: `delivery ${delivery} was already accepted (a replay or a retry)` };
  return { ...verified, delivery };
}
