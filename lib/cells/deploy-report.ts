// What a deploy did to each tenant of a cell, from the engine's own record (`pulumi up
// --continue-on-error --event-log <file>`): the tenants whose resources failed, with the engine's
// messages, for the job summary. One failing tenant no longer stops its cell (the engine goes on
// with everything that does not depend on the failure), so the summary is where it shows; the
// run still fails, the deployed/main tag stays where it was, and the next run retries it.

/** The parts of an engine event (one JSON line of the event log) this report reads. */
export interface EngineEvent {
  resourcePreEvent?: { metadata: { urn: string; type: string } };
  resOpFailedEvent?: { metadata: { urn: string; type: string; op: string } };
  diagnosticEvent?: { urn?: string; message: string; severity: string };
}

export interface DeployFailures {
  /** Tenant id -> the engine's error messages for its resources. */
  tenants: Record<string, string[]>;
  /** Failures outside any tenant (providers, a server's shared objects, the program itself). */
  cell: string[];
}

const TENANT_TYPE = "tenancy:index:Tenant";

/** The event log's text as events; lines that are not JSON (a cut-off last line) are skipped. */
export function parseEventLog(text: string): EngineEvent[] {
  return text.split("\n").flatMap((line) => {
    try {
      return line.trim() ? [JSON.parse(line) as EngineEvent] : [];
    } catch {
      return [];
    }
  });
}

/**
 * The tenant a resource belongs to: its type chain runs through a Tenant component, and its name is
 * the tenant's id or starts with it and a hyphen (lib/naming.ts). The longest such id wins, so
 * `alpha-lab-role` belongs to alpha-lab, not alpha.
 */
export function tenantOfUrn(urn: string, ids: readonly string[]): string | undefined {
  const [, , typeChain = "", name = ""] = urn.split("::");
  if (!typeChain.split("$").includes(TENANT_TYPE)) return undefined;
  return [...ids].sort((a, b) => b.length - a.length).find((id) => name === id || name.startsWith(`${id}-`));
}

const clean = (message: string) => message.replace(/\x1b\[[0-9;]*m/g, "").trim();

export function deployFailures(events: readonly EngineEvent[]): DeployFailures {
  const ids = [
    ...new Set(
      events.flatMap((e) => {
        const meta = e.resourcePreEvent?.metadata ?? e.resOpFailedEvent?.metadata;
        return meta?.type === TENANT_TYPE ? [meta.urn.split("::").pop()!] : [];
      }),
    ),
  ];
  const failures: DeployFailures = { tenants: {}, cell: [] };
  const add = (urn: string | undefined, message: string) => {
    const tenant = urn ? tenantOfUrn(urn, ids) : undefined;
    const list = tenant ? (failures.tenants[tenant] ??= []) : failures.cell;
    if (!list.includes(message)) list.push(message);
  };
  for (const e of events) {
    const d = e.diagnosticEvent;
    if (d?.severity === "error" && clean(d.message) && !/^update failed$/.test(clean(d.message))) add(d.urn, clean(d.message));
    const failed = e.resOpFailedEvent?.metadata;
    if (failed && !events.some((x) => x.diagnosticEvent?.severity === "error" && x.diagnosticEvent.urn === failed.urn)) {
      add(failed.urn, `${failed.op} of ${failed.urn.split("::").pop()} failed`);
    }
  }
  return failures;
}

/** The job summary of one cell's deploy, as markdown. */
export function formatDeployReport(cell: string, failures: DeployFailures): string {
  const tenants = Object.keys(failures.tenants).sort();
  if (tenants.length === 0 && failures.cell.length === 0) return `### ${cell}: every tenant deployed\n`;
  const lines = [`### ${cell}: ${tenants.length} tenant(s) failed${failures.cell.length ? ", and the cell itself" : ""}`, ""];
  const quote = (message: string) => `  - ${message.split("\n").join(" ").slice(0, 500)}`;
  for (const id of tenants) lines.push(`- **${id}**`, ...failures.tenants[id].map(quote));
  if (failures.cell.length) lines.push("- **cell-wide**", ...failures.cell.map(quote));
  lines.push("", "The other tenants were deployed. This run fails, `deployed/main` stays where it was, and the next deploy retries these.");
  return `${lines.join("\n")}\n`;
}
