// Attack: a tenant leaves things behind that make its role impossible to drop, so its offboarding
// can never finish: large objects in the shared databases (any role may create them), default
// privileges, and grants another tenant gives it in that tenant's own database.
// Held: the suspension resource's delete (run before the Role's own delete) ends the role's
// sessions and drops what it owns, and every privilege granted to it, in every database where it
// holds any, so DROP ROLE goes through. And shared offboarding deletes by tenant_id through
// indexes: every foreign key gets an index on its columns, so deleting a tenant's rows is linear.
import { describe, expect, it } from "vitest";
import { loadMigrations } from "../../lib/database/migrations";
import { naming } from "../../lib/naming";
import { migrate, removeTenantData } from "../../providers/postgres/runner";
import { tenantSuspension, type TenantSuspensionOutputs } from "../../providers/postgres/suspension";
import { useServer } from "../integration/postgres/setup";
import { asTenant } from "./tenant-session";

const server = useServer();

/** The suspension's outputs as the state holds them, for its delete. */
const suspensionOf = (role: string): TenantSuspensionOutputs => {
  const { password, ...connection } = server().admin;
  return { connection: { ...connection, database: "postgres" }, password, role, suspended: false, dropOwnedOnDelete: true, terminated: 0 };
};

/** What the Role resource's delete does (upstream provider): REASSIGN and DROP OWNED in its database, then DROP ROLE. */
async function dropRoleAsPulumiDoes(role: string): Promise<void> {
  await server().query(`REASSIGN OWNED BY ${role} TO ${server().pg.user}`);
  await server().query(`DROP OWNED BY ${role}`);
  await server().query(`DROP ROLE ${role}`);
}

describe("offboarding a tenant that left things behind", () => {
  it("large objects and default privileges in the shared databases, and a grant in another tenant's database, do not block DROP ROLE", async () => {
    const shared = await server().tenant("shared", "leaver-shared");
    const schema = await server().tenant("schema", "leaver-schema");
    const other = await server().tenant("database", "leaver-host");
    for (const t of [shared, schema, other]) await migrate(t.target, loadMigrations(), 3);
    const leaver = naming.role("leaver-shared");
    for (const [id, t] of [["leaver-shared", shared], ["leaver-schema", schema]] as const) {
      const made = await asTenant(server(), id, t.password, t.target.database, [
        `SELECT lo_from_bytea(0, 'left behind') AS oid`,
        `ALTER DEFAULT PRIVILEGES FOR ROLE ${naming.role(id)} GRANT SELECT ON TABLES TO ${naming.sharedAppRole}`,
        `SELECT 1`,
      ]);
      expect(made.code).toBeUndefined();
    }
    // Another tenant hands the leaver a grant inside its own database.
    const granted = await asTenant(server(), "leaver-host", other.password, other.target.database, [
      `SELECT lo_from_bytea(0, 'shared with a friend') AS oid`,
      `SELECT format('GRANT SELECT ON LARGE OBJECT %s TO ${leaver}', max(oid)) AS sql FROM pg_largeobject_metadata`,
    ]);
    const grant = await asTenant(server(), "leaver-host", other.password, other.target.database, [granted.rows[0].sql]);
    expect(grant.code).toBeUndefined();

    for (const id of ["leaver-shared", "leaver-schema"]) {
      await removeTenantData({ ...(id === "leaver-shared" ? shared : schema).target });
      await tenantSuspension.delete(`${naming.role(id)}-access`, suspensionOf(naming.role(id)));
      await dropRoleAsPulumiDoes(naming.role(id));
      expect(await server().query(`SELECT 1 FROM pg_roles WHERE rolname = $1`, [naming.role(id)])).toEqual([]);
    }
    // The host tenant's own large object is still there: only the grant to the leaver went.
    expect(await server().query(`SELECT count(*)::int AS n FROM pg_largeobject_metadata`, [], other.target.database)).toEqual([{ n: 1 }]);
  });

  it("a retained tenant's role keeps what it holds: the delete drops nothing when the data is retained", async () => {
    const kept = await server().tenant("shared", "retained-role");
    await migrate(kept.target, loadMigrations(), 3);
    await asTenant(server(), "retained-role", kept.password, kept.target.database, [`SELECT lo_from_bytea(0, 'kept')`]);
    await tenantSuspension.delete("x", { ...suspensionOf(naming.role("retained-role")), dropOwnedOnDelete: false });
    expect(await server().query(`SELECT count(*)::int AS n FROM pg_largeobject_metadata WHERE lomowner = $1::regrole`, [naming.role("retained-role")], kept.target.database)).toEqual([{ n: 1 }]);
  });

  it("every foreign key in the shared schema has an index on its columns, so deleting a tenant's rows is linear", async () => {
    const { target, password } = await server().tenant("shared", "many-rows");
    await migrate(target, loadMigrations(), 3);
    const S = naming.sharedSchema;
    const unindexed = await server().query(
      `SELECT k.conname FROM pg_constraint k
        WHERE k.contype = 'f' AND k.connamespace = $1::regnamespace
          AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = k.conrelid AND (i.indkey::int2[])[0:cardinality(k.conkey) - 1] = k.conkey)`,
      [S],
      target.database,
    );
    expect(unindexed).toEqual([]);
    await asTenant(server(), "many-rows", password, target.database, [
      `INSERT INTO ${S}.projects (name) SELECT 'p' || g FROM generate_series(1, 8000) g`,
      `INSERT INTO ${S}.invoices (project_id, amount_cents, currency) SELECT id, 1, 'EUR' FROM ${S}.projects`,
    ]);
    const started = Date.now();
    await removeTenantData(target);
    console.log(`shared offboarding of 8000 projects and 8000 invoices took ${Date.now() - started} ms`);
    expect(await server().query(`SELECT count(*)::int AS n FROM ${S}.invoices WHERE tenant_id = 'many-rows'`, [], target.database)).toEqual([{ n: 0 }]);
  });
});
