// A tenant move, in the seed's order ("create backup, maintenance mode, copy data, update
// configuration, verify, remove maintenance mode, cleanup old data"), as TenantMove's update runs it
// once `pulumi up` has made the new place (its database or schema, its grants, its tables at the same
// migration version, its bucket or prefix):
//
//   1. maintenance: the tenant's role may not log in, its sessions are ended (on both servers when
//      the server changes); a suspended tenant's logins are off already and stay off
//   2. a whole backup of the old place (rows and every object version) into the backups bucket
//   3. rows copied from the old place into the new one, verified per table before they commit (rows.ts)
//   4. objects written into the new place from that backup, then compared with the old place (objects.ts)
//   5. the record of the verified move written (record.ts)
//   6. the old place emptied: its schema or its rows, its prefix or bucket (a tenant database of its
//      own is dropped by the engine, deleting the old postgresql.Database right after this update)
//   7. the record marked finished, then logins back (not for a suspended tenant), on the new server
//
// The configuration switch is the rest of the same `pulumi up`: the role's grants and the stack's
// outputs name the new place once this update succeeds. A failure before step 5 leaves the old
// place as it was, gives the logins back and throws: the engine then deletes nothing the move
// depends on (the old place's resources), so the tenant keeps serving from the old place, and the
// rerun starts over (the new place is not serving, so its partial copy is replaced). A failure after
// step 5 is finished by the rerun from the record; after step 7's record, the rerun only gives the
// logins back. Each move has its own record (a move back, then there again, is a new move).
import { readJsonPart } from "../backup/manifest";
import type { ObjectsPart } from "../backup/objects";
import { takeBackup } from "../backup/take";
import { quoteIdent as q } from "../../lib/database/sql";
import { withSession, type Connection } from "../postgres/connection";
import { removeTenantData } from "../postgres/runner";
import { resumeRole, suspendRole } from "../postgres/suspend";
import type { ServerTarget } from "../postgres/target";
import { s3Client, type ObjectPlace, type S3Credentials, type S3Store } from "../s3/client";
import { copyObjects, emptyOldPlace, objectDifferences, objectSums, plainMd5, type ObjectSum } from "./objects";
import { moveId, readMoveRecord, writeMoveRecord, type MoveRecord } from "./record";
import { checksumDifferences, copyRows, placeChecksums, remainingChecksums, type RowChecksums } from "./rows";
import { naming } from "../../lib/naming";

/** Where a tenant's data is: its rows (with the admin connection) and its objects. */
export interface MovePlace {
  target: ServerTarget;
  objects: ObjectPlace;
}

export interface MoveRequest {
  tenantId: string;
  from: MovePlace;
  to: MovePlace;
  /** The backups bucket of the tenant's (new) region: the move's backup and its record go there. */
  store: S3Store;
  credentials?: S3Credentials;
  retentionDays: number;
  /** The tenant is suspended: its logins stay off. */
  suspended: boolean;
  /** The move carried out before this one (its MoveReport.move), if any: part of this move's name (record.ts). */
  previous?: string;
}

export const MOVE_STEPS = ["maintenance", "backed-up", "rows-copied", "objects-copied", "verified", "old-place-emptied", "resumed"] as const;
export type MoveStep = (typeof MOVE_STEPS)[number];

export interface MoveOptions {
  /** Called after each step; a test throws from it to stop the move there, as a crash would. */
  afterStep?: (step: MoveStep) => Promise<void> | void;
}

export interface MoveReport {
  move: string;
  from: string;
  to: string;
  backup: string;
  /** Rows copied per table; absent when the rows stayed where they were. */
  rows?: Record<string, number>;
  /** Object versions written into the new place (after a rerun that finished from the record: the objects verified); absent when the objects stayed. */
  objects?: number;
  /** Seconds the tenant could not log in (0 for a suspended tenant). */
  maintenanceSeconds: number;
  finishedAt: string;
}

const rowsWhere = (t: ServerTarget) => `${t.isolation} ${t.isolation === "database" ? t.database : `${t.database}.${t.schema}`} on server ${t.server}`;
const objectsWhere = (o: ObjectPlace) => `s3://${o.bucket}/${o.prefix} in ${o.region}`;
export const describePlace = (p: MovePlace) => `${rowsWhere(p.target)}, ${objectsWhere(p.objects)}`;

export function rowsMove(from: MovePlace, to: MovePlace): boolean {
  return rowsWhere(from.target) !== rowsWhere(to.target);
}

export function objectsMove(from: MovePlace, to: MovePlace): boolean {
  return objectsWhere(from.objects) !== objectsWhere(to.objects);
}

/** The admin connection to a place's server, at its maintenance database (roles are server-wide). */
function server(target: ServerTarget): Connection {
  const { host, port, user, password, sslmode, ca } = target;
  return { host, port, user, password, sslmode, database: naming.maintenanceDatabase, ...(ca ? { ca } : {}) };
}

/** Logins off on the servers the move touches (one when the server stays). */
async function maintenance(request: MoveRequest): Promise<void> {
  if (request.suspended) return;
  await suspendRole(server(request.from.target), request.from.target.role);
  if (request.from.target.server !== request.to.target.server) await suspendRole(server(request.to.target), request.to.target.role);
}

/**
 * Logins back where the tenant now lives; after a failure, on both servers as they were. Each server
 * on its own: a new server that cannot be reached must not keep the tenant out of its old one.
 */
async function resume(request: MoveRequest, where: "new" | "both"): Promise<void> {
  if (request.suspended) return;
  const targets = where === "both" && request.from.target.server !== request.to.target.server ? [request.from.target, request.to.target] : [request.to.target];
  const results = await Promise.allSettled(targets.map((t) => resumeRole(server(t), t.role)));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
}

/** What this run copied, beside the record. */
interface Copied {
  record: MoveRecord;
  copiedRows?: Record<string, number>;
  written?: number;
}

/**
 * Runs `work` while the tenant's role may read its rows in the old shared place. The engine updated
 * the role for its new place before this update runs, which took it out of the application role of
 * the shared tables when it leaves shared mode; its backup and the copy read the old rows as that
 * role (row-level security selects them). It is a member again for as long as they take, while it
 * cannot log in. Afterwards, on the same server: the new mode's role (no membership, NOINHERIT) once
 * `work` succeeded, the old mode's (a member) when it failed, so that the tenant keeps reading its
 * old place, which still serves it; the rerun's success or a revert of the change settles it. On
 * another server it is the old server's role, left as it was.
 */
async function withOldSharedAccess<T>(request: MoveRequest, work: () => Promise<T>): Promise<T> {
  const { from, to } = request;
  const kept = to.target.isolation === "shared" && to.target.server === from.target.server;
  if (from.target.isolation !== "shared" || kept) return work();
  const [role, app] = [q(from.target.role), q(from.target.appRole)];
  // Membership alone is not enough: a role of another mode is NOINHERIT.
  const was = await withSession(server(from.target), async (client) => {
    const { rows } = await client.query(
      `SELECT pg_has_role(r.oid, $2::regrole, 'MEMBER') AS member, r.rolinherit AS inherit FROM pg_roles r WHERE r.rolname = $1`,
      [from.target.role, from.target.appRole],
    );
    if (!rows[0].member) await client.query(`GRANT ${app} TO ${role}`);
    if (!rows[0].inherit) await client.query(`ALTER ROLE ${role} INHERIT`);
    return rows[0] as { member: boolean; inherit: boolean };
  });
  // On the same server, `was` may be a killed run's lent membership: what to leave follows the outcome.
  let succeeded = false;
  try {
    const result = await work();
    succeeded = true;
    return result;
  } finally {
    const leave = from.target.server !== to.target.server ? was : succeeded ? { member: false, inherit: false } : { member: true, inherit: true };
    await withSession(server(from.target), async (client) => {
      if (!leave.member) await client.query(`REVOKE ${app} FROM ${role}`);
      if (!leave.inherit) await client.query(`ALTER ROLE ${role} NOINHERIT`);
    });
  }
}

/** Copies, verifies and records; the old place is untouched. */
async function copyAndVerify(request: MoveRequest, step: (s: MoveStep) => Promise<void>): Promise<Copied> {
  const { from, to, store, credentials } = request;
  const { manifest } = await takeBackup({ target: from.target, store, credentials, objects: from.objects, retentionDays: request.retentionDays, reason: "move" });
  await step("backed-up");
  let rows: RowChecksums | undefined;
  let copiedRows: Record<string, number> | undefined;
  if (rowsMove(from, to)) {
    // Verified inside its transaction before the commit (rows.ts): what committed is what was compared.
    const copied = await copyRows(from.target, to.target);
    rows = copied.checksums;
    copiedRows = copied.rows;
  }
  await step("rows-copied");
  let objects: ObjectSum[] | undefined;
  let written: number | undefined;
  if (objectsMove(from, to)) {
    const client = s3Client(store, credentials);
    try {
      const part = manifest.parts.objects ? await readJsonPart<ObjectsPart>(client, store.bucket, manifest.parts.objects) : undefined;
      written = part ? await copyObjects(part, store, to.objects, credentials) : 0;
    } finally {
      client.destroy();
    }
    const compared = await objectDifferences(from.objects, to.objects, credentials);
    if (compared.differences.length > 0) throw new Error(`the objects in the new place do not match the old place's: ${compared.differences.join("; ")}`);
    objects = compared.copied;
  }
  await step("objects-copied");
  const record: MoveRecord = {
    format: "tenancy-move/1",
    tenant: request.tenantId,
    from: describePlace(from),
    to: describePlace(to),
    ...(request.previous ? { previous: request.previous } : {}),
    backup: manifest.key,
    verifiedAt: new Date().toISOString(),
    ...(rows ? { rows } : {}),
    ...(objects ? { objects } : {}),
  };
  await writeMoveRecord(store, record, credentials);
  return { record, copiedRows, written };
}

/**
 * A rerun after the record: the new place must still hold what was verified, and the old place what
 * was verified or nothing (step 6 may have run, wholly, or for objects partly), or nothing more is
 * done. The logins were off since before the copy, but something may have given them back since (a
 * refresh: TenantSuspension's read finds NOLOGIN and its update resumes), and a write into the old
 * place then would be lost by emptying it.
 */
async function checkRecorded(request: MoveRequest, record: MoveRecord): Promise<void> {
  const problems: string[] = [];
  const written: string[] = [];
  if (record.rows) {
    problems.push(...checksumDifferences(record.rows, await placeChecksums(request.to.target)));
    const left = await remainingChecksums(request.from.target, request.to.target);
    const emptied = Object.values(left).every((t) => t.rows === 0);
    if (!emptied) {
      const verified = record.rows;
      for (const [table, sums] of Object.entries(left)) {
        if (verified[table]?.rows !== sums.rows || verified[table]?.checksum !== sums.checksum) written.push(`${table}: ${verified[table]?.rows ?? "no"} row(s) verified, ${sums.rows} there now`);
      }
    }
  }
  if (record.objects) {
    const now = await objectSums(request.to.objects, request.credentials);
    const text = (list: ObjectSum[]) => list.map((o) => `${o.key}:${o.size}:${o.etag}`).join("\n");
    if (text(now) !== text(record.objects)) problems.push(`the new place's objects are not the ${record.objects.length} verified on ${record.verifiedAt}`);
    // What is left of the old place's objects must be some of those verified: emptying only removes.
    // ETags are compared where both are an MD5 (the new place's copy of a large object is multipart).
    const verified = new Map(record.objects.map((o) => [o.key, o]));
    const changed = (await objectSums(request.from.objects, request.credentials)).filter((o) => {
      const v = verified.get(o.key);
      return !v || v.size !== o.size || (plainMd5(v.etag) && plainMd5(o.etag) && v.etag !== o.etag);
    });
    if (changed.length > 0) written.push(`${changed.length} object(s) not as verified, such as ${changed.slice(0, 3).map((o) => o.key).join(", ")}`);
  }
  if (problems.length > 0 || written.length > 0) {
    const what = [
      ...(problems.length > 0 ? [`the new place changed since: ${problems.join("; ")}`] : []),
      ...(written.length > 0 ? [`the old place was written since: ${written.join("; ")}`] : []),
    ];
    throw new Error(
      `tenant ${request.tenantId}'s move was verified on ${record.verifiedAt} (backup ${record.backup}), but ${what.join(", and ")}; ` +
        `nothing more was removed from the old place; compare both places by hand (docs/runbooks.md#moving-a-tenant)`,
    );
  }
}

/** Empties the old place: step 6. Idempotent: what is gone already is done. */
async function emptyOld(request: MoveRequest): Promise<void> {
  const { from, to, credentials } = request;
  if (rowsMove(from, to)) await removeTenantData(from.target);
  if (objectsMove(from, to)) await emptyOldPlace(from.objects, credentials);
}

/** The report of a move, from its record and what this run copied (nothing, when it finished from the record). */
function report(id: string, record: MoveRecord & { finishedAt: string }, copied: Copied | undefined, maintenanceSeconds: number): MoveReport {
  // After a rerun that finished from the record, the rows and objects are the record's: they did move.
  const rows = copied?.copiedRows ?? (record.rows ? Object.fromEntries(Object.entries(record.rows).map(([table, sums]) => [table, sums.rows])) : undefined);
  const objects = copied ? copied.written : record.objects?.length;
  return {
    move: id,
    from: record.from,
    to: record.to,
    backup: record.backup,
    ...(rows ? { rows } : {}),
    ...(objects !== undefined ? { objects } : {}),
    maintenanceSeconds: Math.round(maintenanceSeconds * 10) / 10,
    finishedAt: record.finishedAt,
  };
}

/** Carries out the move; see the file's head. Safe to rerun after a failure or a crash at any step. */
export async function moveTenant(request: MoveRequest, options: MoveOptions = {}): Promise<MoveReport> {
  if (!rowsMove(request.from, request.to) && !objectsMove(request.from, request.to)) {
    throw new Error(`tenant ${request.tenantId}: the old and the new place are the same (${describePlace(request.from)}); there is nothing to move`);
  }
  const step = async (s: MoveStep) => options.afterStep?.(s);
  const id = moveId(describePlace(request.from), describePlace(request.to), request.previous);
  const started = Date.now();
  let record = await readMoveRecord(request.store, request.tenantId, id, request.credentials);
  if (record?.finishedAt) {
    // Finished by a run that stopped before the engine saved its outputs: the tenant may be writing
    // in its new place already, so nothing is compared or copied again; only the logins are made sure of.
    await resume(request, "new");
    return report(id, { ...record, finishedAt: record.finishedAt }, undefined, 0);
  }
  await maintenance(request).catch(async (error: Error) => {
    // Refused on one server and not the other (the new one unreachable, say): before any copy, the
    // tenant gets its logins back; after the record, they stay off for the rerun.
    if (record) throw error;
    await resume(request, "both").catch(() => undefined);
    throw new Error(`tenant ${request.tenantId} was not moved (its old place, ${describePlace(request.from)}, is unchanged and serving): its logins could not be refused: ${error.message}`);
  });
  await step("maintenance");
  let copied: Copied | undefined;
  if (record) {
    const recorded = record;
    // Reads the old place too (what is left of it), as the tenant in shared mode: with the same access as the copy.
    await withOldSharedAccess(request, () => checkRecorded(request, recorded)).catch(async (error) => {
      await resume(request, "both").catch(() => undefined);
      throw error;
    });
  } else {
    try {
      copied = await withOldSharedAccess(request, () => copyAndVerify(request, step));
      record = copied.record;
    } catch (error) {
      // The old place is as it was: the tenant serves from it again. The new place is not serving.
      await resume(request, "both").catch(() => undefined);
      throw new Error(`tenant ${request.tenantId} was not moved (its old place, ${describePlace(request.from)}, is unchanged and serving): ${(error as Error).message}`);
    }
    // Outside the try: the record exists from here on, so whatever stops the move now (a crash) leaves
    // the logins off and the old place as it is, and the rerun finishes from the record.
    await step("verified");
  }
  await emptyOld(request);
  await step("old-place-emptied");
  // Recorded as finished before the logins come back: once the tenant can write in its new place, a
  // rerun must not compare that place with the record any more (it would refuse to finish).
  const finished = { ...record, finishedAt: new Date().toISOString() };
  await writeMoveRecord(request.store, finished, request.credentials);
  await resume(request, "new");
  const maintenanceSeconds = request.suspended ? 0 : (Date.now() - started) / 1000;
  await step("resumed");
  return report(id, finished, copied, maintenanceSeconds);
}
