// What in a plan destroys data, and what must stop it before merge. Three things do:
//  - a placement change (isolation mode, database server, storage mode, region): the tenant's data
//    would have to be copied to its new place. The dynamic providers refuse such a change
//    (providers/kit.ts, TENANT_MOVE), so `pulumi up` fails; the plan says so first.
//  - resources deleted or replaced with their data: an offboarding whose lifecycle.on_delete is not
//    backup, a replaced bucket, a cell move.
//  - migrations lowered below what a tenant has applied: down files run, dropping tables.
// Each is an error unless the pull request acknowledges the tenant (--allow-data-loss <id>, or for a
// cell move --allow-cell-move <id> as `validate` takes it): then the plan still shows it, and exits 0.
import type { ResolvedTenant } from "../catalog";
import type { DestructiveStatement } from "../database/migration-lint";
import type { MigrationStep } from "../database/rollout";
import type { ResourceChange } from "./diff";

export const MOVE_RUNBOOK = "docs/runbooks.md#moving-a-tenant";

export type PlacementKey = "database.isolation" | "database.server" | "storage.mode" | "region";

/** One placement change of a tenant: where its data is, from → to, and what would have to be copied. */
export interface PlacementMove {
  key: PlacementKey;
  from: string;
  to: string;
  copies: string;
}

type Placed = Pick<ResolvedTenant, "id" | "region" | "database" | "storage">;

const DATABASE_PLACE: Record<string, string> = {
  shared: "its rows in the shared schema",
  schema: "its schema",
  database: "its database",
};

const STORAGE_PLACE: Record<string, string> = {
  bucket: "its own bucket",
  prefix: "its prefix of the cell's shared bucket",
};

/** The placement changes between a tenant's base and head versions, in a fixed order. */
export function placementMoves(before: Placed, after: Placed): PlacementMove[] {
  const moves: PlacementMove[] = [];
  const db = (t: Placed) => `${DATABASE_PLACE[t.database.isolation] ?? t.database.isolation} on server ${t.database.server}`;
  if (before.database.isolation !== after.database.isolation) {
    moves.push({ key: "database.isolation", from: before.database.isolation, to: after.database.isolation, copies: `every row of the tenant, from ${db(before)} into ${db(after)}` });
  }
  if (before.database.server !== after.database.server) {
    moves.push({ key: "database.server", from: before.database.server, to: after.database.server, copies: `every row of the tenant, from ${db(before)} into ${db(after)}` });
  }
  if (before.storage.mode !== after.storage.mode) {
    moves.push({ key: "storage.mode", from: before.storage.mode, to: after.storage.mode, copies: `every object, from ${STORAGE_PLACE[before.storage.mode]} into ${STORAGE_PLACE[after.storage.mode]}` });
  }
  if (before.region !== after.region) {
    moves.push({
      key: "region",
      from: before.region,
      to: after.region,
      copies:
        after.storage.mode === "prefix" && before.storage.mode === "prefix"
          ? `every object, from the ${before.region} shared bucket into the ${after.region} one (left behind, the objects are invisible to the application and never removed)`
          : `every object, into a bucket in ${after.region}`,
    });
  }
  return moves;
}

export function moveText(move: PlacementMove): string {
  return `${move.key} ${move.from} → ${move.to}`;
}

/** What a tenant's part of the plan holds that the safety rules read. */
export interface SafetyTenant {
  id: string;
  action: "create" | "update" | "delete" | "same";
  moves: PlacementMove[];
  resources: ResourceChange[];
  dataLoss: ResourceChange[];
  movedFrom?: string;
  onDelete?: "retain" | "backup" | "delete";
  migration?: MigrationStep;
  /** Destructive statements in the migration files this tenant runs. */
  destructive: (DestructiveStatement & { file: string })[];
}

export interface Acknowledgements {
  /** --allow-data-loss <id>: the pull request accepts that this tenant's data is lost, moved by hand or backed up otherwise. */
  dataLoss?: readonly string[];
  /** --allow-cell-move <id>: the tenant's state was moved between the stacks (docs/runbooks.md). */
  cellMove?: readonly string[];
}

export interface SafetyFinding {
  tenant: string;
  message: string;
  /** The acknowledgement that was given for it; absent: an error. */
  acknowledged?: string;
}

/** One finding per tenant and cause; acknowledged ones say by what. */
export function safetyFindings(tenants: readonly SafetyTenant[], acks: Acknowledgements = {}): SafetyFinding[] {
  const dataLoss = new Set(acks.dataLoss ?? []);
  const cellMove = new Set(acks.cellMove ?? []);
  const out: SafetyFinding[] = [];
  const add = (tenant: string, message: string, ack: string | undefined) => out.push({ tenant, message, ...(ack ? { acknowledged: ack } : {}) });
  const allowData = (id: string) => (dataLoss.has(id) ? `--allow-data-loss ${id}` : undefined);
  for (const t of tenants) {
    if (t.moves.length > 0) {
      add(
        t.id,
        `${t.id}: ${t.moves.map(moveText).join(", ")} is a tenant move: ${[...new Set(t.moves.map((m) => m.copies))].join("; ")} would have to be copied, ` +
          `which pulumi up does not do: the providers refuse the change (see ${MOVE_RUNBOOK} for moving it by hand); once it is moved, acknowledge with --allow-data-loss ${t.id}`,
        allowData(t.id),
      );
    } else if (t.resources.some((c) => c.refused.length > 0)) {
      // A place key changed without a placement change in the catalog (stack config, code).
      const what = t.resources.filter((c) => c.refused.length > 0).map((c) => `${c.type.split(":").pop()} ${c.name} (${c.refused.join(", ")})`);
      add(
        t.id,
        `${t.id}: ${what.join(", ")} would change where the tenant's data is, which its provider refuses as a tenant move (see ${MOVE_RUNBOOK}); ` +
          `once it is moved, acknowledge with --allow-data-loss ${t.id}`,
        allowData(t.id),
      );
    } else if (t.dataLoss.length > 0 && !(t.action === "delete" && t.onDelete === "backup")) {
      const what = t.dataLoss.map((c) => `${c.type.split(":").pop()} ${c.name}`).join(", ");
      if (t.movedFrom) {
        add(
          t.id,
          `${t.id}: moving from cell ${t.movedFrom} deletes ${what} with the data in it unless its state is moved between the stacks first; ` +
            `acknowledge with --allow-cell-move ${t.id} once it is`,
          cellMove.has(t.id) ? `--allow-cell-move ${t.id}` : allowData(t.id),
        );
      } else if (t.action === "delete") {
        add(
          t.id,
          `${t.id}: offboarding deletes ${what} without a backup (lifecycle.on_delete: ${t.onDelete ?? "delete"}); ` +
            `set on_delete: backup (or retain) in the tenant file and deploy that first, or acknowledge with --allow-data-loss ${t.id}`,
          allowData(t.id),
        );
      } else {
        add(t.id, `${t.id}: this change deletes or replaces ${what} with the data in it; acknowledge with --allow-data-loss ${t.id}`, allowData(t.id));
      }
    }
    const step = t.migration;
    if (step && step.direction === "down" && !step.held && step.files.length > 0) {
      const drops = t.destructive.filter((d) => step.files.includes(d.file)).map((d) => d.text);
      add(
        t.id,
        `${t.id}: lowering migrations ${step.from}→${step.to} runs ${step.files.join(", ")} on data it already has` +
          `${drops.length > 0 ? ` (${drops.join("; ")})` : ""}; keep ring ${step.ring}'s version, or acknowledge with --allow-data-loss ${t.id}`,
        allowData(t.id),
      );
    }
  }
  return out;
}

/**
 * One entry per acknowledgement that no finding used: a `data-loss:<id>` label left on a pull
 * request from an earlier change would otherwise wave through whatever that tenant's next change
 * destroys, unseen. Listed with the acknowledged findings, so the reviewer sees it and removes it.
 */
export function unusedAcknowledgements(findings: readonly SafetyFinding[], acks: Acknowledgements = {}): SafetyFinding[] {
  const used = new Set(findings.map((f) => f.acknowledged).filter((a): a is string => a !== undefined));
  const given = [...(acks.dataLoss ?? []).map((id) => [id, `--allow-data-loss ${id}`]), ...(acks.cellMove ?? []).map((id) => [id, `--allow-cell-move ${id}`])];
  return given
    .filter(([, flag]) => !used.has(flag))
    .map(([id, flag]) => ({ tenant: id, message: `${id}: nothing in this plan needs ${flag}; remove it (or its pull request label), so it cannot wave through a later change`, acknowledged: flag }));
}
