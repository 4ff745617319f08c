// The organization a backup reads: an adopted one by its own name, from the backup's configuration;
// and TenantBackup's check of the suspension's members it is handed.
import { describe, expect, it } from "vitest";
import { backupInputProblems } from "../../../providers/backup/backup";
import { organizationName } from "../../../providers/backup/identity";

describe("organizationName", () => {
  it("is adopt.organization from the configuration part, else the tenant id", () => {
    expect(organizationName("acme", { format: "tenancy-configuration/1", tenant: { id: "acme", adopt: { organization: "legacy-acme" } } })).toBe("legacy-acme");
    expect(organizationName("acme", { format: "tenancy-configuration/1", tenant: { id: "acme", adopt: { database: "tenant_acme" } } })).toBe("acme");
    expect(organizationName("acme", { format: "tenancy-configuration/1", tenant: { id: "acme" } })).toBe("acme");
    expect(organizationName("acme")).toBe("acme");
  });
});

describe("backupInputProblems: suspendedMembers", () => {
  const problems = (suspendedMembers: unknown) => backupInputProblems({ suspendedMembers } as never).filter((f) => f.property === "suspendedMembers");

  it("accepts user ids mapped to role ids, or none", () => {
    expect(problems(undefined)).toEqual([]);
    expect(problems({})).toEqual([]);
    expect(problems({ "auth2|u1": ["rol_1", "rol_2"], "auth2|u2": [] })).toEqual([]);
  });

  it("leaves an output not known yet (a preview before the Organization ran) to the check that follows", () => {
    expect(problems("04da6b54-80e4-46f7-96ec-b56ff0331ba9")).toEqual([]);
  });

  it("names the property and what it must be otherwise", () => {
    for (const bad of [["auth2|u1"], { "auth2|u1": "rol_1" }, { "auth2|u1": [1] }, null]) {
      expect(problems(bad)).toEqual([
        { property: "suspendedMembers", reason: `suspendedMembers must map user ids to role ids (the Organization's suspendedMembers), got ${JSON.stringify(bad)}` },
      ]);
    }
  });
});
