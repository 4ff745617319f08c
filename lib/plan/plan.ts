// The plan as a reviewer reads it: per tenant, what happens to its resources, which migrations it
// receives, and what would destroy data; plus the errors that must stop the change.
import type { Catalog } from "../catalog";
import type { DestructiveStatement } from "../database/migration-lint";
import type { MigrationStep } from "../database/rollout";
import { ACTIONS, type Action, type ResourceChange } from "./diff";
import type { LostFile } from "./lost-files";
import { moveRefusals, placeChangeMove, placementMoves, safetyFindings, unusedAcknowledgements, type Acknowledgements, type PlacementMove, type SafetyFinding } from "./safety";

export type { MigrationStep };

export interface TenantPlan {
  id: string;
  /** create: new file; delete: file removed; update: anything of it changes; same: nothing does. */
  action: Action;
  cell: string;
  /** Every resource of the tenant, including unchanged ones, in URN order. */
  resources: ResourceChange[];
  /** Present when the tenant's migrations move (see migrationRollout). */
  migration?: MigrationStep;
  /** Deletions that destroy data. */
  dataLoss: ResourceChange[];
  /** The cell the tenant leaves: its stack deletes everything of it, the new cell's stack creates it anew. */
  movedFrom?: string;
  /** For a deleted tenant: what its file said happens to its data (`lifecycle.on_delete`). */
  onDelete?: "retain" | "backup" | "delete";
  /** Placement changes (isolation, server, storage mode, region): the data its TenantMove copies, and the maintenance that takes. */
  moves: PlacementMove[];
  /** Why `pulumi up` cannot carry out those moves (errors, lib/plan/safety.ts moveRefusals); empty when it can. */
  moveRefusals: string[];
  /** Destructive statements in the migration files this tenant runs (lib/database/migration-lint.ts). */
  destructive: (DestructiveStatement & { file: string })[];
}

export interface Plan {
  /** The git ref compared against (with its merge-base when that differs), or null when everything is new. */
  base: string | null;
  /** How the base side was evaluated when code differs between base and head. */
  baseCode?: string;
  /** Cells (stacks) evaluated. */
  cells: string[];
  /** The tenants that change, by id. */
  tenants: TenantPlan[];
  /** How many tenants do not change: counted, never listed (a cell has hundreds). */
  unchanged: number;
  /** Resources outside any tenant (providers, shared buckets), per cell. */
  shared: ResourceChange[];
  /** Problems that make the change unacceptable as it is (exit 1). */
  errors: string[];
  /** What would be an error but the pull request acknowledged (--allow-data-loss, --allow-cell-move). */
  acknowledged: SafetyFinding[];
  /** Number of custom resources (providers included, components not) per action. */
  counts: Record<Action, number>;
}

export interface BuildPlanInput {
  base: string | null;
  baseCode?: string;
  baseCatalog: Catalog;
  headCatalog: Catalog;
  cells: string[];
  changes: readonly ResourceChange[];
  /** Which tenants' migrations move: migrationRollout of the base and head catalogs and migration sets. */
  rollout: readonly MigrationStep[];
  /**
   * Custom resources of the tenants the plan did not evaluate because nothing they are made of
   * changed (lib/plan/scope.ts): counted as unchanged. Those tenants have no changes in `changes`.
   */
  unevaluatedResources?: number;
  /** The destructive statements of a migration file, by file name (up or down). */
  destructive?: (file: string) => DestructiveStatement[];
  /** Tenant files the catalog no longer reads (lib/plan/lost-files.ts): errors. */
  lostFiles?: readonly LostFile[];
  acknowledgements?: Acknowledgements;
  /** Each tenant's size in bytes (rows and objects), from --sizes: for the maintenance estimate of a move. */
  sizes?: ReadonlyMap<string, number>;
}

/**
 * Deleting the file of a tenant whose base version asks for deletion protection is refused: the
 * protection must be lifted in a change of its own, so nobody deletes a protected tenant by accident
 * in the same pull request that lifts it.
 */
export function deletionProtectionErrors(baseCatalog: Catalog, headCatalog: Catalog): string[] {
  const remaining = new Set(headCatalog.tenants.map((t) => t.id));
  return baseCatalog.tenants
    .filter((t) => !remaining.has(t.id) && t.lifecycle.deletion_protection)
    .map(
      (t) =>
        `tenant ${t.id} (${t.source}) has lifecycle.deletion_protection: true and its file was removed; ` +
        `set deletion_protection to false in one change, then delete the file in the next`,
    );
}

/**
 * The engine refuses to delete (or replace) a protected resource, so a plan that would is an error
 * too, reported before anyone merges it. `reported`: tenants whose protection an error names already,
 * once: a removed file (deletionProtectionErrors) or a move (moveRefusals).
 */
export function protectedResourceErrors(changes: readonly ResourceChange[], reported: ReadonlySet<string>): string[] {
  return changes
    .filter((c) => (c.action === "delete" || c.replace) && c.previous?.protect && !(c.tenant && reported.has(c.tenant)))
    .map(
      (c) =>
        `${c.tenant ?? "shared"}: ${c.type} ${c.name} is protected (deletion_protection) and this change would ${c.action === "delete" ? "delete" : "replace"} it; ` +
        `set deletion_protection to false in one change, then make this change in the next`,
    );
}

/** Migration steps that cannot be carried out: the runner would refuse or fail, so the plan stops here. */
export function migrationErrors(rollout: readonly MigrationStep[]): string[] {
  return rollout.flatMap((step) => [
    ...step.edited.map(
      (file) => `${step.tenant}: migration ${file} was changed after it was applied; the runner refuses edited migrations: restore it and add a new migration instead`,
    ),
    ...(step.missingDown.length > 0
      ? [`${step.tenant}: lowering migrations ${step.from}→${step.to} needs ${step.missingDown.join(", ")}, which do not exist; add them or keep the ring's version`]
      : []),
  ]);
}

export function buildPlan(input: BuildPlanInput): Plan {
  const { baseCatalog, headCatalog, changes } = input;
  const before = new Map(baseCatalog.tenants.map((t) => [t.id, t]));
  const after = new Map(headCatalog.tenants.map((t) => [t.id, t]));
  const steps = new Map(input.rollout.map((s) => [s.tenant, s]));
  const ids = [...new Set([...before.keys(), ...after.keys(), ...changes.flatMap((c) => (c.tenant ? [c.tenant] : []))])].sort();

  const all = ids.map((id): TenantPlan => {
    const b = before.get(id);
    const h = after.get(id);
    const resources = changes.filter((c) => c.tenant === id);
    const action: Action = !b ? "create" : !h ? "delete" : resources.some((c) => c.action !== "same") ? "update" : "same";
    const migration = steps.get(id);
    const destructive = (migration?.files ?? []).flatMap((file) => (input.destructive?.(file) ?? []).map((d) => ({ ...d, file })));
    const catalogMoves = b && h ? placementMoves(b, h, input.sizes?.get(id)) : [];
    // Without a catalog move, the place may still change by code or stack config: shown as a move too.
    const placeChange = catalogMoves.length === 0 ? resources.map((c) => placeChangeMove(c, input.sizes?.get(id))).find((m) => m !== undefined) : undefined;
    const moves = placeChange ? [placeChange] : catalogMoves;
    return {
      id,
      action: action === "same" && migration ? "update" : action,
      cell: (h ?? b)?.cell ?? "",
      resources,
      ...(migration ? { migration } : {}),
      dataLoss: resources.filter((c) => c.dataLoss),
      ...(b && h && b.cell !== h.cell ? { movedFrom: b.cell } : {}),
      ...(b && !h ? { onDelete: b.lifecycle.on_delete } : {}),
      moves,
      moveRefusals: b && h ? moveRefusals(b, h, moves) : [],
      destructive,
    };
  });

  const counts = Object.fromEntries(ACTIONS.map((a) => [a, changes.filter((c) => c.action === a && c.registration.custom).length])) as Record<Action, number>;
  counts.same += input.unevaluatedResources ?? 0;
  const tenants = all.filter((t) => t.action !== "same");
  const allowed = new Set(input.acknowledgements?.dataLoss ?? []);
  const lost = (input.lostFiles ?? []).map(
    (l): SafetyFinding => ({
      tenant: l.tenant ?? "",
      message: l.message,
      ...(l.acknowledgeable && allowed.has(l.tenant!) ? { acknowledged: `--allow-data-loss ${l.tenant}` } : {}),
    }),
  );
  const findings = [...lost, ...safetyFindings(tenants, input.acknowledgements)];
  const removed = baseCatalog.tenants.filter((t) => !after.has(t.id)).map((t) => t.id);
  // A protected tenant's move is refused as a move (with what to do instead), not once per resource.
  const protectedMoves = tenants.filter((t) => t.moves.length > 0 && before.get(t.id)?.lifecycle.deletion_protection).map((t) => t.id);
  return {
    base: input.base,
    ...(input.baseCode ? { baseCode: input.baseCode } : {}),
    cells: [...input.cells].sort(),
    tenants,
    unchanged: all.length - tenants.length,
    shared: changes.filter((c) => c.tenant === null),
    errors: [
      ...deletionProtectionErrors(baseCatalog, headCatalog),
      ...protectedResourceErrors(changes, new Set([...removed, ...protectedMoves])),
      ...migrationErrors(input.rollout),
      ...tenants.flatMap((t) => t.moveRefusals),
      ...findings.filter((f) => !f.acknowledged).map((f) => f.message),
    ],
    acknowledged: [...findings.filter((f) => f.acknowledged), ...unusedAcknowledgements(findings, input.acknowledgements)],
    counts,
  };
}
