// Every dynamic resource stores its own copy of its provider's serialized code (`__provider`), once
// per tenant. A provider module that imports, at runtime, a module holding a resource class drags the
// Pulumi SDK into that code (TenantPrefix once did: 164 KB per tenant instead of 69 KB). The SDK
// is never needed inside a provider, so its appearance is the regression this catches.
import { expect, test } from "vitest";
import { tenantMigrationsProvider, tenantSeedProvider } from "../../../lib/database/providers";
import { entitySyncProvider } from "../../../lib/identity/entity-sync";
import { identitySeedProvider } from "../../../lib/identity/identity-seed";
import { organizationProvider } from "../../../lib/identity/organization";
import { tenantBackupProvider } from "../../../lib/lifecycle/backup-provider";
import { deletedHookProvider, lifecycleHookProvider } from "../../../lib/lifecycle/hook-provider";
import { tenantPrefixProvider } from "../../../lib/lifecycle/prefix-provider";
import { tenantSuspensionProvider } from "../../../lib/lifecycle/suspension-provider";
import { serializeProvider } from "../../harness/engine";

const PROVIDERS = {
  tenantMigrationsProvider,
  tenantSeedProvider,
  entitySyncProvider,
  identitySeedProvider,
  organizationProvider,
  tenantBackupProvider,
  lifecycleHookProvider,
  deletedHookProvider,
  tenantPrefixProvider,
  tenantSuspensionProvider,
};

test.each(Object.entries(PROVIDERS))("%s's serialized code carries no Pulumi SDK", async (_name, provider) => {
  const { text } = await serializeProvider(provider);
  expect(text).toMatch(/create/);
  expect(text.match(/require\("@pulumi\/[^"]*"\)|require\("@grpc\/[^"]*"\)/g) ?? []).toEqual([]);
});
