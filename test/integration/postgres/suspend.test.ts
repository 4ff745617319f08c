// Suspend and resume on a real PostgreSQL 15: a connected tenant session is ended, new logins are
// refused, the data is intact after resume; in every isolation mode.
import { describe, expect, it } from "vitest";
import { loadMigrations } from "../../../lib/database/migrations";
import { migrate } from "../../../providers/postgres/runner";
import { naming } from "../../../lib/naming";
import { resumeRole, roleAccess, suspendRole } from "../../../providers/postgres/suspend";
import { tenantSuspension } from "../../../providers/postgres/suspension";
import { MODES, useServer } from "./setup";

const server = useServer();

const admin = () => ({ ...server().admin, database: "postgres" });

describe.each(MODES)("isolation %s", (mode) => {
  it("suspend ends the tenant's sessions and refuses logins; resume lets it back to untouched data", async () => {
    const id = `sus-${mode}`;
    const role = naming.role(id);
    const { target, password } = await server().tenant(mode, id);
    await migrate(target, loadMigrations(), 3);
    // A neighbour whose session must survive the suspension.
    const other = await server().tenant(mode, `${id}-other`);
    await migrate(other.target, loadMigrations(), 3);
    const neighbour = await server().tenantClient(mode, `${id}-other`, other.password);

    const session = await server().tenantClient(mode, id, password);
    const ended = new Promise<Error>((resolve) => session.on("error", resolve));
    await session.query(`SET search_path TO ${target.schema}`);
    await session.query(`INSERT INTO projects (name) SELECT 'p' || g FROM generate_series(1, 12) g`);
    const before = await server().query(`SELECT count(*)::int AS n, md5(string_agg(name, ',' ORDER BY name)) AS sum FROM ${target.schema}.projects WHERE tenant_id = $1`, [id], target.database);

    expect(await roleAccess(admin(), role)).toEqual({ exists: true, canLogin: true, sessions: 1 });
    expect(await suspendRole(admin(), role)).toEqual({ terminated: 1 });
    expect((await ended).message).toMatch(/terminat/i);
    await expect(session.query("SELECT 1")).rejects.toThrow();
    expect(await roleAccess(admin(), role)).toEqual({ exists: true, canLogin: false, sessions: 0 });
    await expect(server().tenantClient(mode, id, password)).rejects.toThrow(/is not permitted to log in/);
    // The neighbour was not touched.
    expect((await neighbour.query("SELECT 1 AS ok")).rows).toEqual([{ ok: 1 }]);
    await neighbour.end();

    // Idempotent: suspending again ends nothing and changes nothing.
    expect(await suspendRole(admin(), role)).toEqual({ terminated: 0 });

    await resumeRole(admin(), role);
    await resumeRole(admin(), role);
    const back = await server().tenantClient(mode, id, password);
    try {
      await back.query(`SET search_path TO ${target.schema}`);
      const { rows } = await back.query(`SELECT count(*)::int AS n, md5(string_agg(name, ',' ORDER BY name)) AS sum FROM projects`);
      expect(rows).toEqual(before);
    } finally {
      await back.end();
    }
  });
});

describe("bad input", () => {
  it("refuses an unknown role or an unsafe name and changes nothing", async () => {
    await expect(suspendRole(admin(), "tenant_nobody")).rejects.toThrow("role tenant_nobody does not exist on the database server; nothing was changed");
    await expect(resumeRole(admin(), 'x"; DROP ROLE postgres; --')).rejects.toThrow(/is not a lowercase PostgreSQL identifier/);
    expect(await roleAccess(admin(), "tenant_nobody")).toEqual({ exists: false, canLogin: false, sessions: 0 });
  });
});

describe("TenantSuspension", () => {
  it("status suspended ends sessions and refuses logins; active lets the tenant back; read sees the role as it is", async () => {
    const id = "sus-engine";
    const { password, target } = await server().tenant("database", id);
    await migrate(target, loadMigrations(), 1);
    const { password: adminPassword, ...connection } = admin();
    const inputs = { connection, password: adminPassword, role: naming.role(id), suspended: false };

    const created = await tenantSuspension.create(inputs);
    expect(created).toMatchObject({ id: "tenant_sus_engine-access", outs: { suspended: false, terminated: 0 } });
    const session = await server().tenantClient("database", id, password);
    session.on("error", () => undefined);

    const suspended = await tenantSuspension.update(created.id, created.outs, { ...inputs, suspended: true });
    expect(suspended.outs).toMatchObject({ suspended: true, terminated: 1 });
    await expect(session.query("SELECT 1")).rejects.toThrow();
    await expect(server().tenantClient("database", id, password)).rejects.toThrow(/is not permitted to log in/);
    // Refresh: a role let back in by hand reads as not suspended, so the next up suspends it again.
    expect((await tenantSuspension.read(created.id, suspended.outs)).props.suspended).toBe(true);
    await server().query(`ALTER ROLE ${naming.role(id)} LOGIN`);
    expect((await tenantSuspension.read(created.id, suspended.outs)).props.suspended).toBe(false);
    expect(await tenantSuspension.diff(created.id, (await tenantSuspension.read(created.id, suspended.outs)).props, { ...inputs, suspended: true })).toEqual({ changes: true, replaces: [] });

    const resumed = await tenantSuspension.update(created.id, suspended.outs, inputs);
    expect(resumed.outs).toMatchObject({ suspended: false, terminated: 0 });
    const back = await server().tenantClient("database", id, password);
    await back.end();

    const bad = await tenantSuspension.check({}, { ...inputs, role: "Robert'); DROP" });
    expect(bad.failures).toEqual([{ property: "role", reason: `role must be a lowercase PostgreSQL identifier, got "Robert'); DROP"` }]);
    // A role that is gone reads as gone.
    expect((await tenantSuspension.read(created.id, { ...resumed.outs, role: "tenant_nobody" })).id).toBe("");
  });
});
