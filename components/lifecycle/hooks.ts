// The LifecycleHook and DeletedHook resources and their arguments (providers/webhooks/hooks.ts has
// where they sit in the tenant's graph and what each sends).
import type * as pulumi from "@pulumi/pulumi";
import type { ResolvedTenant } from "../../lib/catalog/load";
import type { DeletedHookInputs, LifecycleHookInputs } from "../../providers/webhooks/hooks";
import type { HookTenant } from "../../providers/webhooks/signature";
import { TenancyResource, type Args } from "../dynamic";

/** What a receiver learns about the tenant: identity and state, never credentials or settings. */
export function hookTenant(t: Pick<ResolvedTenant, keyof HookTenant>): HookTenant {
  return {
    id: t.id,
    name: t.name,
    friendly_name: t.friendly_name,
    plan: t.plan,
    status: t.status,
    cell: t.cell,
    region: t.region,
    parent: t.parent,
  };
}

type HookSource = Pick<ResolvedTenant, keyof HookTenant | "hooks">;

/** LifecycleHook's arguments for a catalog tenant; `secret` is the stack's tenancy:webhookSecret. */
export function lifecycleHookArgs(t: HookSource, secret: pulumi.Input<string>): Args<LifecycleHookInputs> {
  return { tenant: hookTenant(t), urls: { created: t.hooks.created, updated: t.hooks.updated, deleting: t.hooks.deleting }, secret };
}

/** DeletedHook's arguments for a catalog tenant. */
export function deletedHookArgs(t: HookSource, secret: pulumi.Input<string>): Args<DeletedHookInputs> {
  return { tenant: hookTenant(t), urls: t.hooks.deleted, secret };
}

/** The signing secret is secret in the inputs and in the outputs delete reads. */
const SIGNING_SECRET = ["secret"];

/**
 * Sends `created` / `updated` / `deleting`. Give it `dependsOn` every other resource of the tenant
 * (in practice: the Organization, which heads the deletion chain).
 */
export class LifecycleHook extends TenancyResource {
  declare readonly tenant: pulumi.Output<HookTenant>;
  constructor(name: string, args: Args<LifecycleHookInputs>, opts?: pulumi.CustomResourceOptions) {
    super("LifecycleHook", name, args, opts, SIGNING_SECRET);
  }
}

/** Sends `deleted`. Every other resource of the tenant depends on it (at the end of the chain). */
export class DeletedHook extends TenancyResource {
  declare readonly tenant: pulumi.Output<HookTenant>;
  constructor(name: string, args: Args<DeletedHookInputs>, opts?: pulumi.CustomResourceOptions) {
    super("DeletedHook", name, args, opts, SIGNING_SECRET);
  }
}
