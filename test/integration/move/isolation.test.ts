// A tenant moved between isolation modes on one real PostgreSQL 15, its objects between storage
// modes on s3rver, through TenantMove's update as the engine calls it after `pulumi up` made the new
// place. Each direction ends with the same rows (read as the tenant) and objects in the new place,
// the old place emptied, neighbours untouched, the tenant able to log in (a suspended one not).
import { beforeAll, describe, expect, it } from "vitest";
import { expectMoved, fill, moveAndCheck } from "./moving";
import { naming } from "../../../lib/naming";
import {
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
  writeObjects,
  writeRows,
  type Place,
} from "./places";

const services = useMoveServices();

// Neighbours on the same server and in the same shared bucket, whose data no move may touch.
const neighbours = { shared: tenant("nb-shared"), schema: tenant("nb-schema") };
const neighbourPlaces: Record<keyof typeof neighbours, Place> = {
  shared: { isolation: "shared", storage: "prefix", region: "eu-west-1" },
  schema: { isolation: "schema", storage: "prefix", region: "eu-west-1" },
};
let neighbourData: Record<string, unknown>;

async function neighbourSnapshot(): Promise<Record<string, unknown>> {
  const s = services();
  const out: Record<string, unknown> = {};
  for (const [key, t] of Object.entries(neighbours)) {
    const place = neighbourPlaces[key as keyof typeof neighbours];
    out[key] = { rows: await readRows(s, t, place), objects: await readObjects(s, objectPlace(s, t, place)) };
  }
  return out;
}

beforeAll(async () => {
  const s = services();
  for (const [key, t] of Object.entries(neighbours)) {
    const place = neighbourPlaces[key as keyof typeof neighbours];
    await makePlace(s, t, place);
    await writeRows(s, t, place, 4);
    await writeObjects(s, objectPlace(s, t, place));
  }
  neighbourData = await neighbourSnapshot();
});

const eu = "eu-west-1" as const;

describe("isolation moves", () => {
  it("schema -> database, bucket -> prefix (with an object over 5 MB)", async () => {
    const s = services();
    const t = tenant("mv-schema-db");
    const to: Place = { isolation: "database", storage: "prefix", region: eu };
    await moveAndCheck(s, t, { isolation: "schema", storage: "bucket", region: eu }, to, { large: true });
    // Copied in two parts (lib-storage's Upload): its body and size are the same (readObjects compares
    // sha256). s3rver gives a multipart upload a plain MD5 ETag, so this does not reach the move's sha256 comparison.
    expect(await neighbourSnapshot()).toEqual(neighbourData);
  });

  it("database -> shared, prefix -> bucket", async () => {
    await moveAndCheck(services(), tenant("mv-db-shared"), { isolation: "database", storage: "prefix", region: eu }, { isolation: "shared", storage: "bucket", region: eu });
    expect(await neighbourSnapshot()).toEqual(neighbourData);
  });

  // Out of a shared place, the Role has lost its membership of tenancy_app (updated first), which the
  // move reads the old place with (pg_dump --role, row-level security): it lends it back for the copy.
  it("shared -> schema, objects staying in the prefix", async () => {
    await moveAndCheck(services(), tenant("mv-shared-schema"), { isolation: "shared", storage: "prefix", region: eu }, { isolation: "schema", storage: "prefix", region: eu });
    expect(await neighbourSnapshot()).toEqual(neighbourData);
  });

  it("database -> schema, objects staying in the tenant's bucket", async () => {
    await moveAndCheck(services(), tenant("mv-db-schema"), { isolation: "database", storage: "bucket", region: eu }, { isolation: "schema", storage: "bucket", region: eu });
    expect(await neighbourSnapshot()).toEqual(neighbourData);
  });

  it("schema -> shared, for a suspended tenant, which stays unable to log in", async () => {
    await moveAndCheck(services(), tenant("mv-schema-shared", { suspended: true }), { isolation: "schema", storage: "prefix", region: eu }, { isolation: "shared", storage: "prefix", region: eu });
    expect(await neighbourSnapshot()).toEqual(neighbourData);
  });

  it("shared -> database, bucket -> prefix", async () => {
    await moveAndCheck(services(), tenant("mv-shared-db"), { isolation: "shared", storage: "bucket", region: eu }, { isolation: "database", storage: "prefix", region: eu });
    expect(await neighbourSnapshot()).toEqual(neighbourData);
  });
});

describe("out of shared mode, the copy failing", () => {
  // The Role was updated for the new mode before the move (no tenancy_app, NOINHERIT); the move lends
  // the membership for its copy, and after a failure leaves it, so the tenant keeps its old place.
  it("nothing changes, the tenant reads its old place as before; the rerun converges and takes the membership back", async () => {
    const s = services();
    const t = tenant("mv-shared-fail");
    const from: Place = { isolation: "shared", storage: "prefix", region: eu };
    const to: Place = { isolation: "schema", storage: "bucket", region: eu };
    const before = await fill(s, t, from);
    await makePlace(s, t, to);
    const server = s.servers[0];
    const schema = naming.schema(t.id);
    await server.query(`ALTER TABLE ${schema}.invoices ADD CONSTRAINT not_paid CHECK (status <> 'paid')`, [], "tenancy_schemas");
    const failure = await update(before.olds, moveInputs(s, t, to)).then(
      () => "not failed",
      (error: Error) => error.message,
    );
    expect(failure).toMatch(/^tenant mv-shared-fail was not moved \(its old place, shared tenancy_shared.tenancy_shared on server main, .* is unchanged and serving\): .*not_paid/);
    for (const secret of secrets(s, t)) expect(failure).not.toContain(secret);
    // Nothing changed: the old rows and objects, nothing in the new place, no record.
    expect(await readRowsAsAdmin(s, t, from)).toEqual(before.rows);
    expect(await leftInOldPlace(s, t, from)).toMatchObject({ rows: before.rows.projects.rows + before.rows.invoices.rows + 1, mapped: true });
    const nothing = await readRowsAsAdmin(s, t, to);
    expect([nothing.projects.rows, nothing.invoices.rows]).toEqual([0, 0]);
    expect(await readObjects(s, objectPlace(s, t, from))).toEqual(before.objects);
    expect(await readObjects(s, objectPlace(s, t, to))).toEqual([]);
    expect(await moveRecords(s, t, eu)).toEqual([]);
    const [role] = await server.query(`SELECT rolinherit AS inherit, rolcanlogin AS login, pg_has_role(oid, 'tenancy_app', 'MEMBER') AS member FROM pg_roles WHERE rolname = $1`, [naming.role(t.id)]);
    expect(role).toEqual({ inherit: true, login: true, member: true });
    // Serving: the tenant itself reads its rows in the shared tables.
    expect(await readRows(s, t, from)).toEqual(before.rows);

    await server.query(`ALTER TABLE ${schema}.invoices DROP CONSTRAINT not_paid`, [], "tenancy_schemas");
    const outs = await update(before.olds, moveInputs(s, t, to));
    await expectMoved(s, t, from, to, before, outs);
  });

  it("a run killed while it lent the membership: the rerun leaves the role as its new mode declares it", async () => {
    const s = services();
    const t = tenant("mv-shared-killed");
    const from: Place = { isolation: "shared", storage: "prefix", region: eu };
    const to: Place = { isolation: "database", storage: "prefix", region: eu };
    const before = await fill(s, t, from);
    await makePlace(s, t, to);
    // What a provider host killed during the copy leaves: logins off, the membership lent, INHERIT.
    const role = naming.role(t.id);
    for (const sql of [`ALTER ROLE ${role} NOLOGIN`, `GRANT tenancy_app TO ${role}`, `ALTER ROLE ${role} INHERIT`]) await s.servers[0].query(sql);
    const outs = await update(before.olds, moveInputs(s, t, to));
    await expectMoved(s, t, from, to, before, outs);
  });
});
