// TenantSuspension: applies a tenant's `status` to its database role. The Role resource already
// follows status with `login`, but ALTER ROLE ... NOLOGIN leaves open sessions running; this
// resource depends on the Role, so after the Role is updated it ends those sessions (and states
// LOGIN/NOLOGIN itself, so it converges even if the Role was changed by hand).
//
// Deleting it runs just before the Role's own delete (it depends on the Role), which drops what the
// role owns in the provider's one database only: so, unless the tenant's data is retained
// (`dropOwnedOnDelete` false, and the role stays with it), delete releases the role everywhere
// else (suspend.ts releaseRole), or DROP ROLE would fail on what the tenant left in other databases.
import { IDENTIFIER } from "../../lib/database/sql";
import { defineProvider, type CheckFailure } from "../kit";
import type { Connection } from "./connection";
import { releaseRole, resumeRole, roleAccess, suspendRole } from "./suspend";
import { locatedFailures, targetProblems } from "./target";

export interface TenantSuspensionInputs {
  /** Admin connection to the tenant's server (any database, usually the maintenance one), without password. */
  connection: Omit<Connection, "password">;
  /** Admin password (secret). */
  password: string;
  role: string;
  suspended: boolean;
  /** Whether delete releases the role in every database (the role is about to be dropped); absent in older state: no. */
  dropOwnedOnDelete?: boolean;
}

export interface TenantSuspensionOutputs extends TenantSuspensionInputs {
  /** Sessions ended by the last suspension. */
  terminated: number;
}

export function suspensionProblems(inputs: Partial<TenantSuspensionInputs>): CheckFailure[] {
  // The runner's own checks for host, port, user, password, database and TLS mode.
  const scratch = { isolation: "database", tenantId: "x", schema: "public", role: "r", ownerRole: "o", appRole: "a" } as const;
  const failures = locatedFailures(targetProblems({ ...scratch, ...(inputs.connection ?? {}), password: inputs.password })).map((f) =>
    f.property === "password" ? f : { ...f, property: `connection.${f.property}` },
  );
  if (typeof inputs.role !== "string" || !IDENTIFIER.test(inputs.role)) {
    failures.push({ property: "role", reason: `role must be a lowercase PostgreSQL identifier, got ${JSON.stringify(inputs.role)}` });
  }
  if (typeof inputs.suspended !== "boolean") failures.push({ property: "suspended", reason: "suspended must be true or false" });
  if (inputs.dropOwnedOnDelete !== undefined && typeof inputs.dropOwnedOnDelete !== "boolean") {
    failures.push({ property: "dropOwnedOnDelete", reason: "dropOwnedOnDelete must be true or false" });
  }
  return failures;
}

/** Idempotent: states LOGIN or NOLOGIN; a suspension ends only sessions that are still open. */
async function applySuspension(inputs: TenantSuspensionInputs): Promise<TenantSuspensionOutputs> {
  const connection = { ...inputs.connection, password: inputs.password };
  if (inputs.suspended) return { ...inputs, ...(await suspendRole(connection, inputs.role)) };
  await resumeRole(connection, inputs.role);
  return { ...inputs, terminated: 0 };
}

export const tenantSuspension = defineProvider<TenantSuspensionInputs, TenantSuspensionOutputs>({
  kind: "TenantSuspension",
  // Another role is another object: replaced, which leaves the old role as it was.
  keys: { replace: ["role"], update: ["connection", "password", "suspended", "dropOwnedOnDelete"] },
  check: suspensionProblems,
  create: async (inputs) => {
    const outs = await applySuspension(inputs);
    return { id: `${outs.role}-access`, outs };
  },
  /** Whether the role may log in as it is now (suspended when it may not); an empty id when the role is gone. */
  async read(id, props) {
    const access = await roleAccess({ ...props.connection, password: props.password }, props.role);
    return access.exists ? { id, props: { ...props, suspended: !access.canLogin } } : { id: "", props };
  },
  update: async (_id, _olds, news) => ({ outs: await applySuspension(news) }),
  async delete(_id, props) {
    if (props.dropOwnedOnDelete) await releaseRole({ ...props.connection, password: props.password }, props.role);
  },
});
