// An admin session on a tenant's database server. Sessions live for one provider call: nothing is
// kept at module level, so a call that fails leaves no connection behind.
import { Client } from "pg";

export type SslMode = "disable" | "require" | "verify-full";

export interface Connection {
  host: string;
  port: number;
  /** The migrating admin: a superuser, or a role that is a member of the shared owner role. */
  user: string;
  password: string;
  database: string;
  sslmode: SslMode;
}

export const SSL_MODES: readonly SslMode[] = ["disable", "require", "verify-full"];

export async function connect(connection: Connection, application = "tenancy-migrations"): Promise<Client> {
  const ssl = connection.sslmode === "disable" ? false : { rejectUnauthorized: connection.sslmode === "verify-full" };
  const client = new Client({
    host: connection.host,
    port: connection.port,
    user: connection.user,
    password: connection.password,
    database: connection.database,
    ssl,
    application_name: application,
    connectionTimeoutMillis: 15_000,
    // A database-mode tenant owns its database and could give it a search_path default leading to
    // functions of its own; startup options override that for the admin's session.
    options: "-c search_path=pg_catalog,pg_temp",
  });
  // An idle client whose backend is terminated emits "error"; the failed query reports it instead.
  client.on("error", () => undefined);
  await client.connect();
  return client;
}

/** Runs `work` in one session, closed afterwards whatever happens. */
export async function withSession<T>(connection: Connection, work: (client: Client) => Promise<T>, application?: string): Promise<T> {
  const client = await connect(connection, application);
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Whether connecting failed because the database does not exist (it was dropped: the object is gone). */
export function isMissingDatabase(error: unknown): boolean {
  return (error as { code?: string }).code === "3D000";
}
