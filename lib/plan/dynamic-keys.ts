// The keys (providers/kit.ts: place, replace, update) of each dynamic provider, read from the
// provider objects themselves, so the plan decides replacements and refusals by the rule and keys
// their diff uses. Imported statically: the registry in providers/index.ts loads a kind's module
// on demand with require, which the host wants and a test runner's module loader does not serve.
// test/unit/plan/diff.test.ts holds this list to the registry's kinds.
import { organization } from "../../providers/identity/organization";
import { entitySync } from "../../providers/identity/entity-sync";
import { identitySeed } from "../../providers/identity/identity-seed";
import { tenantBackup } from "../../providers/backup/backup";
import { tenantMove } from "../../providers/move/tenant-move";
import { tenantMigrations } from "../../providers/postgres/migrations";
import { tenantPassword } from "../../providers/postgres/password";
import { tenantSeed } from "../../providers/postgres/seed";
import { tenantSuspension } from "../../providers/postgres/suspension";
import { tenantPrefix } from "../../providers/s3/prefix";
import { deletedHook, lifecycleHook } from "../../providers/webhooks/hooks";
import type { AnyProvider, ProviderKeys } from "../../providers/kit";

export const DYNAMIC_PROVIDERS: readonly AnyProvider[] = [
  tenantMigrations,
  tenantSeed,
  tenantSuspension,
  tenantPassword,
  tenantPrefix,
  tenantBackup,
  tenantMove,
  lifecycleHook,
  deletedHook,
  organization,
  entitySync,
  identitySeed,
];

export function dynamicKeys(kind: string): ProviderKeys {
  const found = DYNAMIC_PROVIDERS.find((p) => p.kind === kind);
  if (!found) throw new Error(`no dynamic provider of kind ${kind} in lib/plan/dynamic-keys.ts`);
  return found.keys;
}
