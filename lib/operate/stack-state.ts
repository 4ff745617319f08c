// What the operator's commands need of a cell's deployed state, beside its config: the Organization
// resources' outputs. A suspension records the members it took out of an organization there and in
// the organization's metadata (providers/identity/org-suspension.ts); `tenancy backup` of a suspended
// tenant reads the state's record from `pulumi stack export` (the state as the backend holds it;
// secrets stay encrypted, none is needed).
import { readFromStack, type StackConfigOptions } from "./stack-config";
import { naming } from "../naming";

/** The type token of the Organization resource (components/dynamic.ts TenancyResource). */
const ORGANIZATION_TYPE = `${naming.dynamicTypePrefix}Organization`;

/** What the stack recorded of one tenant's organization. */
export interface OrganizationState {
  /** Its name on the control plane (the adopted one for an adopted organization). */
  name: string;
  /** While suspended: user id -> role ids of the members taken out; absent otherwise. */
  suspendedMembers?: Record<string, string[]>;
}

interface ExportedResource {
  type?: string;
  delete?: boolean;
  outputs?: Record<string, unknown>;
}

/** Tenant id -> its Organization's recorded outputs, from `pulumi stack export` output. */
export function organizationStates(exported: string): Map<string, OrganizationState> {
  const resources = (JSON.parse(exported) as { deployment?: { resources?: ExportedResource[] } }).deployment?.resources ?? [];
  const states = new Map<string, OrganizationState>();
  for (const r of resources) {
    // `delete: true` marks a resource a replacement left pending deletion: not the tenant's current organization.
    if (r.type !== ORGANIZATION_TYPE || r.delete || !r.outputs) continue;
    const { tenantId, name, suspendedMembers } = r.outputs;
    if (typeof tenantId !== "string" || typeof name !== "string") continue;
    const closed = isClosedMembers(suspendedMembers) ? { suspendedMembers } : {};
    states.set(tenantId, { name, ...closed });
  }
  return states;
}

function isClosedMembers(value: unknown): value is Record<string, string[]> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.values(value).every((r) => Array.isArray(r) && r.every((id) => typeof id === "string"));
}

/** Reads the Organization states of stack `cell` through the Pulumi CLI. */
export function readOrganizationStates(cell: string, options: StackConfigOptions = {}): Map<string, OrganizationState> {
  return organizationStates(readFromStack(cell, "state", ["stack", "export"], options, 256 << 20));
}
