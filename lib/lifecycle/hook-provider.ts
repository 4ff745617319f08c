// Lifecycle webhooks as two dynamic resources, placed in the tenant's resource graph so that
// Pulumi's own ordering fires them at the right moment. The engine creates a resource after
// everything it depends on and deletes it BEFORE everything it depends on. So:
//
//   LifecycleHook  depends on every other resource of the tenant
//                    -> created last:   sends `created` once the tenant is complete
//                    -> updated last:   sends `updated` after the tenant's changes are applied
//                    -> deleted first:  sends `deleting` before anything is removed; if the hook
//                       fails, delete throws and the engine removes nothing this resource depends on
//   DeletedHook    every other resource of the tenant depends on it
//                    -> created first (sends nothing), deleted last: sends `deleted` once all else is gone
//
// The seed's deletion order follows from one chain of dependencies, each stage depending on the
// next (`dependsOn`), so the engine deletes them left to right and creates them right to left:
//   LifecycleHook -> Organization -> TenantBackup -> database/schema/rows (+ role, migrations, seed)
//     -> bucket (emptied by forceDestroy) -> DNS record/certificate/custom hostnames -> DeletedHook
// Dependencies rather than resource hooks: the ordering then also holds for `pulumi destroy`, for a
// partial failure (a failed delete stops everything further right) and for a rerun, with no state of
// our own; and a dynamic resource's delete can take the backup with the outputs it already holds.
//
// Provider methods are plain exported functions; the signing secret arrives as a secret input and
// is kept in the outputs (delete gets nothing else), marked secret with additionalSecretOutputs.
import type * as pulumi from "@pulumi/pulumi";
import type { HookTenant, RetryPolicy } from "./webhooks";
import { checkHookUrl, sendEvent, WEBHOOK_SECRET_MIN_LENGTH } from "./webhooks";
import { isTenantId } from "../catalog/formats";

export interface LifecycleHookUrls {
  created: string[];
  updated: string[];
  deleting: string[];
}

export interface LifecycleHookInputs {
  tenant: HookTenant;
  urls: LifecycleHookUrls;
  /** HMAC secret from stack config `tenancy:webhookSecret`. */
  secret: string;
  /** PEM of an extra trusted CA for the receivers (private PKI, tests). */
  ca?: string;
  retry?: Partial<RetryPolicy>;
}

export interface DeletedHookInputs {
  tenant: HookTenant;
  urls: string[];
  secret: string;
  ca?: string;
  retry?: Partial<RetryPolicy>;
}

type AnyHookInputs = LifecycleHookInputs | DeletedHookInputs;

/** The inputs as stored: the engine's own `__provider` key is its business, not ours. */
export function hookOutputs<T extends AnyHookInputs>(inputs: T): T {
  const { __provider: _ignored, ...rest } = inputs as T & { __provider?: string };
  return rest as T;
}

export function hookId(tenantId: string, kind: "lifecycle" | "deleted"): string {
  return `${tenantId}-${kind}-hook`;
}

/** Problems with the inputs, as the engine's check failures; empty when they are fine. */
export function checkHookInputs(inputs: AnyHookInputs): { property: string; reason: string }[] {
  const failures: { property: string; reason: string }[] = [];
  if (!inputs.tenant || !isTenantId(inputs.tenant.id)) {
    failures.push({ property: "tenant", reason: `tenant.id ${JSON.stringify(inputs.tenant?.id)} is not a tenant id` });
  }
  if (typeof inputs.secret !== "string" || inputs.secret.length < WEBHOOK_SECRET_MIN_LENGTH) {
    failures.push({ property: "secret", reason: `the signing secret must be at least ${WEBHOOK_SECRET_MIN_LENGTH} characters; set the secret stack config tenancy:webhookSecret` });
  }
  const urls = Array.isArray(inputs.urls) ? inputs.urls : [...inputs.urls.created, ...inputs.urls.updated, ...inputs.urls.deleting];
  for (const url of urls) {
    try {
      checkHookUrl(url);
    } catch (e) {
      failures.push({ property: "urls", reason: (e as Error).message });
    }
  }
  return failures;
}

export async function hookCheck(_olds: AnyHookInputs, news: AnyHookInputs): Promise<pulumi.dynamic.CheckResult> {
  const failures = checkHookInputs(news);
  return failures.length ? { failures } : { inputs: news };
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** Never a replacement: replacing would delete the old resource, which sends `deleting`. */
export async function hookDiff(_id: string, olds: AnyHookInputs, news: AnyHookInputs): Promise<pulumi.dynamic.DiffResult> {
  const keys = ["tenant", "urls", "secret", "ca", "retry"] as const;
  const changed = keys.filter((k) => !same((olds as unknown as Record<string, unknown>)[k], (news as unknown as Record<string, unknown>)[k]));
  return { changes: changed.length > 0, replaces: [] };
}

export async function lifecycleHookCreate(inputs: LifecycleHookInputs): Promise<pulumi.dynamic.CreateResult> {
  const outs = hookOutputs(inputs);
  await sendEvent({ event: "created", tenant: outs.tenant, urls: outs.urls.created, secret: outs.secret, ca: outs.ca, retry: outs.retry });
  return { id: hookId(outs.tenant.id, "lifecycle"), outs };
}

/** Only a change of the tenant itself is an `updated` event; new URLs or a rotated secret are not. */
export async function lifecycleHookUpdate(_id: string, olds: LifecycleHookInputs, news: LifecycleHookInputs): Promise<pulumi.dynamic.UpdateResult> {
  const outs = hookOutputs(news);
  if (!same(olds.tenant, outs.tenant)) {
    await sendEvent({ event: "updated", tenant: outs.tenant, urls: outs.urls.updated, secret: outs.secret, ca: outs.ca, retry: outs.retry });
  }
  return { outs };
}

/** Throws when a receiver refuses: the engine then deletes nothing that this resource depends on. */
export async function lifecycleHookDelete(_id: string, olds: LifecycleHookInputs): Promise<void> {
  try {
    await sendEvent({ event: "deleting", tenant: olds.tenant, urls: olds.urls.deleting, secret: olds.secret, ca: olds.ca, retry: olds.retry });
  } catch (e) {
    throw new Error(
      `${(e as Error).message}. Nothing of tenant ${olds.tenant.id} was deleted; fix the receiver and rerun, ` +
        `or remove the URL from the deleting hooks in one change and delete the tenant in the next`,
    );
  }
}

export async function deletedHookCreate(inputs: DeletedHookInputs): Promise<pulumi.dynamic.CreateResult> {
  const outs = hookOutputs(inputs);
  return { id: hookId(outs.tenant.id, "deleted"), outs };
}

export async function deletedHookUpdate(_id: string, _olds: DeletedHookInputs, news: DeletedHookInputs): Promise<pulumi.dynamic.UpdateResult> {
  return { outs: hookOutputs(news) };
}

/**
 * Runs after everything else of the tenant is gone. A failure is reported (the deployment fails and
 * names the URL) but undoes nothing; this resource stays in state, so the next run sends again.
 */
export async function deletedHookDelete(_id: string, olds: DeletedHookInputs): Promise<void> {
  try {
    await sendEvent({ event: "deleted", tenant: olds.tenant, urls: olds.urls, secret: olds.secret, ca: olds.ca, retry: olds.retry });
  } catch (e) {
    throw new Error(
      `${(e as Error).message}. Every other resource of tenant ${olds.tenant.id} is already deleted and stays deleted; ` +
        `rerun to send the event again`,
    );
  }
}

export const lifecycleHookProvider: pulumi.dynamic.ResourceProvider = {
  check: hookCheck,
  diff: hookDiff,
  create: lifecycleHookCreate,
  update: lifecycleHookUpdate,
  delete: lifecycleHookDelete,
};

export const deletedHookProvider: pulumi.dynamic.ResourceProvider = {
  check: hookCheck,
  diff: hookDiff,
  create: deletedHookCreate,
  update: deletedHookUpdate,
  delete: deletedHookDelete,
};
