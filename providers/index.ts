// The registry: which implementation serves each dynamic resource kind. The loader every dynamic
// resource carries in its state (components/dynamic.ts) requires this file in the provider host
// and asks it for its kind; each kind's module is required only then, so a call loads only what
// it needs (a hook's delete never loads pg or the AWS SDK).
import type { AnyProvider } from "./kit";

const registry = {
  TenantMigrations: () => require("./postgres/migrations").tenantMigrations,
  TenantSeed: () => require("./postgres/seed").tenantSeed,
  TenantSuspension: () => require("./postgres/suspension").tenantSuspension,
  TenantPassword: () => require("./postgres/password").tenantPassword,
  TenantPrefix: () => require("./s3/prefix").tenantPrefix,
  TenantBackup: () => require("./backup/backup").tenantBackup,
  TenantMove: () => require("./move/tenant-move").tenantMove,
  LifecycleHook: () => require("./webhooks/hooks").lifecycleHook,
  DeletedHook: () => require("./webhooks/hooks").deletedHook,
  Organization: () => require("./identity/organization").organization,
  EntitySync: () => require("./identity/entity-sync").entitySync,
  IdentitySeed: () => require("./identity/identity-seed").identitySeed,
} satisfies Record<string, () => AnyProvider>;

export type ProviderKind = keyof typeof registry;

export const PROVIDER_KINDS = Object.keys(registry) as ProviderKind[];

export function provider(kind: string): AnyProvider {
  if (!Object.hasOwn(registry, kind)) {
    throw new Error(`no provider for the dynamic resource kind ${JSON.stringify(kind)} in ${__dirname}; known: ${PROVIDER_KINDS.join(", ")}`);
  }
  const found = registry[kind as ProviderKind]();
  if (found?.kind !== kind) throw new Error(`the module registered for ${kind} does not export its provider`);
  return found;
}
