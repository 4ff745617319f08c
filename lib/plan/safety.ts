// What in a plan destroys data, and what must stop it before merge.
//  - a placement change (isolation mode, database server, storage mode, region) is a tenant move,
//    which `pulumi up` carries out: the tenant's TenantMove (providers/move/) copies its rows and
//    objects to the new place and verifies them while its logins are refused, then empties the old
//    place. The plan shows each move, what it copies and the maintenance it takes (move-estimate.ts).
//    Not an error, so nothing to acknowledge, unless it is a move `pulumi up` cannot carry out
//    (moveRefusals): a bucket changing region, a tenant protected at the base, migrations changing in
//    the same change. Those are errors no acknowledgement waves through: acknowledging cannot make
//    the move work, and the message says which changes to make instead.
//  - resources deleted or replaced with their data: an offboarding whose lifecycle.on_delete is not
//    backup, a replaced bucket, a cell move, a place change a provider refuses (on a resource no
//    TenantMove guards, such as a state deployed before TenantMove existed). A carried move's
//    deletion of its old place is not among them: the data is in the new place by then.
//  - migrations lowered below what a tenant has applied: down files run, dropping tables.
// The last two are errors unless the pull request acknowledges the tenant (--allow-data-loss <id>,
// or for a cell move --allow-cell-move <id> as `validate` takes it): then the plan still shows them, and exits 0.
import type { ResolvedTenant } from "../catalog";
import type { DestructiveStatement } from "../database/migration-lint";
import type { MigrationStep } from "../database/rollout";
import { MOVE_GUARD } from "../../providers/kit";
import type { ResourceChange } from "./diff";
import { moveMaintenance } from "./move-estimate";
import { describePlace, objectsMove, rowsMove } from "../../providers/move/move";
import { placeOf } from "../../providers/move/tenant-move";
import { naming } from "../naming";

const DYNAMIC = naming.dynamicTypePrefix;

export const MOVE_RUNBOOK = "docs/runbooks.md#moving-a-tenant";

/** A catalog key that places the tenant's data, or `place`: the place changes by code or stack config alone. */
export type PlacementKey = "database.isolation" | "database.server" | "storage.mode" | "region" | "place";

/** One placement change of a tenant: where its data is, from → to, what the move copies and for how long. */
export interface PlacementMove {
  key: PlacementKey;
  from: string;
  to: string;
  copies: string;
  /** The maintenance the tenant's move takes (lib/plan/move-estimate.ts): one move carries every key of the tenant. */
  maintenance: string;
  /** The tenant's size (rows and objects) from --sizes, when given. */
  bytes?: number;
}

type Placed = Pick<ResolvedTenant, "id" | "region" | "database" | "storage">;

const DATABASE_PLACE: Record<string, string> = {
  shared: "its rows in the shared schema",
  schema: "its schema",
  database: "its database",
};

const rowsPlace = (t: Placed) => `${DATABASE_PLACE[t.database.isolation] ?? t.database.isolation} on server ${t.database.server}`;
const objectsPlace = (t: Placed) => (t.storage.mode === "prefix" ? `its prefix of the cell's shared bucket in ${t.region}` : `its own bucket in ${t.region}`);

/**
 * The placement changes between a tenant's base and head versions, in a fixed order. `bytes`: the
 * tenant's size, for the maintenance estimate. Isolation and server moves copy the same rows, and
 * storage mode and region moves the same objects, so their `copies` match when both change.
 */
export function placementMoves(before: Placed, after: Placed, bytes?: number): PlacementMove[] {
  const rows = `every row of the tenant, from ${rowsPlace(before)} into ${rowsPlace(after)}`;
  const objects = `every object, from ${objectsPlace(before)} into ${objectsPlace(after)}`;
  const changes: [PlacementKey, string, string, string][] = [
    ["database.isolation", before.database.isolation, after.database.isolation, rows],
    ["database.server", before.database.server, after.database.server, rows],
    ["storage.mode", before.storage.mode, after.storage.mode, objects],
    ["region", before.region, after.region, objects],
  ];
  const maintenance = moveMaintenance(bytes);
  return changes
    .filter(([, from, to]) => from !== to)
    .map(([key, from, to, copies]) => ({ key, from, to, copies, maintenance, ...(bytes === undefined ? {} : { bytes }) }));
}

/**
 * A move the catalog does not show: the tenant's TenantMove resource names another place in head
 * than in base (a change of code or of the stack config), which `pulumi up` carries out like any
 * move. Found from the resource's own inputs, by the provider's own rules (providers/move/move.ts).
 */
export function placeChangeMove(change: ResourceChange, bytes?: number): PlacementMove | undefined {
  if (change.type !== `${DYNAMIC}TenantMove` || change.action !== "update" || !change.previous) return undefined;
  const [from, to] = [placeOf(change.previous.inputs), placeOf(change.registration.inputs)];
  if (!from || !to || (!rowsMove(from, to) && !objectsMove(from, to))) return undefined;
  const [a, b] = [describePlace(from), describePlace(to)];
  return { key: "place", from: a, to: b, copies: `every row and object of the tenant, from ${a} into ${b}`, maintenance: moveMaintenance(bytes), ...(bytes === undefined ? {} : { bytes }) };
}

export function moveText(move: PlacementMove): string {
  return `${move.key} ${move.from} → ${move.to}`;
}

/** What moveRefusals reads of a tenant's base and head versions. */
export type MoveSide = Placed & Pick<ResolvedTenant, "lifecycle" | "max_migration">;

/**
 * Why `pulumi up` cannot carry out the tenant's moves, one message per reason, each with what to do
 * instead; empty when it can (or nothing moves). No acknowledgement waves these through: the
 * TenantMove refuses the first two itself (providers/move/tenant-move.ts), and the third would copy
 * between places at different migration versions.
 */
export function moveRefusals(before: MoveSide, after: MoveSide, moves: readonly PlacementMove[] = placementMoves(before, after)): string[] {
  if (moves.length === 0) return [];
  const refuse = (because: string, instead: string) =>
    `${after.id}: ${moves.map(moveText).join(", ")} cannot be carried out by pulumi up: ${because}. Instead, ${instead} (see ${MOVE_RUNBOOK}). ` +
    `No acknowledgement lets this move through: --allow-data-loss cannot make it work`;
  const out: string[] = [];
  if (before.region !== after.region && before.storage.mode === "bucket" && after.storage.mode === "bucket") {
    out.push(
      refuse(
        `its own bucket would have to move from ${before.region} to ${after.region}, but S3 bucket names are global and a bucket cannot change region, so the new bucket (the same name) cannot exist next to the old one`,
        `move it in two changes: storage.mode: prefix together with region: ${after.region} (its objects go to the cell's shared bucket in ${after.region}), deployed; then storage.mode: bucket`,
      ),
    );
  }
  if (before.lifecycle.deletion_protection) {
    out.push(
      refuse(
        "the tenant has lifecycle.deletion_protection: true at the base, and a move ends by deleting its old place's resources, which protection refuses (the engine reads protect from the deployed state)",
        "set deletion_protection: false in a change of its own and deploy it, then move (and protect it again after)",
      ),
    );
  }
  if (before.max_migration !== after.max_migration) {
    out.push(
      refuse(
        `its migration version changes in the same change (${before.max_migration} → ${after.max_migration}), and the copy needs the old and the new place at the same version`,
        "deploy the ring (migration) change first, then the move, or the move first, then the ring change",
      ),
    );
  }
  return out;
}

const ROW_TYPES = ["postgresql:index/database:Database", "postgresql:index/schema:Schema"];

/**
 * A data resource of the tenant's old place, which the engine deletes (or replaces) after the move
 * copied and verified its data: not data lost. Rows move with isolation or server, objects with
 * storage mode or region, either with a place changed by code or stack config (the TenantMove
 * copies whatever of it moved); any other deletion in the same change is still data loss.
 */
export function oldPlaceOfMove(change: ResourceChange, moves: readonly PlacementMove[]): boolean {
  const rows = moves.some((m) => m.key === "database.isolation" || m.key === "database.server" || m.key === "place");
  const objects = moves.some((m) => m.key === "storage.mode" || m.key === "region" || m.key === "place");
  if (rows && (ROW_TYPES.includes(change.type) || change.type.endsWith(":TenantMigrations"))) return true;
  return objects && change.type === "aws:s3/bucket:Bucket";
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

/**
 * Why a provider refuses a place change. Without a placement change in the catalog, a place key
 * changed through stack config or code. With one, a resource lacks the guard that lets its provider
 * take the new place (providers/kit.ts MOVE_GUARD): at the base when its state was deployed before
 * the guard existed, or in this change's program.
 */
function refusalCause(refused: readonly ResourceChange[], moved: boolean): string {
  if (!moved) return "which its provider refuses as a tenant move";
  const where = refused.some((c) => c.previous?.inputs[MOVE_GUARD] !== true)
    ? "at the base, whose state was deployed before the guard existed: deploy the code alone first, then the move"
    : "in this change's program";
  return `which its provider refuses: no TenantMove guards it (${MOVE_GUARD}) ${where}`;
}

/** One finding per tenant and cause; acknowledged ones say by what. */
export function safetyFindings(tenants: readonly SafetyTenant[], acks: Acknowledgements = {}): SafetyFinding[] {
  const dataLoss = new Set(acks.dataLoss ?? []);
  const cellMove = new Set(acks.cellMove ?? []);
  const out: SafetyFinding[] = [];
  const add = (tenant: string, message: string, ack: string | undefined) => out.push({ tenant, message, ...(ack ? { acknowledged: ack } : {}) });
  const allowData = (id: string) => (dataLoss.has(id) ? `--allow-data-loss ${id}` : undefined);
  for (const t of tenants) {
    const refused = t.resources.filter((c) => c.refused.length > 0);
    // A carried move deletes its old place after copying the data; a cell move deletes all of it.
    const lost = t.movedFrom ? t.dataLoss : t.dataLoss.filter((c) => !oldPlaceOfMove(c, t.moves));
    if (refused.length > 0) {
      const what = refused.map((c) => `${c.type.split(":").pop()} ${c.name} (${c.refused.join(", ")})`).join(", ");
      add(t.id, `${t.id}: ${what} would change where the tenant's data is, ${refusalCause(refused, t.moves.length > 0)} (see ${MOVE_RUNBOOK}); once it is moved, acknowledge with --allow-data-loss ${t.id}`, allowData(t.id));
    } else if (lost.length > 0 && !(t.action === "delete" && t.onDelete === "backup")) {
      const what = lost.map((c) => `${c.type.split(":").pop()} ${c.name}`).join(", ");
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
