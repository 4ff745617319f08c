// EntitySync: the control plane's entity set (entities.ts) on the control-plane tenant and, copied,
// in one tenant's identity tenant. Read reports what the identity tenant holds (the control plane's
// copy is shared by every tenant, so it is not this resource's object).
import type { ControlPlane } from "../../lib/catalog/schema";
import { isTenantId } from "../../lib/catalog/formats";
import { entityFingerprint } from "../../lib/identity/fingerprint";
import { naming } from "../../lib/naming";
import { defineProvider, type CheckFailure } from "../kit";
import type { ClientOptions } from "./client";
import { normalizedEntities, readManagedEntities, removeManagedEntities, syncEntities, type EntityIds } from "./entities";
import { clientFor, CONNECTION_PLACE_KEY, CONNECTION_UPDATE_KEYS, connectionFailures, requireIdentityTenant, type ConnectionInput } from "./managed";

export interface EntitySyncInputs {
  connection: ConnectionInput;
  /** Catalog tenant id; the identity tenant is `naming.identityTenant(tenantId)`. */
  tenantId: string;
  entities: ControlPlane;
  /** `entityFingerprint(entities)`: a changed entity set shows as a change of this tenant in the plan. */
  fingerprint: string;
}

export interface EntitySyncOutputs extends EntitySyncInputs, EntityIds {
  identityTenant: string;
}

export function entitySyncProblems(inputs: Partial<EntitySyncInputs>): CheckFailure[] {
  const failures = connectionFailures(inputs.connection);
  if (typeof inputs.tenantId !== "string" || !isTenantId(inputs.tenantId)) {
    failures.push({ property: "tenantId", reason: `tenantId ${JSON.stringify(inputs.tenantId)} is not a tenant id` });
  }
  if (!Array.isArray(inputs.entities?.resource_servers) || !Array.isArray(inputs.entities?.roles)) {
    failures.push({ property: "entities", reason: "entities must hold resource_servers and roles (the parsed _control-plane.yaml)" });
  }
  if (typeof inputs.fingerprint !== "string" || inputs.fingerprint.length === 0) failures.push({ property: "fingerprint", reason: "fingerprint must be entityFingerprint(entities)" });
  return failures;
}

async function apply(inputs: EntitySyncInputs, options?: ClientOptions): Promise<EntitySyncOutputs> {
  const client = clientFor(inputs.connection, options);
  const identityTenant = naming.identityTenant(inputs.tenantId);
  // First: nothing is written anywhere for a tenant whose identity tenant was never created.
  await requireIdentityTenant(client, identityTenant, inputs.connection.url);
  // The copies refer to the control plane's entities by name only, so both tenants are synced at once.
  const [controlPlane, copies] = await Promise.allSettled([
    syncEntities(client, client.controlPlaneTenantId, inputs.entities),
    syncEntities(client, identityTenant, inputs.entities),
  ]);
  // Both finish before either failure is reported, so no request is left running behind an error.
  if (controlPlane.status === "rejected") throw controlPlane.reason;
  if (copies.status === "rejected") throw copies.reason;
  return { ...inputs, identityTenant, ...copies.value };
}

export const entitySync = defineProvider<EntitySyncInputs, EntitySyncOutputs, ClientOptions>({
  kind: "EntitySync",
  // Another control plane is another place: the copies there would be new objects, and replacing
  // would first remove this tenant's roles (and every grant of them to its users).
  keys: { place: ["tenantId", CONNECTION_PLACE_KEY], update: [...CONNECTION_UPDATE_KEYS, "entities", "fingerprint"] },
  check: entitySyncProblems,
  async create(inputs, options) {
    const outs = await apply(inputs, options);
    return { id: outs.identityTenant, outs };
  },
  /**
   * The managed entities the identity tenant really holds. When they are the declared set, the
   * stored entities and fingerprint stand; otherwise read reports what is there, whose fingerprint
   * differs, so the next up syncs again. An empty id when the identity tenant is gone.
   */
  async read(id, props, options) {
    const client = clientFor(props.connection, options);
    if (!(await client.tenantExists(props.identityTenant))) return { id: "", props };
    const found = await readManagedEntities(client, props.identityTenant);
    const same = normalizedEntities(found.entities) === normalizedEntities(props.entities);
    const entities = same ? { entities: props.entities, fingerprint: props.fingerprint } : { entities: found.entities, fingerprint: entityFingerprint(found.entities) };
    return { id, props: { ...props, ...entities, resourceServers: found.resourceServers, roles: found.roles } };
  },
  update: async (_id, _olds, news, options) => ({ outs: await apply(news, options) }),
  async delete(_id, props, options) {
    const client = clientFor(props.connection, options);
    // A tenant already gone from the identity server has nothing left to remove.
    if (await client.tenantExists(props.identityTenant)) await removeManagedEntities(client, props.identityTenant);
  },
});
