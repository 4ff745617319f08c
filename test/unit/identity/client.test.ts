// Pure parts of the identity client and providers: backoff, Retry-After, error text, input checks.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { apiMessage, DEFAULT_RETRY, isRetryableStatus, managementApiError, parseRetryAfter, retryDelay } from "../../../lib/identity/client";
import { rolePermissions } from "../../../lib/identity/entity-sync";
import { checkConnection, isManaged, MANAGED_METADATA } from "../../../lib/identity/managed";
import { adminRoles, checkOrganizationInputs, organizationMetadata, type OrganizationInputs } from "../../../lib/identity/organization";

describe("retries", () => {
  it("retries 429 and 5xx only", () => {
    expect([200, 400, 401, 403, 404, 409, 429, 500, 502, 503].filter(isRetryableStatus)).toEqual([429, 500, 502, 503]);
  });

  it("reads Retry-After as seconds or as an HTTP date", () => {
    const now = Date.parse("2026-11-22T17:00:00Z");
    expect(parseRetryAfter("3", now)).toBe(3000);
    expect(parseRetryAfter("Sun, 22 Nov 2026 17:00:05 GMT", now)).toBe(5000);
    expect(parseRetryAfter("Sun, 22 Nov 2026 16:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter("soon", now)).toBeUndefined();
  });

  it("waits what Retry-After asks, capped; otherwise a full-jitter delay within the exponential bound", () => {
    expect(retryDelay(0, 2000, DEFAULT_RETRY)).toBe(2000);
    expect(retryDelay(0, 10 * 60_000, DEFAULT_RETRY)).toBe(DEFAULT_RETRY.maxRetryAfterMs);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 30 }), fc.double({ min: 0, max: 0.999999, noNaN: true }), (retry, r) => {
        const d = retryDelay(retry, undefined, DEFAULT_RETRY, () => r);
        const bound = Math.min(DEFAULT_RETRY.maxDelayMs, DEFAULT_RETRY.baseDelayMs * 2 ** retry);
        return d >= 0 && d < bound && Number.isInteger(d);
      }),
    );
    expect(retryDelay(3, undefined, DEFAULT_RETRY, () => 0.5)).toBe(400);
  });
});

describe("errors", () => {
  it("name the tenant, the operation, the status and the API's message", () => {
    expect(apiMessage('{"statusCode":409,"message":"Organization already exists"}')).toBe("Organization already exists");
    expect(apiMessage('{"error":"invalid_client","error_description":"Invalid client credentials"}')).toBe("Invalid client credentials");
    expect(apiMessage("Failed to remove permissions")).toBe("Failed to remove permissions");
    expect(apiMessage("")).toBe("(empty response)");
    const e = managementApiError("acme", "create role x", 500, "boom");
    expect(e.message).toBe('identity tenant "acme": create role x failed: HTTP 500: boom');
    expect(managementApiError("acme", "list roles", 0, "no response").message).toBe('identity tenant "acme": list roles failed: no response');
  });
});

describe("inputs", () => {
  it("a connection with a missing field says which and where to set it", () => {
    expect(() => checkConnection({ url: "https://a.example.com", clientId: "c" })).toThrow(
      "identity connection is missing clientSecret, controlPlaneTenantId; set them in stack config (the client secret with --secret)",
    );
    expect(() => checkConnection({ url: "ftp://x", clientId: "c", clientSecret: "s", controlPlaneTenantId: "cp" })).toThrow(/must start with https:\/\//);
  });

  it("the marker recognises only tenancy's objects", () => {
    expect(isManaged({ metadata: MANAGED_METADATA })).toBe(true);
    expect(isManaged({ metadata: { managed_by: "someone" } })).toBe(false);
    expect(isManaged({ metadata: "{}" })).toBe(false);
    expect(isManaged({})).toBe(false);
  });

  it("role permissions are one per scope", () => {
    expect(rolePermissions({ name: "r", description: "", permissions: [{ resource_server: "urn:a", scopes: ["x", "y"] }, { resource_server: "urn:b", scopes: ["z"] }] })).toEqual([
      { resource_server_identifier: "urn:a", permission_name: "x" },
      { resource_server_identifier: "urn:a", permission_name: "y" },
      { resource_server_identifier: "urn:b", permission_name: "z" },
    ]);
  });

  it("organization metadata and admin roles", () => {
    const inputs = { tenantId: "acme", displayName: "Acme", metadata: { plan: "pro", status: "active", cell: "c" }, roles: ["b", "a"], adminRole: "a", admins: [] } as unknown as OrganizationInputs;
    expect(organizationMetadata(inputs)).toEqual({ plan: "pro", status: "active", cell: "c", roles: "a,b" });
    expect(adminRoles(inputs)).toEqual(["a", "b"]);
    expect(() => checkOrganizationInputs({ ...inputs, adminRole: "" })).toThrow(/adminRole is required/);
  });
});
