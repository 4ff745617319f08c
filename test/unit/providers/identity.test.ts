// Pure parts of the identity client and providers: error text, input checks.
import { describe, expect, it } from "vitest";
import { apiMessage, managementApiError } from "../../../providers/identity/client";
import { rolePermissions } from "../../../providers/identity/entities";
import { checkConnection, isManaged, MANAGED_METADATA } from "../../../providers/identity/managed";
import { adminRoles, organizationMetadata, organizationProblems, type OrganizationInputs } from "../../../providers/identity/organization";

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
    expect(organizationProblems({ ...inputs, adminRole: "" }).map((f) => `${f.property}: ${f.reason}`).join("\n")).toMatch(/adminRole: adminRole is required/);
  });
});
