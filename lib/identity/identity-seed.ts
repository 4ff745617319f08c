// IdentitySeed: what a new identity tenant starts with. The default application (a regular web app
// whose callback and logout URLs follow the tenant's host names), the username-password connection,
// and the admins as users of that connection. The application carries the tenancy marker in its
// client_metadata; the connection and the admin users are recognised by name and e-mail, since
// AuthHero 9.6.1 on this schema stores no metadata on connections.
import type * as pulumi from "@pulumi/pulumi";
import { naming } from "../naming";
import { createManagementClient, type ClientOptions, type ManagementClient } from "./client";
import { checkConnection, connectionChanged, isManaged, MANAGED_BY, MANAGED_BY_KEY, requireIdentityTenant, type ConnectionInput } from "./managed";
import { PASSWORD_CONNECTION } from "./organization";

export const DEFAULT_APPLICATION_NAME = "Default Application";

export interface IdentitySeedInputs {
  connection: ConnectionInput;
  tenantId: string;
  /** Every host name the tenant is served on (its subdomain and custom domains). */
  hostnames: string[];
  admins: string[];
}

export interface IdentitySeedOutputs extends IdentitySeedInputs {
  identityTenant: string;
  /** client_id of the default application (public; its secret is never read into state). */
  applicationClientId: string;
  connectionId: string;
  /** Admin e-mail -> user id in the identity tenant. */
  users: Record<string, string>;
}

interface Client {
  client_id: string;
  name: string;
  client_metadata?: Record<string, unknown>;
  callbacks?: string[];
  allowed_logout_urls?: string[];
  web_origins?: string[];
}
interface Connection {
  id: string;
  name: string;
}
interface User {
  user_id: string;
  email?: string;
}

/** Callback, logout and origin URLs of the default application, from the tenant's host names. */
export function applicationUrls(hostnames: readonly string[]): { callbacks: string[]; allowed_logout_urls: string[]; web_origins: string[] } {
  const hosts = [...new Set(hostnames)].sort();
  const bad = hosts.filter((h) => !/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]*$/.test(h));
  if (bad.length > 0) throw new Error(`identity seed: not host names: ${bad.map((h) => JSON.stringify(h)).join(", ")}; expected names such as acme.example.com`);
  return {
    callbacks: hosts.map((h) => `https://${h}/callback`),
    allowed_logout_urls: hosts.map((h) => `https://${h}/`),
    web_origins: hosts.map((h) => `https://${h}`),
  };
}

const isDefaultApplication = (c: Client) => c.name === DEFAULT_APPLICATION_NAME && isManaged({ metadata: c.client_metadata });

async function ensureApplication(client: ManagementClient, tenant: string, hostnames: string[]): Promise<string> {
  const urls = applicationUrls(hostnames);
  const find = async () => (await client.listAll<Client>(tenant, "list applications", "/clients")).find(isDefaultApplication);
  const { value, created } = await client.ensure(tenant, "create the default application", find, () =>
    client.request<Client>(tenant, "create the default application", "POST", "/clients", {
      body: { name: DEFAULT_APPLICATION_NAME, app_type: "regular_web", grant_types: ["authorization_code", "refresh_token"], client_metadata: { [MANAGED_BY_KEY]: MANAGED_BY }, ...urls },
      idempotent: false,
    }),
  );
  const same = (a: string[] | undefined, b: string[]) => JSON.stringify([...(a ?? [])].sort()) === JSON.stringify(b);
  if (!created && !(same(value.callbacks, urls.callbacks) && same(value.allowed_logout_urls, urls.allowed_logout_urls) && same(value.web_origins, urls.web_origins))) {
    await client.request(tenant, "update the default application's URLs", "PATCH", `/clients/${encodeURIComponent(value.client_id)}`, { body: urls });
  }
  return value.client_id;
}

async function ensureConnection(client: ManagementClient, tenant: string): Promise<string> {
  const find = async () => (await client.listAll<Connection>(tenant, "list connections", "/connections")).find((c) => c.name === PASSWORD_CONNECTION);
  const { value } = await client.ensure(tenant, `create connection ${PASSWORD_CONNECTION}`, find, () =>
    client.request<Connection>(tenant, `create connection ${PASSWORD_CONNECTION}`, "POST", "/connections", {
      body: { name: PASSWORD_CONNECTION, strategy: "auth0", options: {} },
      idempotent: false,
    }),
  );
  return value.id;
}

async function ensureUser(client: ManagementClient, tenant: string, email: string): Promise<string> {
  const find = async () =>
    (await client.request<User[]>(tenant, `find user ${email}`, "GET", `/users-by-email?email=${encodeURIComponent(email)}`)).find((u) => u.email?.toLowerCase() === email.toLowerCase());
  const { value } = await client.ensure(tenant, `create user ${email}`, find, () =>
    client.request<User>(tenant, `create user ${email}`, "POST", "/users", { body: { email, connection: PASSWORD_CONNECTION, email_verified: false }, idempotent: false }),
  );
  return value.user_id;
}

const removeUser = (client: ManagementClient, tenant: string, email: string, id: string) =>
  client.request(tenant, `remove user ${email}`, "DELETE", `/users/${encodeURIComponent(id)}`, { allowNotFound: true });

type WithClientOptions<T> = T & { __clientOptions?: ClientOptions };

async function apply(inputs: WithClientOptions<IdentitySeedInputs>, previous?: IdentitySeedOutputs): Promise<IdentitySeedOutputs> {
  const connection = checkConnection(inputs.connection);
  const client = createManagementClient(connection, inputs.__clientOptions);
  const tenant = naming.identityTenant(inputs.tenantId);
  await requireIdentityTenant(client, tenant, connection.url);
  // The connection first: users are created in it.
  const connectionId = await ensureConnection(client, tenant);
  const applicationClientId = await ensureApplication(client, tenant, inputs.hostnames);
  const users = Object.fromEntries(await client.map(inputs.admins, async (email) => [email, await ensureUser(client, tenant, email)] as const));
  if (previous) {
    await client.map(Object.entries(previous.users).filter(([email]) => !(email in users)), ([email, id]) => removeUser(client, tenant, email, id));
  }
  return { connection, tenantId: inputs.tenantId, hostnames: inputs.hostnames, admins: inputs.admins, identityTenant: tenant, applicationClientId, connectionId, users };
}

export async function createIdentitySeed(inputs: WithClientOptions<IdentitySeedInputs>): Promise<pulumi.dynamic.CreateResult> {
  const outs = await apply(inputs);
  return { id: outs.identityTenant, outs };
}

export async function diffIdentitySeed(_id: string, olds: IdentitySeedOutputs, news: IdentitySeedInputs): Promise<pulumi.dynamic.DiffResult> {
  const replaces = olds.tenantId !== news.tenantId ? ["tenantId"] : [];
  const sorted = (a: string[]) => JSON.stringify([...a].sort());
  const changes = replaces.length > 0 || sorted(olds.hostnames) !== sorted(news.hostnames) || sorted(olds.admins) !== sorted(news.admins) || connectionChanged(olds.connection, news.connection);
  return { changes, replaces, deleteBeforeReplace: true };
}

export async function updateIdentitySeed(_id: string, olds: IdentitySeedOutputs, news: WithClientOptions<IdentitySeedInputs>): Promise<pulumi.dynamic.UpdateResult> {
  return { outs: await apply(news, olds) };
}

export async function deleteIdentitySeed(_id: string, olds: WithClientOptions<IdentitySeedOutputs>): Promise<void> {
  const client = createManagementClient(checkConnection(olds.connection), olds.__clientOptions);
  const tenant = olds.identityTenant;
  if (!(await client.tenantExists(tenant))) return;
  await client.map(Object.entries(olds.users), ([email, id]) => removeUser(client, tenant, email, id));
  await client.request(tenant, "delete the default application", "DELETE", `/clients/${encodeURIComponent(olds.applicationClientId)}`, { allowNotFound: true });
  await client.request(tenant, `delete connection ${PASSWORD_CONNECTION}`, "DELETE", `/connections/${encodeURIComponent(olds.connectionId)}`, { allowNotFound: true });
}

export const identitySeedProvider = {
  create: createIdentitySeed,
  diff: diffIdentitySeed,
  update: updateIdentitySeed,
  delete: deleteIdentitySeed,
};
