// An admin session on a tenant's database server. Sessions live for one provider call: nothing is
// kept at module level, so a call that fails leaves no connection behind.
//
// What every session the project opens gets, whoever it talks to:
// - TLS per `sslmode`: `verify-full` checks the server's certificate against the configured CA
//   (`ca`, PEM) and the host name; `require` encrypts but trusts any certificate (an impostor on
//   the path is not detected: unsafe, see SECURITY.md); `disable` is for loopback test servers.
// - SCRAM only: a server (or an impostor) that asks for a cleartext password or an MD5 hash is
//   refused before anything is sent; SCRAM-SHA-256-PLUS (channel binding) is used when offered.
// - Limits (SESSION_LIMITS): statement, lock, idle-in-transaction and idle timeouts, so a lock a
//   tenant holds makes a provider call fail with an error instead of hanging the deployment.
// - Settings a database's owner could have set for every session (`ALTER DATABASE ... SET`) are
//   pinned in the startup packet, which wins over them: search_path, role, read-only transactions.
import { isIP } from "node:net";
import type { ConnectionOptions } from "node:tls";
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
  /** PEM of the CA that signs the server's certificate; `verify-full` needs it. */
  ca?: string;
}

export const SSL_MODES: readonly SslMode[] = ["disable", "require", "verify-full"];

/** Bounds of every admin session, in milliseconds. */
export const SESSION_LIMITS = {
  /** A migration that rewrites a large table needs minutes; nothing the project runs needs more. */
  statementTimeoutMs: 15 * 60_000,
  /** A lock held by someone else (a tenant's open transaction) fails the call instead of hanging it. */
  lockTimeoutMs: 15_000,
  idleInTransactionMs: 60_000,
  idleSessionMs: 10 * 60_000,
} as const;

/** The startup options of every admin session (see the file's head). */
export function sessionOptions(limits = SESSION_LIMITS): string {
  return [
    "search_path=pg_catalog,pg_temp",
    "role=none",
    "default_transaction_read_only=off",
    `statement_timeout=${limits.statementTimeoutMs}`,
    `lock_timeout=${limits.lockTimeoutMs}`,
    `idle_in_transaction_session_timeout=${limits.idleInTransactionMs}`,
    `idle_session_timeout=${limits.idleSessionMs}`,
  ]
    .map((setting) => `-c ${setting}`)
    .join(" ");
}

/** Node's TLS options for `sslmode`; false for no TLS. */
export function tlsOptions(connection: Pick<Connection, "host" | "sslmode" | "ca">): false | ConnectionOptions {
  if (connection.sslmode === "disable") return false;
  if (connection.sslmode === "require") return { rejectUnauthorized: false };
  if (!connection.ca) throw new Error(`sslmode verify-full for ${connection.host} needs the CA certificate (PEM) that signs the server's certificate`);
  // Node checks the host name (or the IP address, against the certificate's IP entries) itself.
  return { rejectUnauthorized: true, ca: connection.ca, ...(isIP(connection.host) ? {} : { servername: connection.host }) };
}

const SCRAM = ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"];

/** How a server authenticated a session: the SASL mechanisms it offered. */
export interface AuthSeen {
  offered: string[];
}

/**
 * A client that answers only SCRAM. node-postgres has no option for that: its handlers for the
 * other requests are replaced (names pinned by the pg version in package-lock.json; the impostor
 * test in test/attack/ fails if an upgrade renames them).
 */
class ScramOnlyClient extends Client {
  readonly seen: AuthSeen = { offered: [] };
  private readonly where: string;

  constructor(config: ConstructorParameters<typeof Client>[0] & { host: string; port: number }) {
    super(config);
    this.where = `${config.host}:${config.port}`;
  }

  private refuse(what: string): void {
    const connection = (this as unknown as { connection: { stream: { destroy(): void }; emit(event: string, error: Error): void } }).connection;
    // The error first: it settles connect() before the closed socket could report something vaguer.
    connection.emit(
      "error",
      new Error(
        `refused to authenticate to ${this.where}: the server asked for ${what}; tenancy sends passwords only through SCRAM-SHA-256 ` +
          `(set password_encryption = scram-sha-256 and scram-sha-256 in pg_hba.conf). Nothing was sent.`,
      ),
    );
    connection.stream.destroy();
  }

  _handleAuthCleartextPassword(): void {
    this.refuse("a cleartext password");
  }

  _handleAuthMD5Password(): void {
    this.refuse("an MD5 password hash");
  }

  _handleAuthSASL(message: { mechanisms: string[] }): void {
    this.seen.offered = [...message.mechanisms];
    if (!message.mechanisms.some((m) => SCRAM.includes(m))) return this.refuse(`SASL mechanism(s) ${message.mechanisms.join(", ")}`);
    (Client.prototype as unknown as { _handleAuthSASL(m: unknown): void })._handleAuthSASL.call(this, message);
  }
}

export type AdminClient = Client & { readonly seen: AuthSeen };

export async function connect(connection: Connection, application = "tenancy-migrations"): Promise<AdminClient> {
  const ssl = tlsOptions(connection);
  const client = new ScramOnlyClient({
    host: connection.host,
    port: connection.port,
    user: connection.user,
    password: connection.password,
    database: connection.database,
    ssl,
    enableChannelBinding: ssl !== false,
    application_name: application,
    connectionTimeoutMillis: 15_000,
    options: sessionOptions(),
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

/**
 * Connects and disconnects, refusing what connect refuses: run before a PostgreSQL tool (which
 * cannot refuse a cleartext request itself before libpq 16) is handed the password. Returns what
 * the server offered, so the tool can be told to demand channel binding where it is available.
 */
export async function probeAuthentication(connection: Connection): Promise<AuthSeen> {
  const client = await connect(connection, "tenancy-probe");
  await client.end().catch(() => undefined);
  return client.seen;
}

/** Whether connecting failed because the database does not exist (it was dropped: the object is gone). */
export function isMissingDatabase(error: unknown): boolean {
  return (error as { code?: string }).code === "3D000";
}
