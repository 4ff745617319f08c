// `tenancy status`: what was observed of a tenant on the live services, and the pure rules that turn
// it into healthy/unhealthy with reasons, the cell summaries and the usage lines for billing. No I/O
// here (status-probe.ts observes, status.ts runs the command), so every rule is tested alone.
import type { Migration } from "../database/migrations";
import { expectedTables } from "../database/tables";

export { expectedTables };

/** A failure to observe something, in words: the tenant is unhealthy for it. */
export interface Unreachable {
  reachable: false;
  error: string;
}

export interface DatabaseSeen {
  reachable: true;
  /** Highest applied migration; null when the runner's bookkeeping table (schema_migrations) is gone or was never made. */
  version: number | null;
  /** The tables of the tenant's schema (the runner's bookkeeping left out). */
  tables: string[];
  /** The tenant's own database, its schema's relations, or its rows in the shared tables. */
  bytes: number;
  /** Whether the tenant's login role may log in; null when the role does not exist. */
  canLogin: boolean | null;
}

export interface StorageSeen {
  reachable: true;
  bucketExists: boolean;
  objects: number;
  bytes: number;
}

export interface IdentitySeen {
  reachable: true;
  /** The identity tenant record exists on the identity server. */
  identityTenant: boolean;
  /** The tenant's organization on the control plane, by its name; null when there is none. */
  organization: { id: string; name: string; status?: string } | null;
  members: number;
  /** The control plane's entities (roles, APIs) as copied into the identity tenant, compared with _control-plane.yaml. */
  entities: "in-sync" | "drifted" | "unknown";
}

/** What the catalog says a tenant should be: the yardstick, not an observation. */
export interface TenantExpectation {
  id: string;
  cell: string;
  plan: string;
  isolation: "database" | "schema" | "shared";
  storageMode: "bucket" | "prefix";
  status: "active" | "suspended";
  /** The version its ring allows (the runner's target). */
  targetVersion: number;
  organization: string;
}

export interface TenantObservation {
  expected: TenantExpectation;
  database: DatabaseSeen | Unreachable;
  storage: StorageSeen | Unreachable;
  identity: IdentitySeen | Unreachable;
}

export interface TenantStatus extends TenantObservation {
  healthy: boolean;
  /** Why it is unhealthy: each one is a reason for exit code 1. */
  problems: string[];
  /** Worth knowing, not unhealthy (a migration the next deploy applies). */
  notes: string[];
}

/** The health of one tenant from what was observed of it; `migrations` gives the tables each version makes. */
export function tenantHealth(seen: TenantObservation, migrations: readonly Pick<Migration, "version" | "sql">[]): TenantStatus {
  const problems: string[] = [];
  const notes: string[] = [];
  const { expected: e, database: db, storage, identity } = seen;
  const suspended = e.status === "suspended";

  if (!db.reachable) problems.push(`database unreachable: ${db.error}`);
  else {
    if (db.version === null) problems.push("database: no migration bookkeeping (schema_migrations): the tenant's schema is gone or was never migrated");
    else {
      if (db.version < e.targetVersion) notes.push(`migrations pending: at ${db.version}, target ${e.targetVersion} (the next deploy applies them)`);
      if (db.version > e.targetVersion) notes.push(`migrations ahead: at ${db.version}, target ${e.targetVersion} (the next deploy lowers it)`);
      // Shared tables serve every shared tenant of the server: a table missing there is everyone's.
      const missing = expectedTables(migrations, db.version).filter((t) => !db.tables.includes(t));
      if (missing.length > 0) problems.push(`database: table(s) ${missing.join(", ")} missing at migration version ${db.version} (dropped outside the migrations)`);
    }
    if (db.canLogin === null) problems.push("database: the tenant's login role does not exist");
    else if (suspended && db.canLogin) problems.push("suspension not in force: the tenant's role can log in while the tenant is suspended");
    else if (!suspended && !db.canLogin) problems.push("database: the tenant's role cannot log in although the tenant is active");
  }

  if (!storage.reachable) problems.push(`storage unreachable: ${storage.error}`);
  else if (!storage.bucketExists) problems.push(e.storageMode === "bucket" ? "storage: the tenant's bucket does not exist" : "storage: the cell's shared bucket does not exist");

  if (!identity.reachable) problems.push(`identity unreachable: ${identity.error}`);
  else {
    if (!identity.identityTenant) problems.push(`identity: no identity tenant record ${e.id} on the identity server`);
    if (!identity.organization) problems.push(`identity: organization ${e.organization} not found on the control plane`);
    else if ((identity.organization.status ?? "active") !== e.status) {
      problems.push(`identity: organization ${e.organization} is ${identity.organization.status ?? "without status"}, the catalog says ${e.status}`);
    }
    if (identity.entities === "drifted") problems.push("identity: synced entities (roles, APIs) drifted from _control-plane.yaml");
    if (identity.organization && !suspended && identity.members === 0) notes.push("identity: the organization has no member");
  }
  return { ...seen, healthy: problems.length === 0, problems, notes };
}

export interface CellSummary {
  cell: string;
  tenants: number;
  healthy: number;
  unhealthy: string[];
  databaseBytes: number;
  storageBytes: number;
  storageObjects: number;
  members: number;
}

export function cellSummaries(statuses: readonly TenantStatus[]): CellSummary[] {
  const cells = new Map<string, CellSummary>();
  for (const s of statuses) {
    const cell = s.expected.cell;
    const c = cells.get(cell) ?? { cell, tenants: 0, healthy: 0, unhealthy: [], databaseBytes: 0, storageBytes: 0, storageObjects: 0, members: 0 };
    c.tenants++;
    if (s.healthy) c.healthy++;
    else c.unhealthy.push(s.expected.id);
    if (s.database.reachable) c.databaseBytes += s.database.bytes;
    if (s.storage.reachable) {
      c.storageBytes += s.storage.bytes;
      c.storageObjects += s.storage.objects;
    }
    if (s.identity.reachable) c.members += s.identity.members;
    cells.set(cell, c);
  }
  return [...cells.values()].sort((a, b) => a.cell.localeCompare(b.cell));
}

/**
 * One line per tenant for billing. `active_users` counts the organization's members (AuthHero keeps
 * no login history per organization that the Management API lists); `api_calls` is null: tenancy has
 * no source for it (the application's gateway or load balancer logs are), so billing joins it from there.
 */
export interface UsageLine {
  time: string;
  tenant: string;
  cell: string;
  plan: string;
  database_bytes: number | null;
  storage_bytes: number | null;
  storage_objects: number | null;
  active_users: number | null;
  api_calls: null;
}

export function usageLines(statuses: readonly TenantStatus[], time: string): string {
  return statuses
    .map((s): UsageLine => ({
      time,
      tenant: s.expected.id,
      cell: s.expected.cell,
      plan: s.expected.plan,
      database_bytes: s.database.reachable ? s.database.bytes : null,
      storage_bytes: s.storage.reachable ? s.storage.bytes : null,
      storage_objects: s.storage.reachable ? s.storage.objects : null,
      active_users: s.identity.reachable && s.identity.organization ? s.identity.members : null,
      api_calls: null,
    }))
    .map((line) => `${JSON.stringify(line)}\n`)
    .join("");
}

/** 1536 -> "1.5 KiB". */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

function columns(s: TenantStatus): string[] {
  const db = s.database.reachable ? `v${s.database.version ?? "-"}/${s.expected.targetVersion} ${formatBytes(s.database.bytes)}` : "unreachable";
  const storage = s.storage.reachable ? `${s.storage.objects} obj ${formatBytes(s.storage.bytes)}` : "unreachable";
  const identity = !s.identity.reachable ? "unreachable" : s.identity.organization ? `${s.identity.organization.name} ${s.identity.members} members, entities ${s.identity.entities}` : "no organization";
  return [s.expected.id, s.healthy ? "healthy" : "UNHEALTHY", s.expected.status, db, storage, identity];
}

function summaryLine(c: CellSummary): string {
  const bad = c.unhealthy.length > 0 ? `, ${c.unhealthy.length} unhealthy (${c.unhealthy.join(", ")})` : "";
  return `cell ${c.cell}: ${c.tenants} tenant(s), ${c.healthy} healthy${bad}; database ${formatBytes(c.databaseBytes)}, storage ${c.storageObjects} object(s) ${formatBytes(c.storageBytes)}, ${c.members} member(s)`;
}

const HEADER = ["tenant", "health", "status", "migrations / database", "storage", "identity"];

export function formatStatusText(statuses: readonly TenantStatus[]): string {
  const rows = [HEADER, ...statuses.map(columns)];
  const widths = HEADER.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const lines = rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd());
  for (const s of statuses) {
    for (const p of s.problems) lines.push(`${s.expected.id}: ${p}`);
    for (const n of s.notes) lines.push(`${s.expected.id}: note: ${n}`);
  }
  lines.push(...cellSummaries(statuses).map(summaryLine));
  return lines.join("\n");
}

const mdCell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

export function formatStatusMarkdown(statuses: readonly TenantStatus[]): string {
  const lines = [`| ${HEADER.join(" | ")} |`, `|${HEADER.map(() => "---").join("|")}|`];
  for (const s of statuses) lines.push(`| ${columns(s).map(mdCell).join(" | ")} |`);
  const problems = statuses.flatMap((s) => s.problems.map((p) => `- **${s.expected.id}**: ${mdCell(p)}`));
  if (problems.length > 0) lines.push("", "Problems:", "", ...problems);
  lines.push("", ...cellSummaries(statuses).map((c) => `- ${summaryLine(c)}`));
  return lines.join("\n");
}

export function formatStatusJson(statuses: readonly TenantStatus[]): string {
  return JSON.stringify({ healthy: statuses.every((s) => s.healthy), cells: cellSummaries(statuses), tenants: statuses }, null, 2);
}
