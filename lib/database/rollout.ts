// Staged rollout, offline: given the catalog and migrations before and after a change, which
// tenants' migrations will move, from which version to which, running which files. Pure, so the
// plan can show it on a pull request without a database.
import type { ResolvedTenant } from "../catalog";
import type { Migration } from "./migrations";
import type { Isolation } from "../../providers/postgres/target";

export type RolloutTenant = Pick<ResolvedTenant, "id" | "max_migration" | "database" | "rollout">;

export interface RolloutSide {
  tenants: readonly RolloutTenant[];
  migrations: readonly Migration[];
}

export interface MigrationStep {
  tenant: string;
  isolation: Isolation;
  ring: string;
  /** Version before; 0 for a tenant that is new (or moves to another isolation mode, which starts a new target). */
  from: number;
  to: number;
  direction: "up" | "down";
  /** The files that will run, in the order they run. */
  files: string[];
  /** Down files that do not exist: lowering this tenant will fail, and change nothing. */
  missingDown: string[];
  /** Applied migrations whose file changed: the runner will refuse this tenant. */
  edited: string[];
  /** Shared mode only: the shared schema serves every shared tenant, so it does not move down. */
  held: boolean;
}

/** The version a tenant is migrated to: its ring's cap, or the latest migration below it. */
export function targetVersion(tenant: RolloutTenant, migrations: readonly Migration[]): number {
  return Math.min(tenant.max_migration, migrations.length);
}

/** Tenants whose migrations change between `base` (null: nothing deployed yet) and `head`, sorted by id. */
export function migrationRollout(base: RolloutSide | null, head: RolloutSide): MigrationStep[] {
  const before = new Map((base?.tenants ?? []).map((t) => [t.id, t]));
  const steps: MigrationStep[] = [];
  for (const tenant of [...head.tenants].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    const old = before.get(tenant.id);
    const samePlace = old && old.database.isolation === tenant.database.isolation && old.database.server === tenant.database.server;
    const from = samePlace && base ? targetVersion(old, base.migrations) : 0;
    const to = targetVersion(tenant, head.migrations);
    const edited = head.migrations
      .filter((m) => m.version <= from && base?.migrations[m.version - 1]?.checksum !== m.checksum)
      .map((m) => m.file);
    if (from === to && edited.length === 0) continue;
    const isolation = tenant.database.isolation;
    const down = to < from;
    const held = down && isolation === "shared";
    const files: string[] = [];
    const missingDown: string[] = [];
    if (!down) {
      files.push(...head.migrations.filter((m) => m.version > from && m.version <= to).map((m) => m.file));
    } else if (!held) {
      for (let v = from; v > to; v--) {
        // A version deleted from migrations/ since base has no down file to run either.
        const m = head.migrations[v - 1] ?? base!.migrations[v - 1];
        if (head.migrations[v - 1]?.down) files.push(m.down!.file);
        else missingDown.push(m.file.replace(/\.sql$/, ".down.sql"));
      }
    }
    steps.push({ tenant: tenant.id, isolation, ring: tenant.rollout.ring, from, to, direction: down ? "down" : "up", files, missingDown, edited, held });
  }
  return steps;
}
