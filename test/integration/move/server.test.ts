// A tenant moved to another database server (a second embedded PostgreSQL 15), in the same isolation
// mode: its rows on the new server, its role there able to log in, the old server's copy emptied and
// its logins there left off; a failed copy gives the tenant back its old server.
import { describe, expect, it } from "vitest";
import { naming } from "../../../lib/naming";
import { roleAccess } from "../../../providers/postgres/suspend";
import { expectMoved, fill, moveAndCheck } from "./moving";
import { canLogIn, leftInOldPlace, makePlace, moveInputs, readRows, readRowsAsAdmin, secrets, tenant, update, useMoveServices, writeRows, type MoveServices, type Place } from "./places";

const services = useMoveServices(2);
const eu = "eu-west-1" as const;

const access = (s: MoveServices, server: number, id: string) => roleAccess({ ...s.servers[server].admin, database: "postgres" }, naming.role(id));

describe("another database server", () => {
  it("schema on main -> schema on second: the role logs in on the new server only, the old schema is emptied", async () => {
    const s = services();
    const t = tenant("sv-schema");
    await moveAndCheck(s, t, { isolation: "schema", storage: "prefix", region: eu }, { isolation: "schema", storage: "prefix", region: eu, server: 1 });
    expect(await access(s, 1, t.id)).toMatchObject({ exists: true, canLogin: true });
    // The old server's role stays refused (its Role is the engine's to drop): no write can land there.
    expect(await access(s, 0, t.id)).toMatchObject({ exists: true, canLogin: false });
  });

  it("shared on main -> shared on second: the rows move, the other tenants' rows on main stay", async () => {
    const s = services();
    const neighbour = tenant("sv-neighbour");
    const place: Place = { isolation: "shared", storage: "prefix", region: eu };
    await makePlace(s, neighbour, place);
    await writeRows(s, neighbour, place, 6);
    const neighbourRows = await readRows(s, neighbour, place);

    const t = tenant("sv-shared");
    await moveAndCheck(s, t, place, { ...place, server: 1 });
    expect(await readRows(s, neighbour, place)).toEqual(neighbourRows);
    expect(await access(s, 1, t.id)).toMatchObject({ exists: true, canLogin: true });
  });

  it("a new server that refuses the admin: not moved, and the tenant keeps logging in to its old server", async () => {
    const s = services();
    const t = tenant("sv-refused");
    const from: Place = { isolation: "schema", storage: "prefix", region: eu };
    const to: Place = { ...from, server: 1 };
    const before = await fill(s, t, from);
    await makePlace(s, t, to);
    const wrong = "not-the-admin-password-of-second";
    const message = await update(before.olds, { ...moveInputs(s, t, to), password: wrong }).then(
      () => "not failed",
      (error: Error) => error.message,
    );
    expect(message).toMatch(/^tenant sv-refused was not moved \(its old place, schema tenancy_schemas.tenant_sv_refused on server main, .* is unchanged and serving\): its logins could not be refused: .*password authentication failed/);
    for (const secret of [...secrets(s, t), wrong]) expect(message).not.toContain(secret);
    expect(await canLogIn(s, t, from)).toBe(true);
    expect(await readRows(s, t, from)).toEqual(before.rows);
  });

  it("database on main -> database on second, the copy failing first: the tenant keeps its old server, the rerun converges", async () => {
    const s = services();
    const t = tenant("sv-database");
    const from: Place = { isolation: "database", storage: "prefix", region: eu };
    const to: Place = { ...from, server: 1 };
    const before = await fill(s, t, from);
    await makePlace(s, t, to);
    // The new server's invoices refuse a currency the old place holds.
    const database = naming.database(t.id);
    const schema = naming.schema(t.id);
    await s.servers[1].query(`ALTER TABLE ${schema}.invoices ADD CONSTRAINT no_yen CHECK (currency <> 'JPY')`, [], database);
    const message = await update(before.olds, moveInputs(s, t, to)).then(
      () => "not failed",
      (error: Error) => error.message,
    );
    expect(message).toMatch(/^tenant sv-database was not moved \(its old place, database tenant_sv_database on server main, .* is unchanged and serving\): .*no_yen/);
    for (const secret of secrets(s, t)) expect(message).not.toContain(secret);
    expect(await canLogIn(s, t, from)).toBe(true);
    expect(await readRows(s, t, from)).toEqual(before.rows);
    const nothing = await readRowsAsAdmin(s, t, to);
    expect([nothing.projects.rows, nothing.invoices.rows]).toEqual([0, 0]);

    await s.servers[1].query(`ALTER TABLE ${schema}.invoices DROP CONSTRAINT no_yen`, [], database);
    const outs = await update(before.olds, moveInputs(s, t, to));
    await expectMoved(s, t, from, to, before, outs);
    expect(await access(s, 1, t.id)).toMatchObject({ exists: true, canLogin: true });
    expect(await access(s, 0, t.id)).toMatchObject({ canLogin: false });
    // The old database is left whole for the engine to drop (the old postgresql.Database's delete).
    expect((await leftInOldPlace(s, t, from)).tables).toEqual(["invoices", "projects", "schema_migrations", "tenant_profile"]);
  });
});
