// Attack: a tenant rewrites what the platform seeded for it: its profile's settings (its
// entitlements: features, limits), its name, or deletes the row, so the application grants it
// what its plan does not.
// Held: tenants get SELECT only on the seeded profile, in every isolation mode; and the seed
// provider compares the row with its inputs on refresh and writes it back on the next up, so a
// change made behind its back (by anyone with the rights) does not survive.
import { describe, expect, it } from "vitest";
import { loadMigrations } from "../../lib/database/migrations";
import { migrate } from "../../providers/postgres/runner";
import { tenantSeed, type TenantSeedInputs } from "../../providers/postgres/seed";
import { MODES, useServer } from "../integration/postgres/setup";
import { asTenant, DENIED } from "./tenant-session";

const server = useServer();

describe.each(MODES)("isolation %s", (mode) => {
  it("the tenant cannot insert, change or delete its profile; refresh sees a change made behind the provider's back, and up restores it", async () => {
    const id = `seeded-${mode}`;
    const { target, password } = await server().tenant(mode, id);
    await migrate(target, loadMigrations(), 3);
    const inputs: TenantSeedInputs = { ...target, server: "main", name: "Seeded Corp", friendlyName: "Seeded", settings: { plan: "starter", features: { sso: false }, seats: 5 } };
    const created = await tenantSeed.create(inputs);
    const s = target.schema;

    const attempts = {
      "raise its own entitlements": `UPDATE ${s}.tenant_profile SET settings = '{"plan":"enterprise","features":{"sso":true},"seats":100000}'`,
      "rename itself": `UPDATE ${s}.tenant_profile SET name = 'Other'`,
      "delete its profile": `DELETE FROM ${s}.tenant_profile`,
      "insert another profile": `INSERT INTO ${s}.tenant_profile (tenant_id, name, friendly_name) VALUES ('${id}', 'x', 'x')`,
      "truncate the profiles": `TRUNCATE ${s}.tenant_profile`,
    };
    const allowed: string[] = [];
    for (const [name, sql] of Object.entries(attempts)) {
      const outcome = await asTenant(server(), id, password, target.database, [sql]);
      if (outcome.code !== DENIED) allowed.push(`${name}: ${outcome.code ?? "succeeded"}`);
    }
    expect(allowed).toEqual([]);
    const own = await asTenant(server(), id, password, target.database, [`SELECT name, settings FROM ${s}.tenant_profile`]);
    expect(own.rows).toEqual([{ name: "Seeded Corp", settings: { plan: "starter", features: { sso: false }, seats: 5 } }]);

    // Someone with the rights changes the row: refresh reports it, the next up writes it back.
    await server().query(`UPDATE ${s}.tenant_profile SET settings = '{"plan":"enterprise"}' WHERE tenant_id = $1`, [id], target.database);
    const read = await tenantSeed.read(created.id, created.outs);
    expect(read.props.settings).toEqual({ plan: "enterprise" });
    expect(await tenantSeed.diff(created.id, read.props, inputs)).toEqual({ changes: true, replaces: [] });
    await tenantSeed.update(created.id, read.props, inputs);
    expect((await tenantSeed.read(created.id, read.props)).props.settings).toEqual(inputs.settings);
  });
});
