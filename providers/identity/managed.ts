// How tenancy recognises what it manages inside an identity tenant. AuthHero 9.6.1 stores a free
// `metadata` object on roles and resource servers (Auth0 has no such field, and AuthHero's own
// `is_system` flag is only set by its multi-tenancy package, which is not installable), so the
// marker is a metadata key; it is sent in the create body, so an object that exists at all carries it.
import type { CheckFailure } from "../kit";
import { createManagementClient, type ClientOptions, type ManagementClient, type ManagementConnection } from "./client";

export const MANAGED_BY_KEY = "managed_by";
export const MANAGED_BY = "tenancy";
export const MANAGED_METADATA = { [MANAGED_BY_KEY]: MANAGED_BY } as const;

/** The Auth0 database connection every identity tenant has; admins are created in it. */
export const PASSWORD_CONNECTION = "Username-Password-Authentication";

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
 * How a change of the connection reads in a diff: the URL, client and secret say how the control
 * plane is reached (updates: a rotated secret is stored for the next delete); the control-plane
 * tenant is where organizations and the control plane's entities live (a place).
 */
export const CONNECTION_UPDATE_KEYS = ["connection.url", "connection.clientId", "connection.clientSecret"] as const;
export const CONNECTION_PLACE_KEY = "connection.controlPlaneTenantId";

/** The connection's problems as a check failure (empty when it is usable); never echoes the secret. */
export function connectionFailures(connection: Partial<ManagementConnection> | undefined): CheckFailure[] {
  try {
    checkConnection(connection);
    return [];
  } catch (error) {
    return [{ property: "connection", reason: (error as Error).message }];
  }
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

/** A client for a stored or new connection, checked first. */
export function clientFor(connection: Partial<ManagementConnection> | undefined, options?: ClientOptions): ManagementClient {
  return createManagementClient(checkConnection(connection), options);
}

/**
 * The step that creates a tenant record on the identity server. AuthHero 9.6.1 has no Management API
 * route for it (its multi-tenancy package, which adds POST /management/tenants, is not on the
 * registry), so the identity server's operator creates it with AuthHero's own data adapter.
 */
export function identityTenantStep(tenant: string, url: string): string {
  return (
    `create the tenant record "${tenant}" on the identity server at ${url} (AuthHero 9.6.1 has no Management API route for it): ` +
    `with AuthHero's data adapter, \`await data.tenants.create({ id: "${tenant}", friendly_name: "${tenant}", audience: "https://${tenant}.<your domain>", sender_email: "<sender>", sender_name: "<name>" })\`, ` +
    `or POST /management/tenants where the multi-tenancy package is installed; then run pulumi up again`
  );
}

/**
 * The check of a new identity resource (ProviderSpec.checkNew): its identity tenant record exists,
 * so `pulumi preview` of a new tenant names the step to take before anything is created. A control
 * plane that cannot be asked is a failure too: the create would fail on it.
 */
export async function identityTenantFailures(connection: ConnectionInput, tenant: string): Promise<{ property: string; reason: string }[]> {
  try {
    if (await clientFor(connection).tenantExists(tenant)) return [];
    return [{ property: "tenantId", reason: `identity tenant "${tenant}" does not exist on ${connection.url}. ${identityTenantStep(tenant, connection.url)}` }];
  } catch (error) {
    return [{ property: "connection", reason: `cannot ask ${connection.url} whether identity tenant "${tenant}" exists: ${(error as Error).message}` }];
  }
}

/**
 * Fails unless the identity tenant exists: run first thing by every identity resource's create and
 * update, so nothing is written for a tenant without one, even when the record went away after the
 * preview (identityTenantFailures asks at preview).
 */
export async function requireIdentityTenant(client: { tenantExists(tenant: string): Promise<boolean> }, tenant: string, url: string): Promise<void> {
  if (!(await client.tenantExists(tenant))) {
    throw new Error(`identity tenant "${tenant}" does not exist on ${url}; nothing was changed for it. ${identityTenantStep(tenant, url)}`);
  }
}
