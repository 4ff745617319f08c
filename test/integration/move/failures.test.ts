// A move that fails, or crashes, part way: the old place stays intact and serving until the copy is
// verified and recorded; a rerun converges from wherever the last run stopped, and never copies an
// emptied old place over a verified copy. Real PostgreSQL 15 and s3rver.
import { DeleteObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { naming } from "../../../lib/naming";
import type { MoveStep } from "../../../providers/move/move";
import type { TenantMoveOutputs } from "../../../providers/move/tenant-move";
import { resumeRole, roleAccess } from "../../../providers/postgres/suspend";
import { expectMoved, fill } from "./moving";
import {
  asTenant,
  backups,
  canLogIn,
  keysIn,
  leftInOldPlace,
  makePlace,
  moveInputs,
  moveRecords,
  objectPlace,
  readObjects,
  readRows,
  readRowsAsAdmin,
  secrets,
  tenant,
  update,
  useMoveServices,
  type MoveServices,
  type Place,
  type Tenant,
} from "./places";

const services = useMoveServices();
const eu = "eu-west-1" as const;

/** The update's error message; fails the test when it does not throw. */
async function failing(olds: TenantMoveOutputs, news: ReturnType<typeof moveInputs>, afterStep?: (step: MoveStep) => void): Promise<string> {
  const outcome = await update(olds, news, afterStep).then(
    () => "it did not fail",
    (error: Error) => error.message,
  );
  expect(outcome).not.toBe("it did not fail");
  return outcome;
}

/** A crash after `at`: afterStep throws there. */
const crashAfter = (at: MoveStep) => (step: MoveStep) => {
  if (step === at) throw new Error(`simulated crash after ${at}`);
};

const loginOf = (s: MoveServices, t: Tenant, place: Place) => roleAccess({ ...s.servers[place.server ?? 0].admin, database: "postgres" }, naming.role(t.id));

/** The old place exactly as it was and serving: same rows read as the tenant, same objects; the new one holding nothing. */
async function expectUnchanged(s: MoveServices, t: Tenant, from: Place, to: Place, before: Awaited<ReturnType<typeof fill>>): Promise<void> {
  expect(await canLogIn(s, t, from)).toBe(true);
  expect(await readRows(s, t, from)).toEqual(before.rows);
  expect(await readObjects(s, objectPlace(s, t, from))).toEqual(before.objects);
  const empty = await readRowsAsAdmin(s, t, to);
  expect([empty.projects.rows, empty.invoices.rows]).toEqual([0, 0]);
  expect(await moveRecords(s, t, to.region)).toEqual([]);
}

describe("a copy that fails", () => {
  it("rejected by the new place: the old place is unchanged and serving, nothing is committed; the rerun converges", async () => {
    const s = services();
    const t = tenant("fail-reject");
    const from: Place = { isolation: "database", storage: "bucket", region: eu };
    const to: Place = { isolation: "schema", storage: "prefix", region: eu };
    const before = await fill(s, t, from);
    await makePlace(s, t, to);
    // An obstacle in the new place: a trigger that refuses one of the copied rows.
    const server = s.servers[0];
    const schema = naming.schema(t.id);
    await server.query(
      `CREATE FUNCTION ${schema}.refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.name = 'project-7' THEN RAISE EXCEPTION 'project-7 is refused here'; END IF; RETURN NEW; END $$`,
      [],
      "tenancy_schemas",
    );
    await server.query(`CREATE TRIGGER refuse BEFORE INSERT ON ${schema}.projects FOR EACH ROW EXECUTE FUNCTION ${schema}.refuse()`, [], "tenancy_schemas");

    const message = await failing(before.olds, moveInputs(s, t, to));
    expect(message).toMatch(/^tenant fail-reject was not moved \(its old place, database tenant_fail_reject on server main, s3:\/\/tenancy-fail-reject\/ in eu-west-1, is unchanged and serving\): /);
    expect(message).toContain("project-7 is refused here");
    for (const secret of secrets(s, t)) expect(message).not.toContain(secret);
    await expectUnchanged(s, t, from, to, before);
    expect(await readObjects(s, objectPlace(s, t, to))).toEqual([]);

    await server.query(`DROP TRIGGER refuse ON ${schema}.projects`, [], "tenancy_schemas");
    const outs = await update(before.olds, moveInputs(s, t, to));
    await expectMoved(s, t, from, to, before, outs);
  });

  it("changed on its way in (a trigger rewriting a row): the checksums refuse it and roll it back; the rerun converges", async () => {
    const s = services();
    const t = tenant("fail-verify");
    const from: Place = { isolation: "schema", storage: "prefix", region: eu };
    const to: Place = { isolation: "database", storage: "prefix", region: eu };
    const before = await fill(s, t, from);
    await makePlace(s, t, to);
    const server = s.servers[0];
    const database = naming.database(t.id);
    const schema = naming.schema(t.id);
    await server.query(`CREATE FUNCTION ${schema}.shout() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.name := upper(NEW.name); RETURN NEW; END $$`, [], database);
    await server.query(`CREATE TRIGGER shout BEFORE INSERT ON ${schema}.projects FOR EACH ROW EXECUTE FUNCTION ${schema}.shout()`, [], database);

    const message = await failing(before.olds, moveInputs(s, t, to));
    expect(message).toMatch(/is unchanged and serving\): the copy does not verify, so it was rolled back: projects: 11 row\(s\) in the old place \(checksum -?\d+:-?\d+\), 11 in the new \(checksum -?\d+:-?\d+\)$/);
    await expectUnchanged(s, t, from, to, before);

    await server.query(`DROP TRIGGER shout ON ${schema}.projects`, [], database);
    const outs = await update(before.olds, moveInputs(s, t, to));
    await expectMoved(s, t, from, to, before, outs);
  });

  it("an object written into the old place after the backup: the move stops before the old place is touched; the rerun takes it along", async () => {
    const s = services();
    const t = tenant("fail-late-object");
    const from: Place = { isolation: "schema", storage: "prefix", region: eu };
    const to: Place = { isolation: "schema", storage: "bucket", region: eu };
    const before = await fill(s, t, from);
    await makePlace(s, t, to);
    const old = objectPlace(s, t, from);
    const late = async (step: MoveStep) => {
      if (step === "backed-up") await s.s3.client.send(new PutObjectCommand({ Bucket: old.bucket, Key: `${old.prefix}late/arrival.txt`, Body: "written during the move" }));
    };
    const message = await failing(before.olds, moveInputs(s, t, to), late);
    expect(message).toMatch(/is unchanged and serving\): the objects in the new place do not match the old place's: late\/arrival.txt is missing in the new place$/);
    const withLate = await readObjects(s, old);
    expect(withLate.map((o) => o.key)).toEqual([...before.objects.map((o) => o.key), "late/arrival.txt"].sort());
    expect(await readRows(s, t, from)).toEqual(before.rows);
    expect(await moveRecords(s, t, eu)).toEqual([]);

    const outs = await update(before.olds, moveInputs(s, t, to));
    await expectMoved(s, t, from, to, { ...before, objects: withLate }, outs);
    expect((await readObjects(s, objectPlace(s, t, to))).map((o) => o.key)).toContain("late/arrival.txt");
    // Two move backups: the failed attempt's, and the one the rerun took (with the late object).
    const taken = (await backups(s, t, eu)).filter((m) => m.reason === "move");
    expect(taken.map((m) => m.objects)).toEqual([before.objects.length, before.objects.length + 1]);
  });
});

describe("a crash part way, then a rerun", () => {
  it("after `verified`: logins stay off and the old place is whole; the rerun finishes from the record", async () => {
    const s = services();
    const t = tenant("crash-verified");
    const from: Place = { isolation: "schema", storage: "bucket", region: eu };
    const to: Place = { isolation: "shared", storage: "prefix", region: eu };
    const before = await fill(s, t, from);
    await makePlace(s, t, to);
    const message = await failing(before.olds, moveInputs(s, t, to), crashAfter("verified"));
    expect(message).toContain("simulated crash after verified");
    // As a crash leaves it: verified and recorded, the old place whole, the logins still off.
    expect(await moveRecords(s, t, eu)).toHaveLength(1);
    expect(JSON.parse((await moveRecords(s, t, eu))[0]).finishedAt).toBeUndefined();
    expect(await readRowsAsAdmin(s, t, from)).toEqual(before.rows);
    expect(await readObjects(s, objectPlace(s, t, from))).toEqual(before.objects);
    expect(await loginOf(s, t, from)).toMatchObject({ canLogin: false });

    const outs = await update(before.olds, moveInputs(s, t, to));
    await expectMoved(s, t, from, to, before, outs);
    // Finished from the record: no second backup.
    expect((await backups(s, t, eu)).filter((m) => m.reason === "move")).toHaveLength(1);
  });

  it("after `verified`, the logins given back (a refresh) and the tenant writing into its old place: the rerun refuses to empty it", async () => {
    const s = services();
    const t = tenant("crash-written");
    const from: Place = { isolation: "schema", storage: "prefix", region: eu };
    const to: Place = { isolation: "database", storage: "bucket", region: eu };
    const before = await fill(s, t, from);
    await makePlace(s, t, to);
    await failing(before.olds, moveInputs(s, t, to), crashAfter("verified"));
    // `pulumi up --refresh`: TenantSuspension's read finds NOLOGIN, its update resumes the role; the
    // application, still pointed at the old place, writes a row and an object there.
    await resumeRole({ ...s.servers[0].admin, database: "postgres" }, naming.role(t.id));
    const client = await asTenant(s, t, from);
    try {
      await client.query(`INSERT INTO projects (name) VALUES ('written after the copy')`);
    } finally {
      await client.end();
    }
    const old = objectPlace(s, t, from);
    await s.s3.client.send(new PutObjectCommand({ Bucket: old.bucket, Key: `${old.prefix}readme.txt`, Body: "rewritten after the copy" }));
    const written = { rows: await readRows(s, t, from), objects: await readObjects(s, old) };

    const message = await failing(before.olds, moveInputs(s, t, to));
    expect(message).toMatch(
      /^tenant crash-written's move was verified on .* \(backup backups\/crash-written\/.*\/\), but the old place was written since: projects: 11 row\(s\) verified, 12 there now; 1 object\(s\) not as verified, such as readme.txt; nothing more was removed from the old place; compare both places by hand/,
    );
    for (const secret of secrets(s, t)) expect(message).not.toContain(secret);
    expect(await readRowsAsAdmin(s, t, from)).toEqual(written.rows);
    expect(await readObjects(s, old)).toEqual(written.objects);

    // By hand, as the runbook says once the old place is the one to keep: its record removed, the rerun starts over.
    const [key] = await keysIn(s, "tenancy-backups-eu-west-1", `moves/${t.id}/`);
    await s.s3.client.send(new DeleteObjectCommand({ Bucket: "tenancy-backups-eu-west-1", Key: key }));
    const outs = await update(before.olds, moveInputs(s, t, to));
    await expectMoved(s, t, from, to, { ...before, ...written }, outs);
  });

  it("after `old-place-emptied` (a shared old place): the rerun converges and does not copy the emptied old place over the new one", async () => {
    const s = services();
    const t = tenant("crash-emptied");
    const from: Place = { isolation: "shared", storage: "prefix", region: eu };
    const to: Place = { isolation: "schema", storage: "bucket", region: eu };
    const before = await fill(s, t, from);
    await makePlace(s, t, to);
    const message = await failing(before.olds, moveInputs(s, t, to), crashAfter("old-place-emptied"));
    expect(message).toBe("simulated crash after old-place-emptied");
    expect(await leftInOldPlace(s, t, from)).toMatchObject({ rows: 0, mapped: false });
    expect(await readObjects(s, objectPlace(s, t, from))).toEqual([]);
    expect(await loginOf(s, t, from)).toMatchObject({ canLogin: false });

    const outs = await update(before.olds, moveInputs(s, t, to));
    await expectMoved(s, t, from, to, before, outs);
    // Finished from the record: no second backup of the emptied old place.
    expect((await backups(s, t, eu)).filter((m) => m.reason === "move")).toHaveLength(1);
  });

  it("after `resumed`, the tenant writing in its new place before the rerun: the rerun finishes and keeps the write", async () => {
    const s = services();
    const t = tenant("crash-resumed");
    const from: Place = { isolation: "database", storage: "prefix", region: eu };
    const to: Place = { isolation: "schema", storage: "prefix", region: eu };
    const before = await fill(s, t, from);
    await makePlace(s, t, to);
    await failing(before.olds, moveInputs(s, t, to), crashAfter("resumed"));
    // The tenant is back, in its new place, and writes.
    const client = await asTenant(s, t, to);
    try {
      await client.query(`INSERT INTO projects (name) VALUES ('written after the move')`);
    } finally {
      await client.end();
    }
    const now = await readRows(s, t, to);
    expect(now.projects.rows).toBe(before.rows.projects.rows + 1);

    const outs = await update(before.olds, moveInputs(s, t, to));
    expect(await readRows(s, t, to)).toEqual(now);
    expect(await canLogIn(s, t, to)).toBe(true);
    expect(outs.lastMove?.backup).toBeDefined();
  });
});

describe("moving back and forth", () => {
  it("a tenant moved to a place, back, and there again: each move is its own, none is mistaken for an earlier one", async () => {
    const s = services();
    const t = tenant("back-forth");
    const a: Place = { isolation: "schema", storage: "prefix", region: eu };
    const b: Place = { isolation: "database", storage: "bucket", region: eu };
    const first = await fill(s, t, a);
    await makePlace(s, t, b);
    const atB = await update(first.olds, moveInputs(s, t, b));
    await expectMoved(s, t, a, b, first, atB);

    // Back to a: the engine re-creates its schema (TenantMigrations, TenantSeed) first.
    await makePlace(s, t, a);
    const atA = await update(atB, moveInputs(s, t, a));
    await expectMoved(s, t, b, a, { ...first, olds: atB }, atA);

    // And to b again: b's database was dropped by the engine after the last move, and made again.
    await s.servers[0].query(`DROP DATABASE ${naming.database(t.id)} WITH (FORCE)`);
    await makePlace(s, t, b);
    const again = await update(atA, moveInputs(s, t, b));
    await expectMoved(s, t, a, b, { ...first, olds: atA }, again);
    expect(new Set([atB, atA, again].map((o) => o.lastMove?.move)).size).toBe(3);
  });
});
