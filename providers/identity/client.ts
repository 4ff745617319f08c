// Client for the identity control plane's Auth0-compatible Management API (AuthHero in tests).
// One client lives inside one provider method call: it holds the token for that call and nothing
// else. Retries follow the project's one HTTP retry policy (providers/http/retry.ts).
import pLimit = require("p-limit");
import { DEFAULT_RETRY, isRetryableStatus, retryDelay, retrying, sleep, type Attempt, type RetryPolicy } from "../http/retry";

/** Where the Management API is and how to authenticate; `clientSecret` arrives as a Pulumi secret. */
export interface ManagementConnection {
  /** Base URL of the identity server, such as https://auth.example.com (no /api/v2). */
  url: string;
  /** Machine-to-machine client on the control-plane tenant, allowed client_credentials for the Management API. */
  clientId: string;
  clientSecret: string;
  /** Tenant id of the control plane on the identity server; organizations live there. */
  controlPlaneTenantId: string;
}

/** Requests in flight at once when one operation fans out over many objects. */
export const DEFAULT_CONCURRENCY = 8;

export const MANAGEMENT_AUDIENCE = "urn:authhero:management";

export interface ManagementApiError extends Error {
  readonly tenant: string;
  readonly operation: string;
  /** HTTP status, or 0 when no response arrived. */
  readonly status: number;
  readonly apiMessage: string;
}

/** An Error whose fields say which tenant, which operation and which answer; recognised by its name. */
export function managementApiError(tenant: string, operation: string, status: number, apiMessage: string): ManagementApiError {
  const error = new Error(`identity tenant "${tenant}": ${operation} failed: ${status ? `HTTP ${status}: ` : ""}${apiMessage}`);
  return Object.assign(error, { name: "ManagementApiError", tenant, operation, status, apiMessage });
}

export function isManagementApiError(error: unknown): error is ManagementApiError {
  return error instanceof Error && error.name === "ManagementApiError";
}

/** Message of an API error body (`{message}` or `{error_description}`), else the raw text, shortened. */
export function apiMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { message?: unknown; error_description?: unknown; error?: unknown };
    const message = body.message ?? body.error_description ?? body.error;
    if (typeof message === "string" && message) return message;
  } catch {
    // Not JSON: the text itself is the message.
  }
  return text.trim().slice(0, 300) || "(empty response)";
}

/** JSON bodies parsed; some routes answer a plain "OK", which carries nothing to read. */
function parseBody(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return text;
  }
}

export type Method = "GET" | "POST" | "PATCH" | "PUT" | "DELETE";

export interface RequestOptions {
  body?: unknown;
  /** A 404 resolves to undefined instead of failing (reads of things that may be gone, deletes). */
  allowNotFound?: boolean;
  /**
   * false for a request that must not be sent twice (a create): only a 429, which the server
   * answers before doing anything, is retried; other failures go back to the caller to look first.
   */
  idempotent?: boolean;
}

export interface ClientOptions {
  retry?: Partial<RetryPolicy>;
  concurrency?: number;
  /** Clock for the token's expiry; tests move it forward. */
  now?: () => number;
}

export interface ManagementClient {
  readonly controlPlaneTenantId: string;
  /** One API call on `tenant`, with retries; resolves to the parsed body (undefined for an empty body or an allowed 404). */
  request<T = unknown>(tenant: string, operation: string, method: Method, path: string, options?: RequestOptions): Promise<T>;
  /**
   * Whether the identity tenant exists. AuthHero accepts writes addressed to an unknown tenant id,
   * so providers check first instead of filling a tenant nobody created.
   */
  tenantExists(tenant: string): Promise<boolean>;
  /** Every item of a list route, page by page. */
  listAll<T>(tenant: string, operation: string, path: string): Promise<T[]>;
  /**
   * Finds the object, else creates it; a create that fails without a clear answer (409, 5xx, lost
   * connection) is followed by another look, so a create that did land is adopted, never repeated.
   */
  ensure<T>(
    tenant: string,
    operation: string,
    find: () => Promise<T | undefined>,
    create: () => Promise<T>,
    options?: { /** The caller has just looked: skip the first find. */ knownAbsent?: boolean },
  ): Promise<{ value: T; created: boolean }>;
  /**
   * Runs a read-then-write step again (it must re-read) while it fails without a clear answer:
   * for writes that are not idempotent on the server, such as removing a permission twice (500).
   */
  converge<T>(tenant: string, operation: string, step: (attempt: number) => Promise<T>): Promise<T>;
  /** Runs `fn` over `items` with at most `concurrency` in flight (per call); the first failure rejects after all settle. */
  map<I, O>(items: readonly I[], fn: (item: I) => Promise<O>): Promise<O[]>;
}

const PAGE_SIZE = 100;

export function createManagementClient(connection: ManagementConnection, options: ClientOptions = {}): ManagementClient {
  const policy: RetryPolicy = { ...DEFAULT_RETRY, ...options.retry };
  const base = connection.url.replace(/\/+$/, "");
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const now = options.now ?? Date.now;
  let token: { value: string; expiresAt: number } | undefined;
  let pendingToken: Promise<string> | undefined;

  /** One HTTP exchange with retries; `idempotent: false` retries only 429 (answered before anything is done). Returns the final response. */
  async function send(tenant: string, operation: string, url: string, init: RequestInit, idempotent: boolean): Promise<{ status: number; text: string }> {
    const { outcome, attempts } = await retrying<Attempt & { text?: string }>(
      policy,
      async (timeoutMs) => {
        try {
          const response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
          return { status: response.status, retryAfter: response.headers.get("retry-after"), text: await response.text().catch(() => "") };
        } catch (error) {
          return { error: error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error) };
        }
      },
      (o) => o.status === 429 || (idempotent && isRetryableStatus(o.status)),
    );
    if (outcome.status === undefined) throw managementApiError(tenant, operation, 0, `no response after ${attempts} attempt(s): ${outcome.error}`);
    return { status: outcome.status, text: outcome.text ?? "" };
  }

  async function fetchToken(): Promise<string> {
    const operation = "get a Management API token (client_credentials)";
    const { status, text } = await send(connection.controlPlaneTenantId, operation, `${base}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ grant_type: "client_credentials", client_id: connection.clientId, client_secret: connection.clientSecret, audience: MANAGEMENT_AUDIENCE }),
    }, true);
    if (status !== 200) throw managementApiError(connection.controlPlaneTenantId, operation, status, apiMessage(text));
    const body = JSON.parse(text) as { access_token?: string; expires_in?: number };
    if (!body.access_token) throw managementApiError(connection.controlPlaneTenantId, operation, status, "the response carries no access_token");
    // Renew a minute early so a token never expires between being read and being checked.
    token = { value: body.access_token, expiresAt: now() + Math.max(0, (body.expires_in ?? 300) - 60) * 1000 };
    return token.value;
  }

  async function bearer(): Promise<string> {
    if (token && now() < token.expiresAt) return token.value;
    pendingToken ??= fetchToken().finally(() => {
      pendingToken = undefined;
    });
    return pendingToken;
  }

  async function request<T>(tenant: string, operation: string, method: Method, path: string, opts: RequestOptions = {}): Promise<T> {
    const attempt = async () => {
      const headers: Record<string, string> = { authorization: `Bearer ${await bearer()}`, accept: "application/json" };
      if (tenant !== connection.controlPlaneTenantId) headers["tenant-id"] = tenant;
      if (opts.body !== undefined) headers["content-type"] = "application/json";
      return send(tenant, operation, `${base}/api/v2${path}`, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) }, opts.idempotent ?? true);
    };
    let { status, text } = await attempt();
    if (status === 401 && token) {
      // A token the server stopped accepting before its expiry (key rotation, restart): fetch a new one, once.
      token = undefined;
      ({ status, text } = await attempt());
    }
    if (status === 404 && opts.allowNotFound) return undefined as T;
    if (status < 200 || status >= 300) throw managementApiError(tenant, operation, status, apiMessage(text));
    return parseBody(text) as T;
  }

  async function tenantExists(tenant: string): Promise<boolean> {
    return (await request(tenant, "read tenant settings", "GET", "/tenants/settings", { allowNotFound: true })) !== undefined;
  }

  async function listAll<T>(tenant: string, operation: string, path: string): Promise<T[]> {
    const items: T[] = [];
    const sep = path.includes("?") ? "&" : "?";
    for (let page = 0; ; page++) {
      const batch = await request<T[]>(tenant, operation, "GET", `${path}${sep}per_page=${PAGE_SIZE}&page=${page}`);
      if (!Array.isArray(batch)) throw managementApiError(tenant, operation, 200, `expected a list from GET ${path}`);
      items.push(...batch);
      if (batch.length < PAGE_SIZE) return items;
    }
  }

  async function converge<T>(tenant: string, operation: string, attemptFn: (attempt: number) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await attemptFn(attempt);
      } catch (error) {
        // A 4xx other than 409 is an answer (bad input, forbidden): reading again would not change it.
        const unclear = !isManagementApiError(error) || error.status === 0 || error.status === 409 || error.status >= 500;
        if (!unclear || attempt + 1 >= policy.attempts) {
          throw isManagementApiError(error) ? error : managementApiError(tenant, operation, 0, String(error));
        }
        await sleep(retryDelay(attempt + 1, undefined, policy));
      }
    }
  }

  function ensure<T>(tenant: string, operation: string, find: () => Promise<T | undefined>, create: () => Promise<T>, ensureOptions: { knownAbsent?: boolean } = {}) {
    return converge(tenant, operation, async (attempt) => {
      const found = attempt === 0 && ensureOptions.knownAbsent ? undefined : await find();
      if (found !== undefined) return { value: found, created: false };
      return { value: await create(), created: true };
    });
  }

  async function map<I, O>(items: readonly I[], fn: (item: I) => Promise<O>): Promise<O[]> {
    // A limiter per call: a shared one would deadlock when a mapped function maps again.
    const limit = pLimit(concurrency);
    const settled = await Promise.allSettled(items.map((item) => limit(() => fn(item))));
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
    if (failed) throw failed.reason;
    return settled.map((s) => (s as PromiseFulfilledResult<O>).value);
  }

  return { controlPlaneTenantId: connection.controlPlaneTenantId, request, tenantExists, listAll, ensure, converge, map };
}
