// IdentitySeed: what a new identity tenant starts with. The default application (a regular web app
// whose callback and logout URLs follow the tenant's host names), the username-password connection,
// and the admins as users of that connection.
//
// It deletes only what it created. The application carries the tenancy marker in its
// client_metadata, and each user it creates in its app_metadata: a user or application found
// without the marker is the tenant's own, used (an admin's existing user stays its user) but never
// deleted. AuthHero 9.6.1 keeps no metadata on connections, so the outputs record whether this
// resource created the connection (`ownsConnection`); one it found is the tenant's. (A create that
// crashed after making the connection finds it on the rerun and, unable to tell, leaves it be.)
import { isEmail, isTenantId } from "../../lib/catalog/formats";
import { naming } from "../../lib/naming";
import { defineProvider, type CheckFailure } from "../kit";
import type { ClientOptions, ManagementClient } from "./client";
import {
  clientFor,
  CONNECTION_PLACE_KEY,
  CONNECTION_UPDATE_KEYS,
  connectionFailures,
  isManaged,
  MANAGED_BY,
  MANAGED_BY_KEY,
  PASSWORD_CONNECTION,
  requireIdentityTenant,
  type ConnectionInput,
} from "./managed";

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
  /** Whether this resource created the password connection (and so may delete it); absent in older state: no. */
  ownsConnection?: boolean;
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
  /** An object, or its JSON text (AuthHero answers a create with the text). */
  app_metadata?: Record<string, unknown> | string;
}

/** Whether the seed made this user: the marker it puts in app_metadata at creation. */
function isSeedUser(user: User): boolean {
  const metadata = typeof user.app_metadata === "string" ? safeJson(user.app_metadata) : user.app_metadata;
  return isManaged({ metadata });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
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

/** The host names an application's callbacks were made from (applicationUrls' inverse). */
export function applicationHostnames(app: Pick<Client, "callbacks">): string[] {
  return (app.callbacks ?? []).map((url) => /^https:\/\/([^/]+)\/callback$/.exec(url)?.[1]).filter((h): h is string => h !== undefined).sort();
}

export function identitySeedProblems(inputs: Partial<IdentitySeedInputs>): CheckFailure[] {
  const failures = connectionFailures(inputs.connection);
  if (typeof inputs.tenantId !== "string" || !isTenantId(inputs.tenantId)) failures.push({ property: "tenantId", reason: `tenantId ${JSON.stringify(inputs.tenantId)} is not a tenant id` });
  if (!Array.isArray(inputs.hostnames) || inputs.hostnames.length === 0) failures.push({ property: "hostnames", reason: "hostnames must list the tenant's host names" });
  const bad = Array.isArray(inputs.admins) ? inputs.admins.filter((e) => !isEmail(e)) : [];
  if (!Array.isArray(inputs.admins) || bad.length > 0) failures.push({ property: "admins", reason: `admins must be e-mail addresses, got ${JSON.stringify(bad)}` });
  return failures;
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

/** The password connection; `created` when it was not there before this call (a create whose answer was lost included). */
async function ensureConnection(client: ManagementClient, tenant: string): Promise<{ id: string; created: boolean }> {
  const find = async () => (await client.listAll<Connection>(tenant, "list connections", "/connections")).find((c) => c.name === PASSWORD_CONNECTION);
  const existing = await find();
  if (existing) return { id: existing.id, created: false };
  const { value } = await client.ensure(
    tenant,
    `create connection ${PASSWORD_CONNECTION}`,
    find,
    () =>
      client.request<Connection>(tenant, `create connection ${PASSWORD_CONNECTION}`, "POST", "/connections", {
        body: { name: PASSWORD_CONNECTION, strategy: "auth0", options: {} },
        idempotent: false,
      }),
    { knownAbsent: true },
  );
  return { id: value.id, created: true };
}

async function ensureUser(client: ManagementClient, tenant: string, email: string): Promise<string> {
  const find = async () =>
    (await client.request<User[]>(tenant, `find user ${email}`, "GET", `/users-by-email?email=${encodeURIComponent(email)}`)).find((u) => u.email?.toLowerCase() === email.toLowerCase());
  const { value } = await client.ensure(tenant, `create user ${email}`, find, () =>
    client.request<User>(tenant, `create user ${email}`, "POST", "/users", {
      body: { email, connection: PASSWORD_CONNECTION, email_verified: false, app_metadata: { [MANAGED_BY_KEY]: MANAGED_BY } },
      idempotent: false,
    }),
  );
  return value.user_id;
}

/** Deletes the user if the seed made it (marked); a user the tenant made is left as it is. */
async function removeUser(client: ManagementClient, tenant: string, email: string, id: string): Promise<void> {
  const path = `/users/${encodeURIComponent(id)}`;
  const user = await client.request<User | undefined>(tenant, `read user ${email}`, "GET", path, { allowNotFound: true });
  if (!user || !isSeedUser(user)) return;
  await client.request(tenant, `remove user ${email}`, "DELETE", path, { allowNotFound: true });
}

async function apply(inputs: IdentitySeedInputs, options: ClientOptions | undefined, previous?: IdentitySeedOutputs): Promise<IdentitySeedOutputs> {
  const client = clientFor(inputs.connection, options);
  const tenant = naming.identityTenant(inputs.tenantId);
  await requireIdentityTenant(client, tenant, inputs.connection.url);
  // The connection first: users are created in it. Once created by this resource, it stays its own.
  const connection = await ensureConnection(client, tenant);
  const ownsConnection = connection.created || (previous?.ownsConnection === true && previous.connectionId === connection.id);
  const applicationClientId = await ensureApplication(client, tenant, inputs.hostnames);
  const users = Object.fromEntries(await client.map(inputs.admins, async (email) => [email, await ensureUser(client, tenant, email)] as const));
  if (previous) {
    await client.map(Object.entries(previous.users).filter(([email]) => !(email in users)), ([email, id]) => removeUser(client, tenant, email, id));
  }
  return { ...inputs, identityTenant: tenant, applicationClientId, connectionId: connection.id, users, ownsConnection };
}

export const identitySeed = defineProvider<IdentitySeedInputs, IdentitySeedOutputs, ClientOptions>({
  kind: "IdentitySeed",
  // Its objects are in the tenant's own identity tenant; the control-plane tenant only issues the token.
  keys: { place: ["tenantId"], update: [...CONNECTION_UPDATE_KEYS, CONNECTION_PLACE_KEY, "hostnames", "admins"], unordered: ["hostnames", "admins"] },
  check: identitySeedProblems,
  async create(inputs, options) {
    const outs = await apply(inputs, options);
    return { id: outs.identityTenant, outs };
  },
  /**
   * What the identity tenant holds of the seed: the default application's host names (none when it
   * is gone), the password connection, and the admins whose users are still there (none without
   * the connection they live in). Any of them missing shows as drift, which the next up recreates.
   * An empty id when the identity tenant, or everything the seed made, is gone.
   */
  async read(id, props, options) {
    const client = clientFor(props.connection, options);
    const tenant = props.identityTenant;
    if (!(await client.tenantExists(tenant))) return { id: "", props };
    const app = props.applicationClientId
      ? await client.request<Client | undefined>(tenant, "read the default application", "GET", `/clients/${encodeURIComponent(props.applicationClientId)}`, { allowNotFound: true })
      : undefined;
    const found = (await client.listAll<Connection>(tenant, "list connections", "/connections")).find((c) => c.name === PASSWORD_CONNECTION);
    const present = found
      ? await client.map(Object.entries(props.users), async ([email, userId]) =>
          (await client.request<User | undefined>(tenant, `read user ${email}`, "GET", `/users/${encodeURIComponent(userId)}`, { allowNotFound: true })) ? [[email, userId] as const] : [],
        )
      : [];
    const users: Record<string, string> = Object.fromEntries(present.flat());
    if (!app && !found && Object.keys(users).length === 0) return { id: "", props };
    return {
      id,
      props: {
        ...props,
        hostnames: app ? applicationHostnames(app) : [],
        admins: props.admins.filter((email) => email in users),
        applicationClientId: app?.client_id ?? "",
        connectionId: found?.id ?? "",
        users,
      },
    };
  },
  update: async (_id, olds, news, options) => ({ outs: await apply(news, options, olds) }),
  async delete(_id, props, options) {
    const client = clientFor(props.connection, options);
    const tenant = props.identityTenant;
    if (!(await client.tenantExists(tenant))) return;
    await client.map(Object.entries(props.users), ([email, id]) => removeUser(client, tenant, email, id));
    if (props.applicationClientId) {
      await client.request(tenant, "delete the default application", "DELETE", `/clients/${encodeURIComponent(props.applicationClientId)}`, { allowNotFound: true });
    }
    if (props.connectionId && props.ownsConnection) {
      await client.request(tenant, `delete connection ${PASSWORD_CONNECTION}`, "DELETE", `/connections/${encodeURIComponent(props.connectionId)}`, { allowNotFound: true });
    }
  },
});
