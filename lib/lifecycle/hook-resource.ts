// The LifecycleHook and DeletedHook resource classes and their arguments. Their providers live in
// hook-provider.ts, a module with no runtime import of @pulumi/pulumi: the engine serializes a
// provider with every module it imports, and these classes would drag the whole SDK into each
// tenant's state (see hook-provider.ts for where the hooks sit in the tenant's graph).
import * as pulumi from "@pulumi/pulumi";
import type { ResolvedTenant } from "../catalog/load";
import type { HookTenant } from "./webhooks";
import { hookTenant } from "./webhooks";
import { deletedHookProvider, lifecycleHookProvider, type DeletedHookInputs, type LifecycleHookInputs } from "./hook-provider";

export * from "./hook-provider";

type Args<T> = { [K in keyof T]: pulumi.Input<T[K]> };

type HookSource = Pick<ResolvedTenant, keyof HookTenant | "hooks">;

/** LifecycleHook's arguments for a catalog tenant; `secret` is the stack's tenancy:webhookSecret. */
export function lifecycleHookArgs(t: HookSource, secret: pulumi.Input<string>): Args<LifecycleHookInputs> {
  return { tenant: hookTenant(t), urls: { created: t.hooks.created, updated: t.hooks.updated, deleting: t.hooks.deleting }, secret };
}

/** DeletedHook's arguments for a catalog tenant. */
export function deletedHookArgs(t: HookSource, secret: pulumi.Input<string>): Args<DeletedHookInputs> {
  return { tenant: hookTenant(t), urls: t.hooks.deleted, secret };
}

/**
 * Sends `created` / `updated` / `deleting`. Give it `dependsOn` every other resource of the tenant
 * (in practice: the Organization, which heads the deletion chain).
 */
export class LifecycleHook extends pulumi.dynamic.Resource {
  declare readonly tenant: pulumi.Output<HookTenant>;
  constructor(name: string, args: Args<LifecycleHookInputs>, opts?: pulumi.CustomResourceOptions) {
    super(lifecycleHookProvider, name, { ...args, secret: pulumi.secret(args.secret) }, withSecretOutputs(opts), "tenancy", "LifecycleHook");
  }
}

/** Sends `deleted`. Every other resource of the tenant depends on it (at the end of the chain). */
export class DeletedHook extends pulumi.dynamic.Resource {
  declare readonly tenant: pulumi.Output<HookTenant>;
  constructor(name: string, args: Args<DeletedHookInputs>, opts?: pulumi.CustomResourceOptions) {
    super(deletedHookProvider, name, { ...args, secret: pulumi.secret(args.secret) }, withSecretOutputs(opts), "tenancy", "DeletedHook");
  }
}

function withSecretOutputs(opts: pulumi.CustomResourceOptions | undefined): pulumi.CustomResourceOptions {
  return { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "secret"] };
}
