// The one HTTP retry policy, used by the identity control plane's Management API client and by the
// lifecycle webhooks: which answers are worth another attempt, how long to wait before it (full
// jitter, or what Retry-After asks), and the bounds per attempt and per request.

export interface RetryPolicy {
  /** Attempts per request, the first included. */
  attempts: number;
  /** The wait after attempt n is a random delay in [0, min(maxDelayMs, baseDelayMs * 2^(n-1))] ("full jitter"). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Longest Retry-After honoured; a server asking for longer is waited this long, not longer. */
  maxRetryAfterMs: number;
  /** Per attempt, the whole answer included: a connection that hangs or trickles counts as a network error. */
  timeoutMs: number;
  /** The whole request, retries and waits included. */
  totalTimeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  attempts: 6,
  baseDelayMs: 250,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 30_000,
  timeoutMs: 15_000,
  totalTimeoutMs: 120_000,
};

/** Network errors (no status), 5xx, 429 and 408 are worth retrying; any other answer will not change. */
export function isRetryableStatus(status: number | undefined): boolean {
  return status === undefined || status >= 500 || status === 429 || status === 408;
}

/** Retry-After in seconds or as an HTTP date, in milliseconds; undefined when absent or unreadable. */
export function retryAfterMs(value: string | null | undefined, nowMs: number): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/** Full jitter after attempt number `attempt` (1-based): a wait in [0, min(max, base * 2^(attempt-1))]; `random` is in [0, 1). */
export function backoffDelay(attempt: number, policy: Pick<RetryPolicy, "baseDelayMs" | "maxDelayMs">, random: number): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(cap * random);
}

/** The wait after attempt `attempt` failed: what Retry-After asked (capped), else the backoff. */
export function retryDelay(attempt: number, retryAfter: number | undefined, policy: RetryPolicy, random: number = Math.random()): number {
  return retryAfter !== undefined ? Math.min(retryAfter, policy.maxRetryAfterMs) : backoffDelay(attempt, policy, random);
}

/** How one attempt ended: an answer (status, Retry-After) or a network-level failure. */
export interface Attempt {
  status?: number;
  retryAfter?: string | null;
  /** Network-level failure (refused, reset, timeout, TLS). */
  error?: string;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Sends until an attempt's outcome is not worth retrying (by default: isRetryableStatus), or the
 * policy's attempts or total time run out; returns the last outcome and how many attempts it took.
 * `send` gets the time left for its attempt. A caller whose request must not be sent twice (a
 * create) passes a narrower `retryable`.
 */
export async function retrying<T extends Attempt>(
  policy: RetryPolicy,
  send: (timeoutMs: number) => Promise<T>,
  retryable: (outcome: T) => boolean = (outcome) => isRetryableStatus(outcome.status),
): Promise<{ outcome: T; attempts: number }> {
  const deadline = Date.now() + policy.totalTimeoutMs;
  for (let attempt = 1; ; attempt++) {
    const outcome = await send(Math.max(1, Math.min(policy.timeoutMs, deadline - Date.now())));
    if (!retryable(outcome) || attempt >= policy.attempts) return { outcome, attempts: attempt };
    const wait = retryDelay(attempt, retryAfterMs(outcome.retryAfter, Date.now()), policy);
    if (Date.now() + wait >= deadline) return { outcome, attempts: attempt };
    await sleep(wait);
  }
}
