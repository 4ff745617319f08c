// Lifecycle webhooks as two dynamic resources, placed in the tenant's resource graph so that
// Pulumi's own ordering fires them at the right moment (lib/lifecycle/order.ts has the whole chain).
// The engine creates a resource after everything it depends on and deletes it BEFORE everything it
// depends on. So:
//
//   LifecycleHook  depends on every other resource of the tenant
//                    -> created last:   sends `created` once the tenant is complete
//                    -> updated last:   sends `updated` after the tenant's changes are applied
//                    -> deleted first:  sends `deleting` before anything is removed; if the hook
//                       fails, delete throws and the engine removes nothing this resource depends on
//   DeletedHook    every other resource of the tenant depends on it
//                    -> created first (sends nothing), deleted last: sends `deleted` once all else is gone
//
// A suspended tenant's hooks send `updated` only (hookOpen).
//
// Never a replacement: replacing would delete the old resource, which sends `deleting`. A hook has
// no object of its own anywhere, so read reports the stored props. The signing secret arrives as a
// secret input and is kept in the outputs (delete gets nothing else), secret in state.
import { isTenantId } from "../../lib/catalog/formats";
import { WEBHOOK_SECRET_MIN_LENGTH } from "../../lib/lifecycle/policy";
import { canonicalJson } from "../../lib/canonical-json";
import { defineProvider, type CheckFailure } from "../kit";
import { checkHookUrl, sendEvent, type DeliveryOptions } from "./send";
import type { HookTenant } from "./signature";

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
}

export interface DeletedHookInputs {
  tenant: HookTenant;
  urls: string[];
  secret: string;
}

export function hookId(tenantId: string, kind: "lifecycle" | "deleted"): string {
  return `${tenantId}-${kind}-hook`;
}

/** Problems with the inputs, as the engine's check failures; empty when they are fine. */
export function hookInputProblems(inputs: LifecycleHookInputs | DeletedHookInputs): CheckFailure[] {
  const failures: CheckFailure[] = [];
  if (!inputs.tenant || !isTenantId(inputs.tenant.id)) {
    failures.push({ property: "tenant", reason: `tenant.id ${JSON.stringify(inputs.tenant?.id)} is not a tenant id` });
  }
  if (typeof inputs.secret !== "string" || inputs.secret.length < WEBHOOK_SECRET_MIN_LENGTH) {
    failures.push({ property: "secret", reason: `the signing secret must be at least ${WEBHOOK_SECRET_MIN_LENGTH} characters; set the secret stack config tenancy:webhookSecret` });
  }
  const lists = Array.isArray(inputs.urls) ? [inputs.urls] : [inputs.urls?.created, inputs.urls?.updated, inputs.urls?.deleting];
  if (lists.some((list) => !Array.isArray(list))) failures.push({ property: "urls", reason: "urls must list the webhook URLs of each event" });
  for (const url of lists.flatMap((list) => (Array.isArray(list) ? list : []))) {
    try {
      checkHookUrl(url);
    } catch (e) {
      failures.push({ property: "urls", reason: (e as Error).message });
    }
  }
  return failures;
}

const HOOK_KEYS = { update: ["tenant", "urls", "secret"] } as const;

/**
 * Suspension closes the tenant's outgoing lifecycle webhooks but one: `updated`, which tells its
 * receivers of the suspension itself and of the resumption. `created`, `deleting` and `deleted` of a
 * suspended tenant are not sent; resuming (status active) opens them again.
 */
export function hookOpen(event: "created" | "updated" | "deleting" | "deleted", tenant: Pick<HookTenant, "status">): boolean {
  return event === "updated" || tenant.status !== "suspended";
}

export const lifecycleHook = defineProvider<LifecycleHookInputs, LifecycleHookInputs, DeliveryOptions>({
  kind: "LifecycleHook",
  keys: HOOK_KEYS,
  check: hookInputProblems,
  async create(inputs, options) {
    if (hookOpen("created", inputs.tenant)) await sendEvent({ event: "created", tenant: inputs.tenant, urls: inputs.urls.created, secret: inputs.secret, ...options });
    return { id: hookId(inputs.tenant.id, "lifecycle"), outs: { ...inputs } };
  },
  read: async (id, props) => ({ id, props }),
  /** Only a change of the tenant itself is an `updated` event; new URLs, a rotated secret or a new loader are not. */
  async update(_id, olds, news, options) {
    if (canonicalJson(olds.tenant) !== canonicalJson(news.tenant)) {
      await sendEvent({ event: "updated", tenant: news.tenant, urls: news.urls.updated, secret: news.secret, ...options });
    }
    return { outs: { ...news } };
  },
  /** Throws when a receiver refuses: the engine then deletes nothing that this resource depends on. */
  async delete(_id, props, options) {
    if (!hookOpen("deleting", props.tenant)) return;
    try {
      await sendEvent({ event: "deleting", tenant: props.tenant, urls: props.urls.deleting, secret: props.secret, ...options });
    } catch (e) {
      throw new Error(
        `${(e as Error).message}. Nothing of tenant ${props.tenant.id} was deleted; fix the receiver and rerun, ` +
          `or remove the URL from the deleting hooks in one change and delete the tenant in the next`,
      );
    }
  },
});

export const deletedHook = defineProvider<DeletedHookInputs, DeletedHookInputs, DeliveryOptions>({
  kind: "DeletedHook",
  keys: HOOK_KEYS,
  check: hookInputProblems,
  create: async (inputs) => ({ id: hookId(inputs.tenant.id, "deleted"), outs: { ...inputs } }),
  read: async (id, props) => ({ id, props }),
  update: async (_id, _olds, news) => ({ outs: { ...news } }),
  /**
   * Runs after everything else of the tenant is gone. A failure is reported (the deployment fails and
   * names the URL) but undoes nothing; this resource stays in state, so the next run sends again.
   */
  async delete(_id, props, options) {
    if (!hookOpen("deleted", props.tenant)) return;
    try {
      await sendEvent({ event: "deleted", tenant: props.tenant, urls: props.urls, secret: props.secret, ...options });
    } catch (e) {
      throw new Error(`${(e as Error).message}. Every other resource of tenant ${props.tenant.id} is already deleted and stays deleted; rerun to send the event again`);
    }
  },
});
