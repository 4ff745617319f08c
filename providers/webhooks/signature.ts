// Lifecycle webhooks (the seed's onTenantCreated / Updated / Deleting / Deleted): the payload, its
// signature, and verifySignature for receivers. Sending is send.ts's.
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
import { createHmac, timingSafeEqual } from "node:crypto";
import type { HookEvent } from "../../lib/catalog/load";

export const SIGNATURE_HEADER = "X-Tenancy-Signature";
export const EVENT_HEADER = "X-Tenancy-Event";
export const DELIVERY_HEADER = "X-Tenancy-Delivery";
export const USER_AGENT = "tenancy-webhooks/1";
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

export function signatureHeader(secret: string, timestamp: number, body: string): string {
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

