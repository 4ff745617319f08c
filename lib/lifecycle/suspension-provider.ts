// TenantSuspension: applies a tenant's `status` to its database role. The Role resource already
// follows status with `login`, but ALTER ROLE ... NOLOGIN leaves open sessions running; this
// resource depends on the Role, so after the Role is updated it ends those sessions (and states
// LOGIN/NOLOGIN itself, so it converges even if the Role was changed by hand). Deleting it changes
// nothing: the role goes with its own resource.
import type * as pulumi from "@pulumi/pulumi";
import type { Connection } from "../database/runner";
import { targetProblems } from "../database/runner";
import { resumeRole, suspendRole } from "./suspend";

export interface TenantSuspensionInputs {
  /** Admin connection to the tenant's server (any database, usually the maintenance one), without password. */
  connection: Omit<Connection, "password">;
  /** Admin password (secret). */
  password: string;
  role: string;
  suspended: boolean;
}

export interface TenantSuspensionOutputs extends TenantSuspensionInputs {
  /** Sessions ended by the last suspension. */
  terminated: number;
}

export function suspensionProblems(inputs: Partial<TenantSuspensionInputs>): { property: string; reason: string }[] {
  const failures: { property: string; reason: string }[] = [];
  // The runner's own checks for host, port, user, password, database and TLS mode.
  const scratch = { isolation: "database", tenantId: "x", schema: "public", role: "r", ownerRole: "o", appRole: "a" } as const;
  for (const reason of targetProblems({ ...scratch, ...(inputs.connection ?? {}), password: inputs.password })) {
    failures.push({ property: reason.startsWith("password") ? "password" : "connection", reason });
  }
  if (typeof inputs.role !== "string" || !/^[a-z_][a-z0-9_]{0,62}$/.test(inputs.role)) {
    failures.push({ property: "role", reason: `role must be a lowercase PostgreSQL identifier, got ${JSON.stringify(inputs.role)}` });
  }
  if (typeof inputs.suspended !== "boolean") failures.push({ property: "suspended", reason: "suspended must be true or false" });
  return failures;
}

export async function suspensionCheck(_olds: TenantSuspensionInputs, news: TenantSuspensionInputs): Promise<pulumi.dynamic.CheckResult> {
  const failures = suspensionProblems(news);
  return failures.length ? { failures } : { inputs: news };
}

export async function applySuspension(inputs: TenantSuspensionInputs): Promise<TenantSuspensionOutputs> {
  const { __provider: _ignored, ...plain } = inputs as TenantSuspensionInputs & { __provider?: string };
  const connection = { ...plain.connection, password: plain.password };
  if (plain.suspended) {
    const { terminated } = await suspendRole(connection, plain.role);
    return { ...plain, terminated };
  }
  await resumeRole(connection, plain.role);
  return { ...plain, terminated: 0 };
}

export async function suspensionDiff(_id: string, olds: TenantSuspensionOutputs, news: TenantSuspensionInputs): Promise<pulumi.dynamic.DiffResult> {
  const keys = ["connection", "password", "role", "suspended"] as const;
  const changed = keys.some((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
  // Another role is another object: replace, so the old one is left as it was.
  return { changes: changed, replaces: olds.role !== news.role ? ["role"] : [] };
}

export async function suspensionCreate(inputs: TenantSuspensionInputs): Promise<pulumi.dynamic.CreateResult> {
  const outs = await applySuspension(inputs);
  return { id: `${outs.role}-access`, outs };
}

export async function suspensionUpdate(_id: string, _olds: TenantSuspensionOutputs, news: TenantSuspensionInputs): Promise<pulumi.dynamic.UpdateResult> {
  return { outs: await applySuspension(news) };
}

export const tenantSuspensionProvider: pulumi.dynamic.ResourceProvider = {
  check: suspensionCheck,
  diff: suspensionDiff,
  create: suspensionCreate,
  update: suspensionUpdate,
  delete: async () => undefined,
};
