// TenantMove: one per tenant, holding where the tenant's data is (its database place and its object
// place). It is created with the tenant and records the place; when a pull request changes the
// tenant's isolation mode, database server, storage mode or region, its update carries the data
// over (move.ts) — after the rest of `pulumi up` has made the new place (it depends on the tenant's
// database and storage), and before the engine deletes the old place's resources (they were its
// dependencies, and the engine deletes nothing a failed update depends on, even with
// --continue-on-error). The tenant's data resources carry MOVE_GUARD, so their providers take the
// place change as an update of the new place instead of refusing it (providers/kit.ts).
//
// Refused by diff, so that preview stops before anything runs:
// - a protected tenant (deletion_protection as the state has it): the move ends with the engine
//   deleting the old place's resources, which `protect` refuses; lift protection in a change first;
// - a bucket that would change region: a bucket keeps its name, S3 bucket names are global and a
//   bucket cannot move, so the new one cannot be made while the old one exists.
// Its delete does nothing: the data belongs to the data resources.
import { DEFAULT_BACKUP_RETENTION_DAYS } from "../../lib/lifecycle/policy";
import { defineProvider, type CheckFailure } from "../kit";
import { locatedFailures, serverTargetProblems, type ServerTarget } from "../postgres/target";
import { BUCKET_NAME, type ObjectPlace, type S3Credentials, type S3Store } from "../s3/client";
import { describePlace, moveTenant, objectsMove, rowsMove, type MoveOptions, type MovePlace, type MoveReport } from "./move";

export interface TenantMoveInputs {
  tenantId: string;
  /** Where the tenant's rows are and how the admin reaches them, without the admin password. */
  target: Omit<ServerTarget, "password">;
  /** Admin password of the tenant's server (secret). */
  password: string;
  /** The tenant's bucket, or its prefix in the cell's shared bucket of its region. */
  objects: ObjectPlace;
  /** The backups bucket of the tenant's region: the move's backup and record go there. */
  store: S3Store;
  /** Secret; absent means the AWS SDK's default credential chain. */
  credentials?: S3Credentials;
  retentionDays: number;
  suspended: boolean;
  /** lifecycle.deletion_protection. */
  protected: boolean;
}

export interface TenantMoveOutputs extends TenantMoveInputs {
  /** The last move carried out. */
  lastMove?: MoveReport;
}

export function tenantMoveProblems(inputs: Partial<TenantMoveInputs>): CheckFailure[] {
  const failures = locatedFailures(serverTargetProblems({ ...(inputs.target ?? {}), password: inputs.password })).map((f) =>
    f.property === "password" ? f : { ...f, property: `target.${f.property}` },
  );
  for (const [key, store] of [["objects", inputs.objects], ["store", inputs.store]] as const) {
    if (!store || typeof store.bucket !== "string" || !BUCKET_NAME.test(store.bucket) || typeof store.region !== "string" || store.region.length === 0) {
      failures.push({ property: key, reason: `${key} must name an S3 bucket and its region, got ${JSON.stringify(store)}` });
    }
  }
  const prefix = inputs.objects?.prefix;
  if (typeof prefix !== "string" || (prefix !== "" && !prefix.endsWith("/"))) {
    failures.push({ property: "objects.prefix", reason: `objects.prefix must be "" (the tenant's own bucket) or its key prefix ending in "/", got ${JSON.stringify(prefix)}` });
  }
  if (!Number.isInteger(inputs.retentionDays) || (inputs.retentionDays as number) < 1) {
    failures.push({ property: "retentionDays", reason: `retentionDays must be a whole number of days (backup.retention_days), got ${JSON.stringify(inputs.retentionDays)}` });
  }
  for (const key of ["suspended", "protected"] as const) {
    if (typeof inputs[key] !== "boolean") failures.push({ property: key, reason: `${key} must be true or false, got ${JSON.stringify(inputs[key])}` });
  }
  return failures;
}

/**
 * The place a TenantMove's inputs or outputs name, the admin password with the target; undefined
 * when they name no whole place (a state written by another version: nothing to compare then).
 * The plan reads places from the registrations with it too (lib/plan/safety.ts).
 */
export function placeOf(props: Partial<TenantMoveInputs> | undefined): MovePlace | undefined {
  if (typeof props?.target !== "object" || props.target === null || typeof props.objects !== "object" || props.objects === null) return undefined;
  return { target: { ...props.target, password: props.password as string }, objects: props.objects };
}

/** What diff refuses of a change from `olds` to `news`; undefined when it can be carried out. */
export function moveRefusal(olds: TenantMoveInputs, news: TenantMoveInputs): string | undefined {
  const [from, to] = [placeOf(olds), placeOf(news)];
  if (!from || !to) return undefined;
  if (!rowsMove(from, to) && !objectsMove(from, to)) return undefined;
  const what = `moving tenant ${news.tenantId} from ${describePlace(from)} to ${describePlace(to)}`;
  if (olds.protected) {
    return (
      `${what} is refused: the tenant is protected (lifecycle.deletion_protection), and a move ends with the old place's resources deleted, which protection refuses. ` +
      `Set deletion_protection: false in a change of its own, deploy it, then move (see docs/runbooks.md#moving-a-tenant); nothing was changed`
    );
  }
  if (olds.objects.bucket === news.objects.bucket && olds.objects.region !== news.objects.region) {
    return (
      `${what} is refused: bucket ${news.objects.bucket} cannot change region (S3 bucket names are global, so the new bucket cannot exist next to the old one). ` +
      `Move in two changes: storage.mode: prefix with the new region, deployed, then storage.mode: bucket; nothing was changed`
    );
  }
  return undefined;
}

async function carryOut(olds: TenantMoveOutputs, news: TenantMoveInputs, options?: MoveOptions): Promise<TenantMoveOutputs> {
  // A state without a whole place (not one this version writes) records the new place: there is nothing to move from.
  const to = placeOf(news)!;
  const from = placeOf(olds) ?? to;
  if (!rowsMove(from, to) && !objectsMove(from, to)) return { ...news, ...(olds.lastMove ? { lastMove: olds.lastMove } : {}) };
  const lastMove = await moveTenant(
    {
      tenantId: news.tenantId,
      from,
      to,
      store: news.store,
      credentials: news.credentials,
      retentionDays: news.retentionDays ?? DEFAULT_BACKUP_RETENTION_DAYS,
      suspended: news.suspended,
      // The last move, as the state has it: a rerun of a failed update has the same, a new move another.
      ...(olds.lastMove ? { previous: olds.lastMove.move } : {}),
    },
    options,
  );
  return { ...news, lastMove };
}

export const tenantMove = defineProvider<TenantMoveInputs, TenantMoveOutputs, MoveOptions>({
  kind: "TenantMove",
  // The place is what this resource changes: every key is an update, and the update is the move.
  keys: { place: ["tenantId"], update: ["target", "password", "objects", "store", "credentials", "retentionDays", "suspended", "protected"] },
  check: tenantMoveProblems,
  refuse: moveRefusal,
  create: async (inputs) => ({ id: `${inputs.tenantId}-move`, outs: { ...inputs } }),
  read: async (id, props) => ({ id, props }),
  update: async (_id, olds, news, options) => ({ outs: await carryOut(olds, news, options) }),
  delete: async () => undefined,
});
