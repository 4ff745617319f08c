// How tenancy recognises what it manages inside an identity tenant. AuthHero 9.6.1 stores a free
// `metadata` object on roles and resource servers (Auth0 has no such field, and AuthHero's own
// `is_system` flag is only set by its multi-tenancy package, which is not installable), so the
// marker is a metadata key; it is sent in the create body, so an object that exists at all carries it.
import type { ManagementConnection } from "./client";

export const MANAGED_BY_KEY = "managed_by";
export const MANAGED_BY = "tenancy";
export const MANAGED_METADATA = { [MANAGED_BY_KEY]: MANAGED_BY } as const;

export function isManaged(entity: { metadata?: unknown }): boolean {
  const metadata = entity.metadata as Record<string, unknown> | undefined;
  return typeof metadata === "object" && metadata !== null && metadata[MANAGED_BY_KEY] === MANAGED_BY;
}

/**
 * Connection settings as a provider input. The engine hands `delete` only the old outputs, so the
 * connection travels in the outputs too; the resource marks that output secret
 * (`additionalSecretOutputs`), so the client secret is ciphertext in state and never plaintext.
 */
export type ConnectionInput = ManagementConnection;

/**
 * Whether the stored connection differs from the new one. A rotated client secret counts: the update
 * that follows stores it, so a later delete does not authenticate with a revoked one.
 */
export function connectionChanged(olds: ManagementConnection, news: ManagementConnection): boolean {
  return olds.url !== news.url || olds.clientId !== news.clientId || olds.clientSecret !== news.clientSecret;
}

/** The same fields, checked: a clear message for each missing one. */
export function checkConnection(connection: Partial<ManagementConnection> | undefined): ManagementConnection {
  const missing = (["url", "clientId", "clientSecret", "controlPlaneTenantId"] as const).filter((k) => !connection?.[k]);
  if (missing.length > 0) {
    throw new Error(`identity connection is missing ${missing.join(", ")}; set them in stack config (the client secret with --secret)`);
  }
  if (!/^https?:\/\//.test(connection!.url!)) throw new Error(`identity connection url ${JSON.stringify(connection!.url)} must start with https:// (or http:// on loopback)`);
  return connection as ManagementConnection;
}

/**
 * Fails unless the identity tenant exists. AuthHero 9.6.1 has no Management API route that creates
 * tenants (its multi-tenancy package is not on the registry), so tenancy does not create them: the
 * identity server's operator provisions a tenant whose id is the catalog tenant id (AuthHero's
 * `seed()` / `data.tenants.create`, or a multi-tenancy deployment) before the tenant is deployed.
 */
export async function requireIdentityTenant(client: { tenantExists(tenant: string): Promise<boolean> }, tenant: string, url: string): Promise<void> {
  if (!(await client.tenantExists(tenant))) {
    throw new Error(
      `identity tenant "${tenant}" does not exist on ${url}; the Management API cannot create tenants, ` +
        `so create it on the identity server first (id "${tenant}"), then deploy again`,
    );
  }
}
