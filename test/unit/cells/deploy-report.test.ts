// The deploy report: failures in the engine's event log attributed to tenants by URN, longest id
// first, and the rest reported for the cell as a whole.
import { describe, expect, it } from "vitest";
import { deployFailures, formatDeployReport, parseEventLog, tenantOfUrn, type EngineEvent } from "../../../lib/cells/deploy-report";

const urn = (chain: string, name: string) => `urn:pulumi:eu-1::tenancy::${chain}::${name}`;
const TENANT = "tenancy:index:Tenant";
const pre = (u: string, type: string): EngineEvent => ({ resourcePreEvent: { metadata: { urn: u, type } } });
const failed = (u: string, type: string, op = "update"): EngineEvent => ({ resOpFailedEvent: { metadata: { urn: u, type, op } } });
const error = (u: string | undefined, message: string): EngineEvent => ({ diagnosticEvent: { urn: u, message, severity: "error" } });

describe("tenantOfUrn", () => {
  it("takes the longest tenant id the resource's name starts with, and only under a Tenant", () => {
    const ids = ["alpha", "alpha-lab"];
    expect(tenantOfUrn(urn(`${TENANT}$tenancy:database:TenantDatabase$pulumi-nodejs:dynamic/tenancy:TenantMigrations`, "alpha-lab-migrations"), ids)).toBe("alpha-lab");
    expect(tenantOfUrn(urn(`${TENANT}$tenancy:database:TenantDatabase$pulumi-nodejs:dynamic/tenancy:TenantMigrations`, "alpha-migrations"), ids)).toBe("alpha");
    expect(tenantOfUrn(urn(TENANT, "alpha"), ids)).toBe("alpha");
    expect(tenantOfUrn(urn("pulumi:providers:postgresql", "postgresql-main"), ids)).toBeUndefined();
  });
});

describe("deployFailures and formatDeployReport", () => {
  const migrations = urn(`${TENANT}$tenancy:database:TenantDatabase$pulumi-nodejs:dynamic/tenancy:TenantMigrations`, "alpha-migrations");
  const events = [
    pre(urn(TENANT, "alpha"), TENANT),
    pre(urn(TENANT, "alpha-lab"), TENANT),
    failed(migrations, "pulumi-nodejs:dynamic/tenancy:TenantMigrations"),
    error(migrations, "\u001b[31mtables labels of tenant alpha were dropped outside Pulumi\u001b[0m"),
    error(migrations, "tables labels of tenant alpha were dropped outside Pulumi"),
    failed(urn(`${TENANT}$tenancy:identity:TenantIdentity$pulumi-nodejs:dynamic/tenancy:Organization`, "alpha-lab-organization"), "x", "create"),
    error(urn("pulumi:pulumi:Stack", "tenancy-eu-1"), "update failed"),
    error(urn("pulumi:providers:postgresql", "postgresql-main"), "connection refused"),
  ];

  it("attributes each failure to its tenant once, with the engine's message, and the rest to the cell", () => {
    expect(deployFailures(events)).toEqual({
      tenants: { alpha: ["tables labels of tenant alpha were dropped outside Pulumi"], "alpha-lab": ["create of alpha-lab-organization failed"] },
      cell: ["connection refused"],
    });
  });

  it("reads an event log, skipping a cut-off last line", () => {
    const text = `${events.map((e) => JSON.stringify(e)).join("\n")}\n{"diagnosticEvent": {"urn"`;
    expect(parseEventLog(text)).toEqual(events);
  });

  it("formats a summary per cell", () => {
    expect(formatDeployReport("eu-1", deployFailures(events))).toBe(
      [
        "### eu-1: 2 tenant(s) failed, and the cell itself",
        "",
        "- **alpha**",
        "  - tables labels of tenant alpha were dropped outside Pulumi",
        "- **alpha-lab**",
        "  - create of alpha-lab-organization failed",
        "- **cell-wide**",
        "  - connection refused",
        "",
        "The other tenants were deployed. This run fails, `deployed/main` stays where it was, and the next deploy retries these.",
        "",
      ].join("\n"),
    );
    expect(formatDeployReport("eu-2", { tenants: {}, cell: [] })).toBe("### eu-2: every tenant deployed\n");
  });
});
