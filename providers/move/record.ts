// The record of a move, written into the backups bucket once the copy is verified and before the old
// place is emptied. It is what makes a rerun after a crash converge: a run that died after emptying
// the old place finds the record, checks that the new place still holds exactly what was verified,
// and finishes (empties what is left of the old place, gives the logins back) instead of copying an
// empty old place over the verified copy. Never a secret: places are named without credentials.
import { createHash } from "node:crypto";
import { canonicalJson } from "../../lib/canonical-json";
import { naming } from "../../lib/naming";
import { s3Client, type S3Credentials, type S3Store } from "../s3/client";
import { putJsonPart, readPart } from "../backup/parts";
import type { ObjectSum } from "./objects";
import type { RowChecksums } from "./rows";

export const MOVE_RECORD_FORMAT = "tenancy-move/1";

export interface MoveRecord {
  format: typeof MOVE_RECORD_FORMAT;
  tenant: string;
  from: string;
  to: string;
  /**
   * The move carried out before this one (its id), when there was one: part of this move's name, so
   * that moving back and then there again is a new move, not the first one's record found again.
   */
  previous?: string;
  /** The backup of the old place the move took first. */
  backup: string;
  verifiedAt: string;
  /** The rows the new place holds, as verified; absent when the rows did not move. */
  rows?: RowChecksums;
  /** The objects the new place holds, as verified; absent when the objects did not move. */
  objects?: ObjectSum[];
  /** Set once the old place is emptied and the logins are back. */
  finishedAt?: string;
}

/**
 * A move's name: the same old and new places after the same previous move always give the same name
 * (a rerun finds its record); another move between the same places (there, back, there again) does not.
 */
export function moveId(from: string, to: string, previous?: string): string {
  return createHash("sha256").update(canonicalJson(previous === undefined ? { from, to } : { from, to, previous })).digest("hex").slice(0, 16);
}

export async function readMoveRecord(store: S3Store, tenant: string, id: string, credentials?: S3Credentials): Promise<MoveRecord | undefined> {
  const client = s3Client(store, credentials);
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of await readPart(client, store.bucket, naming.moveRecord(tenant, id))) chunks.push(chunk as Buffer);
    const record = JSON.parse(Buffer.concat(chunks).toString("utf8")) as MoveRecord;
    if (record.format !== MOVE_RECORD_FORMAT || record.tenant !== tenant) throw new Error(`s3://${store.bucket}/${naming.moveRecord(tenant, id)} is not a move record of tenant ${tenant}`);
    return record;
  } catch (error) {
    if ((error as { name?: string }).name === "NoSuchKey") return undefined;
    throw error;
  } finally {
    client.destroy();
  }
}

export async function writeMoveRecord(store: S3Store, record: MoveRecord, credentials?: S3Credentials): Promise<void> {
  const client = s3Client(store, credentials);
  try {
    await putJsonPart(client, store.bucket, naming.moveRecord(record.tenant, moveId(record.from, record.to, record.previous)), record);
  } finally {
    client.destroy();
  }
}
