// The TenantMove resource and its arguments (providers/move/ has what its update does: a change of
// the tenant's place carried out, data copied and verified before the old place is emptied).
import * as pulumi from "@pulumi/pulumi";
import type { ResolvedTenant } from "../../lib/catalog/load";
import { retentionDays } from "../../lib/lifecycle/places";
import type { TenantMoveInputs } from "../../providers/move/tenant-move";
import type { ObjectPlace, S3Store } from "../../providers/s3/client";
import type { DatabaseConnectionArgs } from "../database/resources";
import { TenancyResource, type Args } from "../dynamic";
import { placeTarget } from "./backup";

/** TenantMove's arguments: the tenant's place as TenantBackup names it (placeTarget), and its state and protection. */
export function tenantMoveArgs(t: ResolvedTenant, connection: DatabaseConnectionArgs, store: S3Store, objects: ObjectPlace): Args<TenantMoveInputs> {
  return {
    tenantId: t.id,
    target: placeTarget(t, connection),
    password: connection.password,
    objects,
    store,
    retentionDays: retentionDays(t),
    suspended: t.status === "suspended",
    protected: t.lifecycle.deletion_protection,
  };
}

/**
 * Give it `dependsOn` the tenant's database and storage components (the new place must exist before
 * it copies into it, and the old place's resources are then its dependencies, which the engine keeps
 * when it fails); make the identity depend on it. `password` and `credentials` are secret, in and out.
 */
export class TenantMove extends TenancyResource {
  constructor(name: string, args: Args<TenantMoveInputs>, opts?: pulumi.CustomResourceOptions) {
    super("TenantMove", name, { ...args, lastMove: undefined }, opts, ["password", "credentials"]);
  }
}
