// A tenant's objects moved on their own (storage mode, region) through TenantMove's update, and what
// TenantMove refuses or leaves alone: a protected tenant's move, a bucket changing region, an update
// that moves nothing (the server re-addressed). Real PostgreSQL 15 and s3rver.
import { describe, expect, it } from "vitest";
import { naming } from "../../../lib/naming";
import { tenantMove } from "../../../providers/move/tenant-move";
import { roleAccess } from "../../../providers/postgres/suspend";
import { expectMoved, fill, moveAndCheck } from "./moving";
import {
  asTenant,
  backups,
  backupsBucket,
  keysIn,
  makePlace,
  moveInputs,
  objectPlace,
  readObjects,
  readRows,
  secrets,
  tenant,
  update,
  useMoveServices,
  writeObjects,
  type Place,
} from "./places";

const services = useMoveServices();
const [eu, us] = ["eu-west-1", "us-east-1"] as const;

describe("objects moving, rows staying", () => {
  it("a prefix tenant changing region: into the other region's shared bucket, backed up and recorded there; neighbours untouched", async () => {
    const s = services();
    const neighbour = tenant("st-neighbour");
    const neighbourPlace: Place = { isolation: "shared", storage: "prefix", region: eu };
    await makePlace(s, neighbour, neighbourPlace);
    await writeObjects(s, objectPlace(s, neighbour, neighbourPlace));
    const neighbourObjects = await readObjects(s, objectPlace(s, neighbour, neighbourPlace));

    const t = tenant("st-region");
    const outs = await moveAndCheck(s, t, { isolation: "shared", storage: "prefix", region: eu }, { isolation: "shared", storage: "prefix", region: us });
    expect(outs.objects.bucket).toBe(naming.sharedBucket("tenancy", "main", us));
    // Its backup and record stay in its new region; nothing of it went into the old region's bucket.
    expect(await keysIn(s, backupsBucket(eu), `backups/${t.id}/`)).toEqual([]);
    expect(await keysIn(s, backupsBucket(eu), `moves/${t.id}/`)).toEqual([]);
    expect((await backups(s, t, us)).map((m) => m.reason)).toEqual(["move"]);
    expect(await readObjects(s, objectPlace(s, neighbour, neighbourPlace))).toEqual(neighbourObjects);
  });

  it("bucket -> prefix, the rows staying in the tenant's schema", async () => {
    await moveAndCheck(services(), tenant("st-to-prefix"), { isolation: "schema", storage: "bucket", region: eu }, { isolation: "schema", storage: "prefix", region: eu }, { large: true });
  });

  it("prefix -> bucket in another region, the rows staying in the tenant's database", async () => {
    await moveAndCheck(services(), tenant("st-to-bucket"), { isolation: "database", storage: "prefix", region: eu }, { isolation: "database", storage: "bucket", region: us });
  });
});

describe("refused, or nothing to move", () => {
  /** What a refused or empty update must leave as it was: rows, objects, sessions, backups, records. */
  async function unchanged(id: string, place: Place, change: (s: ReturnType<typeof services>) => Promise<void>) {
    const s = services();
    const t = tenant(id);
    const before = await fill(s, t, place);
    const session = await asTenant(s, t, place);
    try {
      await change(s);
      // The tenant's session was never ended, and it still sees its rows.
      expect((await session.query(`SELECT count(*)::int AS n FROM projects`)).rows[0].n).toBe(before.rows.projects.rows);
    } finally {
      await session.end();
    }
    expect(await readRows(s, t, place)).toEqual(before.rows);
    expect(await readObjects(s, objectPlace(s, t, place))).toEqual(before.objects);
    expect(await roleAccess({ ...s.servers[0].admin, database: "postgres" }, naming.role(t.id))).toMatchObject({ canLogin: true });
    for (const region of [eu, us]) {
      expect(await keysIn(s, backupsBucket(region), `backups/${t.id}/`)).toEqual([]);
      expect(await keysIn(s, backupsBucket(region), `moves/${t.id}/`)).toEqual([]);
    }
    return before;
  }

  it("a protected tenant's move: diff refuses it before anything runs", async () => {
    const from: Place = { isolation: "schema", storage: "prefix", region: eu };
    const to: Place = { isolation: "shared", storage: "prefix", region: eu };
    await unchanged("st-protected", from, async (s) => {
      const t = tenant("st-protected", { protected: true });
      const olds = { ...moveInputs(s, t, from) };
      await makePlace(s, t, to);
      const refused = await update(olds, moveInputs(s, t, to)).then(
        () => "not refused",
        (error: Error) => error.message,
      );
      expect(refused).toBe(
        "TenantMove st-protected-move: moving tenant st-protected from schema tenancy_schemas.tenant_st_protected on server main, s3://tenancy-shared-main-eu-west-1/tenants/st-protected/ in eu-west-1 " +
          "to shared tenancy_shared.tenancy_shared on server main, s3://tenancy-shared-main-eu-west-1/tenants/st-protected/ in eu-west-1 is refused: the tenant is protected (lifecycle.deletion_protection), " +
          "and a move ends with the old place's resources deleted, which protection refuses. Set deletion_protection: false in a change of its own, deploy it, then move (see docs/runbooks.md#moving-a-tenant); nothing was changed",
      );
      for (const secret of secrets(s, t)) expect(refused).not.toContain(secret);
      // Lifting protection in the same change does not help: the state's protection decides.
      await expect(tenantMove.diff("st-protected-move", olds, { ...moveInputs(s, t, to), protected: false })).rejects.toThrow(/is refused: the tenant is protected/);
      // A protected tenant's other changes are no move, and no refusal.
      expect(await tenantMove.diff("st-protected-move", olds, { ...olds, retentionDays: 90 })).toMatchObject({ changes: true, replaces: [] });
    });
  });

  it("a bucket changing region: diff refuses it (the name is global), and says how to move in two changes", async () => {
    const from: Place = { isolation: "database", storage: "bucket", region: eu };
    await unchanged("st-bucket-region", from, async (s) => {
      const t = tenant("st-bucket-region");
      const olds = moveInputs(s, t, from);
      await expect(tenantMove.diff("st-bucket-region-move", olds, moveInputs(s, t, { ...from, region: us }))).rejects.toThrow(
        /^TenantMove st-bucket-region-move: moving tenant st-bucket-region .* is refused: bucket tenancy-st-bucket-region cannot change region .*Move in two changes: storage.mode: prefix with the new region, deployed, then storage.mode: bucket; nothing was changed$/,
      );
    });
  });

  it("an update that moves nothing (the server re-addressed 127.0.0.1 -> localhost, retention changed): no backup, no logins taken away", async () => {
    const place: Place = { isolation: "shared", storage: "prefix", region: eu };
    await unchanged("st-noop", place, async (s) => {
      const t = tenant("st-noop");
      const olds = { ...moveInputs(s, t, place), lastMove: { move: "earlier", from: "a", to: "b", backup: "k", maintenanceSeconds: 1, finishedAt: "2020-01-01T00:00:00.000Z" } };
      const news = { ...moveInputs(s, t, place, "localhost"), retentionDays: 45 };
      const { changes } = await tenantMove.diff("st-noop-move", olds, news);
      expect(changes).toBe(true);
      const outs = await update(olds, news);
      // The new inputs, and the last move as it was.
      expect(outs).toEqual({ ...news, lastMove: olds.lastMove });
    });
  });

  it("a rerun of a finished move, with outputs the engine did not save, reports it and changes nothing", async () => {
    const s = services();
    const t = tenant("st-rerun");
    const from: Place = { isolation: "schema", storage: "prefix", region: eu };
    const to: Place = { isolation: "schema", storage: "bucket", region: eu };
    const before = await fill(s, t, from);
    await makePlace(s, t, to);
    const outs = await update(before.olds, moveInputs(s, t, to));
    await expectMoved(s, t, from, to, before, outs);
    const again = await update(before.olds, moveInputs(s, t, to));
    expect(again.lastMove).toEqual({ ...outs.lastMove, maintenanceSeconds: 0 });
    await expectMoved(s, t, from, to, before, again);
    expect((await backups(s, t, eu)).map((m) => m.reason)).toEqual(["move"]);
  });
});
