// How long a tenant move keeps the tenant in maintenance (its role's logins refused): the TenantMove
// copies the tenant's rows and objects from the old place into the new one and verifies them while
// nobody can write, so the time grows with the tenant's size. The plan tells the reviewer, who picks
// when to merge; the size comes from `tenancy plan --sizes` (lib/plan/sizes.ts), never from a service.

/**
 * Bytes a move copies and verifies per second, rows and objects together, and the seconds it takes
 * whatever the size (the backup's manifest, ending sessions, the record, emptying the old place).
 * Bytes as `--sizes` gives them: pg_total_relation_size of the tenant's tables plus its objects' sizes.
 *
 * Measured by bench/move.ts (`npm run bench:move`) on 2026-11-25, on 2 cores, against PostgreSQL 15
 * and s3rver on the same machine (no network between them: a real server and S3 add round trips,
 * most of them per object), a tenant moved schema -> database and prefix -> bucket, 44.5 MB of tables
 * (315,000 rows) and 300 objects of 30 MB: 12.4-14.5 s, 5.4-6.3 MB/s over the tiny tenant's time in
 * three runs, 1.8-2.0 times the floor (every row COPY'd out and in once, every object fetched and
 * written once); a tiny tenant (252 rows, 5 objects) 0.5-0.6 s. (Before rows were copied with COPY
 * instead of INSERTs: 4.5-5.2 MB/s; about linear in the size from 0.2 to 245 MB.)
 * Rounded the slow way: 5 MB/s and 1 s.
 */
export const MOVE_BYTES_PER_SECOND = 5_000_000;
export const MOVE_FIXED_SECONDS = 1;

/** 1.5 GB, 340 MB, 12 kB, 900 bytes: decimal units, as the rate's MB/s. */
export function sizeText(bytes: number): string {
  const units = ["kB", "MB", "GB", "TB", "PB"];
  if (bytes < 1000) return `${bytes} bytes`;
  let value = bytes;
  let unit = "";
  for (const u of units) {
    if (value < 1000) break;
    value /= 1000;
    unit = u;
  }
  return `${value < 10 ? Number(value.toFixed(1)) : Math.round(value)} ${unit}`;
}

/**
 * A duration as a reviewer plans around it: seconds in fives under a minute, whole minutes under an
 * hour and a half, then hours (one decimal under ten). An estimate's digits would claim a precision it lacks.
 */
export function durationText(seconds: number): string {
  if (seconds < 55) return `about ${seconds < 10 ? Math.max(1, Math.round(seconds)) : Math.round(seconds / 5) * 5} s`;
  const minutes = seconds / 60;
  if (minutes < 89.5) return `about ${Math.round(minutes)} min`;
  const hours = minutes / 60;
  return `about ${hours < 9.95 ? hours.toFixed(1) : Math.round(hours)} h`;
}

const RATE = `${Number((MOVE_BYTES_PER_SECOND / 1_000_000).toFixed(1))} MB/s`;

/** The maintenance a move of a tenant of `bytes` (rows and objects) takes, as a sentence; undefined: not known. */
export function moveMaintenance(bytes: number | undefined): string {
  if (bytes === undefined) {
    return `size not known to the plan: the time to copy its rows and objects, about ${RATE} plus ${MOVE_FIXED_SECONDS} s; pass --sizes to estimate`;
  }
  return `${durationText(MOVE_FIXED_SECONDS + bytes / MOVE_BYTES_PER_SECOND)} (${sizeText(bytes)} of rows and objects at about ${RATE}, plus ${MOVE_FIXED_SECONDS} s)`;
}
