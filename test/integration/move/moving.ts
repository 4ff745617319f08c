// One move carried out end to end and checked, for the direction tests: the old place made and
// filled, TenantMove created there, the new place made as `pulumi up` makes it, the update run, and
// everything the move promises compared.
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { expect } from "vitest";
import { naming } from "../../../lib/naming";
import { roleAccess } from "../../../providers/postgres/suspend";
import type { TenantMoveOutputs } from "../../../providers/move/tenant-move";
import {
  asTenant,
  backups,
  backupsBucket,
  keysIn,
  canLogIn,
  created,
  declareRole,
  leftInOldPlace,
  makePlace,
  moveInputs,
  moveRecords,
  objectPlace,
  readObjects,
  readRows,
  readRowsAsAdmin,
  secrets,
  update,
  writeObjects,
  writeRows,
  type MoveServices,
  type Place,
  type Rows,
  type StoredObject,
  type Tenant,
} from "./places";

export interface Filled {
  olds: TenantMoveOutputs;
  rows: Rows;
  objects: StoredObject[];
}

/** The old place made, filled as the tenant (suspended afterwards, if it is), and TenantMove created there. */
export async function fill(s: MoveServices, t: Tenant, from: Place, options: { large?: boolean } = {}): Promise<Filled> {
  const active = { ...t, suspended: false };
  await makePlace(s, active, from);
  await writeRows(s, active, from);
  await writeObjects(s, objectPlace(s, t, from), options);
  if (t.suspended) await declareRole(s, t, from);
  const rows = await readRowsAsAdmin(s, t, from);
  if (!t.suspended) expect(await readRows(s, t, from)).toEqual(rows);
  expect(rows.projects.rows).toBeGreaterThan(5);
  expect(rows.invoices.rows).toBeGreaterThan(5);
  return { olds: await created(s, t, from), rows, objects: await readObjects(s, objectPlace(s, t, from)) };
}

/** Everything a finished move promises, for the tenant moved from `from` to `to` holding `before`. */
export async function expectMoved(s: MoveServices, t: Tenant, from: Place, to: Place, before: Filled, outs: TenantMoveOutputs): Promise<void> {
  const server = s.servers[to.server ?? 0];
  const admin = { ...server.admin, database: "postgres" };
  const rowsMoved = from.isolation !== to.isolation || (from.server ?? 0) !== (to.server ?? 0);
  const objectsMoved = from.storage !== to.storage || from.region !== to.region;

  // The rows, as the tenant reads them in its new place (or the admin, for a suspended tenant).
  expect(await readRowsAsAdmin(s, t, to)).toEqual(before.rows);
  if (t.suspended) {
    expect(await canLogIn(s, t, to)).toMatch(/is not permitted to log in/);
    expect(await roleAccess(admin, naming.role(t.id))).toMatchObject({ exists: true, canLogin: false });
  } else {
    expect(await readRows(s, t, to)).toEqual(before.rows);
    // The identity sequences follow the copied values: the tenant's next row does not collide.
    const client = await asTenant(s, t, to);
    try {
      const { rows } = await client.query(`INSERT INTO projects (name) VALUES ('after the move') RETURNING id`);
      const { rows: max } = await client.query(`SELECT max(id)::int AS max FROM projects WHERE name <> 'after the move'`);
      expect(Number(rows[0].id)).toBeGreaterThan(max[0].max);
      await client.query(`DELETE FROM projects WHERE name = 'after the move'`);
      // The seed's profile row is the new place's own, readable by the tenant.
      expect((await client.query(`SELECT name FROM tenant_profile`)).rows).toEqual([{ name: `Tenant ${t.id}` }]);
    } finally {
      await client.end();
    }
  }

  // The Role as the program declares it for the new mode: a membership of tenancy_app lent for reading
  // a shared old place was taken back.
  const [role] = await server.query(
    `SELECT r.rolinherit AS inherit, pg_has_role(r.oid, 'tenancy_app', 'MEMBER') AS member FROM pg_roles r WHERE r.rolname = $1`,
    [naming.role(t.id)],
  );
  expect(role).toEqual(to.isolation === "shared" ? { inherit: true, member: true } : { inherit: false, member: false });

  // The objects, in the new place, with the same keys, sizes, bodies and content types.
  expect(await readObjects(s, objectPlace(s, t, to))).toEqual(before.objects);

  // The old place emptied of what moved.
  if (rowsMoved) {
    const left = await leftInOldPlace(s, t, from);
    if (from.isolation === "schema") expect(left.tables).toEqual([]);
    if (from.isolation === "shared") expect(left).toMatchObject({ rows: 0, mapped: false });
    // A database of its own is the engine's to drop (the old postgresql.Database is deleted next).
    if (from.isolation === "database") expect(left.tables.length).toBeGreaterThan(0);
  }
  if (objectsMoved) expect(await readObjects(s, objectPlace(s, t, from))).toEqual([]);
  else expect(await readObjects(s, objectPlace(s, t, from))).toEqual(before.objects);

  // The outputs: the new place, and what was moved.
  expect(outs.target).toEqual(moveInputs(s, t, to).target);
  expect(outs.lastMove).toBeDefined();
  const report = outs.lastMove!;
  if (rowsMoved) expect(report.rows).toEqual({ projects: before.rows.projects.rows, invoices: before.rows.invoices.rows });
  else expect(report.rows).toBeUndefined();
  if (objectsMoved) expect(report.objects).toBe(before.objects.length);
  else expect(report.objects).toBeUndefined();
  if (t.suspended) expect(report.maintenanceSeconds).toBe(0);

  // The backup the move took first, in the new region's backups bucket, and the record beside it.
  const taken = (await backups(s, t, to.region)).filter((m) => m.reason === "move");
  expect(taken.map((m) => m.key)).toContain(report.backup);
  const manifest = taken.find((m) => m.key === report.backup)!;
  expect(manifest).toMatchObject({ tenant: t.id, isolation: from.isolation, migrationVersion: 3, objects: before.objects.length });
  const records = await moveRecords(s, t, to.region);
  const record = records.map((r) => JSON.parse(r)).find((r) => r.backup === report.backup);
  expect(record).toMatchObject({ format: "tenancy-move/1", tenant: t.id, finishedAt: report.finishedAt });
  // The canary: no password in the record, the report, or the backup's descriptions of itself.
  const described = await Promise.all(
    (await keysIn(s, backupsBucket(to.region), report.backup)).filter((k) => k.endsWith(".json")).map(async (key) => (await s.s3.client.send(new GetObjectCommand({ Bucket: backupsBucket(to.region), Key: key }))).Body!.transformToString()),
  );
  expect(described.length).toBeGreaterThanOrEqual(3);
  for (const secret of secrets(s, t)) {
    for (const text of [...records, JSON.stringify(outs.lastMove), ...described]) expect(text).not.toContain(secret);
  }
}

/**
 * fill, make the new place as `pulumi up` does (the Role updated for the new mode first: TenantMove
 * depends on the whole TenantDatabase), update, and check; returns the outputs.
 */
export async function moveAndCheck(s: MoveServices, t: Tenant, from: Place, to: Place, options: { large?: boolean } = {}): Promise<TenantMoveOutputs> {
  const before = await fill(s, t, from, options);
  await makePlace(s, t, to);
  const outs = await update(before.olds, moveInputs(s, t, to));
  await expectMoved(s, t, from, to, before, outs);
  return outs;
}
