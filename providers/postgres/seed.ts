// TenantSeed: the tenant's profile row in tenant_profile (name, friendly name, effective settings),
// written after its migrations. Create adopts a row already there; update rewrites it only when it
// differs, so a rerun (or an update that only rewrites the stored loader) changes nothing.
import { defineProvider, type MoveGuarded } from "../kit";
import { isMissingDatabase } from "./connection";
import { withTarget } from "./runner";
import { locatedFailures, serverTargetProblems, TARGET_PLACE_KEYS, TARGET_UPDATE_KEYS, type ServerTarget, type Target } from "./target";

export type JsonObject = { [key: string]: unknown };

export interface TenantSeedInputs extends ServerTarget, MoveGuarded {
  name: string;
  friendlyName: string;
  /** The tenant's effective settings (ResolvedTenant.settings). */
  settings: JsonObject;
}

export type TenantSeedOutputs = TenantSeedInputs;

/** The id of a tenant's place on its server, shared by TenantMigrations and TenantSeed. */
export function targetId(t: Pick<Target, "database" | "schema" | "tenantId">): string {
  return `${t.database}/${t.schema}/${t.tenantId}`;
}

export function seedProblems(inputs: Partial<TenantSeedInputs>): string[] {
  const problems: string[] = [];
  if (typeof inputs.name !== "string" || inputs.name.trim().length < 1 || inputs.name.length > 200) problems.push("name must be 1-200 characters");
  if (typeof inputs.friendlyName !== "string" || inputs.friendlyName.trim().length < 1 || inputs.friendlyName.length > 100) {
    problems.push("friendlyName must be 1-100 characters");
  }
  if (!inputs.settings || typeof inputs.settings !== "object" || Array.isArray(inputs.settings)) problems.push("settings must be a JSON object");
  return problems;
}

async function upsertProfile(inputs: TenantSeedInputs): Promise<TenantSeedOutputs> {
  await withTarget(inputs, (client) =>
    client.query(
      `INSERT INTO tenant_profile (tenant_id, name, friendly_name, settings) VALUES ($1, $2, $3, $4::jsonb)
       ON CONFLICT (tenant_id) DO UPDATE
         SET name = EXCLUDED.name, friendly_name = EXCLUDED.friendly_name, settings = EXCLUDED.settings, updated_at = now()
         WHERE (tenant_profile.name, tenant_profile.friendly_name, tenant_profile.settings)
               IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.friendly_name, EXCLUDED.settings)`,
      [inputs.tenantId, inputs.name, inputs.friendlyName, JSON.stringify(inputs.settings)],
    ),
  );
  return { ...inputs };
}

/** Whether tenant_profile exists in the target's schema (its migrations may not have run, or were removed). */
const profileTable = `SELECT to_regclass('tenant_profile') IS NOT NULL AS present`;

export const tenantSeed = defineProvider<TenantSeedInputs, TenantSeedOutputs>({
  kind: "TenantSeed",
  keys: { place: TARGET_PLACE_KEYS, update: [...TARGET_UPDATE_KEYS, "name", "friendlyName", "settings"] },
  check: (inputs) => locatedFailures([...serverTargetProblems(inputs), ...seedProblems(inputs)]),
  create: async (inputs) => ({ id: targetId(inputs), outs: await upsertProfile(inputs) }),
  /** The profile as it is in the database; an empty id when the row is gone. */
  async read(id, props) {
    const rows = await withTarget(props, async (client) => {
      if (!(await client.query(profileTable)).rows[0].present) return [];
      return (await client.query(`SELECT name, friendly_name, settings FROM tenant_profile WHERE tenant_id = $1`, [props.tenantId])).rows;
    }).catch((error: unknown) => {
      if (isMissingDatabase(error)) return [];
      throw error;
    });
    if (rows.length === 0) return { id: "", props };
    return { id, props: { ...props, name: rows[0].name, friendlyName: rows[0].friendly_name, settings: rows[0].settings } };
  },
  update: async (_id, _olds, news) => ({ outs: await upsertProfile(news) }),
  async delete(_id, props) {
    await withTarget(props, async (client) => {
      if ((await client.query(profileTable)).rows[0].present) await client.query(`DELETE FROM tenant_profile WHERE tenant_id = $1`, [props.tenantId]);
    });
  },
});
