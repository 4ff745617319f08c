// Stack configuration (`tenancy:*`), read once and validated as a whole into a typed TenancyConfig.
// The program function never reads config itself, so `tenancy plan` can hand it a placeholder.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { BUCKET_PREFIX_MAX, BUCKET_PREFIX_PATTERN, CATALOG_DIR, naming } from "./naming";
import { AWS_REGIONS } from "./catalog/regions";
import { Hostname, Slug } from "./catalog/schema";
import { WEBHOOK_SECRET_MIN_LENGTH } from "./lifecycle/policy";

export const CONFIG_NAMESPACE = "tenancy";

/** The modes both the Pulumi provider and the migrations runner (providers/postgres/connection.ts) accept. */
const SSL_MODES = ["disable", "require", "verify-full"] as const;

const BucketName = z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: "expected an S3 bucket name" });

const Target = z.string().regex(/^(?=.{1,253}$)[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$/, {
  message: "expected a host name such as ingress.example.net (the content of a CNAME record)",
});

export const DatabaseServerSchema = z.strictObject({
  host: z.string().min(1, { message: "expected the server's host name or address" }),
  port: z.int().min(1).max(65535).default(5432),
  adminUser: z.string().min(1, { message: "expected the admin user the provider connects as" }),
  /**
   * verify-full (the default) checks the server's certificate against `sslrootcert` and its host
   * name; `require` encrypts but trusts any certificate, so an impostor can ask for the password
   * (SECURITY.md); `disable` is for a server on loopback only.
   */
  sslmode: z.enum(SSL_MODES).default("verify-full"),
  /** The PEM file of the CA that signs the server's certificate, relative to Pulumi.yaml (public material: commit it). */
  sslrootcert: z.string().min(1).optional(),
  /**
   * Whether this stack creates the server's shared roles and databases (DatabaseServer). Cells that
   * share a server must leave that to exactly one of their stacks: a second create would fail.
   */
  manageShared: z.boolean().default(true),
}).refine((s) => s.sslmode !== "verify-full" || s.sslrootcert !== undefined, {
  path: ["sslrootcert"],
  message: "missing; sslmode verify-full (the default) checks the server's certificate against this CA file (PEM, relative to Pulumi.yaml); sslmode require is available but unsafe (SECURITY.md)",
});
export type DatabaseServerSettings = z.infer<typeof DatabaseServerSchema>;

/** Every non-secret key; the secret ones are checked separately so no message can echo their value. */
export const PlainConfigSchema = z.strictObject({
  /** Only ever its one value (lib/naming.ts CATALOG_DIR): accepted so older stack files still parse. */
  tenantsDir: z.literal(CATALOG_DIR, { message: `the catalog is always ${CATALOG_DIR}/ beside Pulumi.yaml; remove tenancy:tenantsDir from the stack file` }).optional(),
  /** The cell is the stack's name; a stack file may repeat it, never name another (see parseTenancyConfig). */
  cell: Slug.optional(),
  databaseServers: z
    .record(Slug, DatabaseServerSchema)
    .refine((servers) => Object.keys(servers).length > 0, { message: "expected at least one database server" }),
  bucketPrefix: z.string().regex(BUCKET_PREFIX_PATTERN, {
    message: `expected 1-${BUCKET_PREFIX_MAX} lowercase letters, digits or inner hyphens, such as acme-tenancy`,
  }),
  cloudflareZoneId: z.string().regex(/^[0-9a-f]{32}$/, { message: "expected a Cloudflare zone id: 32 lowercase hex digits" }),
  baseDomain: Hostname,
  ingressTarget: Target,
  maintenanceTarget: Target,
  /**
   * Before backups were kept per region, one bucket for every tenant: read as the entry of
   * `backupRegion` in backupBuckets, so a stack that sets it keeps finding its backups there.
   * Empty is unset (Pulumi.yaml declares both with "" as their default).
   */
  backupBucket: z.preprocess((v) => (v === "" ? undefined : v), BucketName.optional()),
  /** Backups bucket per region (data residency), where it is not naming.backupBucket(bucketPrefix, region). */
  backupBuckets: z.partialRecord(z.enum(AWS_REGIONS as [string, ...string[]], { message: "expected an AWS region name such as eu-west-1" }), BucketName).optional(),
  // Empty is unset: Pulumi.yaml declares the key with "" as its default (AWS S3 itself).
  s3Endpoint: z.preprocess(
    (v) => (v === "" ? undefined : v),
    z.string().regex(/^https?:\/\/[^\s/]+\/?$/, { message: "expected the base URL of an S3-compatible server, such as https://minio.internal:9000" }).optional(),
  ),
  backupRegion: z.preprocess((v) => (v === "" ? undefined : v), z.enum(AWS_REGIONS as [string, ...string[]], { message: "expected an AWS region name such as eu-west-1" }).optional()),
  controlPlane: z.strictObject({
    url: z.string().regex(/^https?:\/\/[^\s/]+/, { message: "expected the control plane's base URL, such as https://auth.example.com" }),
    clientId: z.string().min(1),
    tenantId: z.string().min(1),
  }),
});

/** Shortest HMAC key the lifecycle webhooks accept (defined beside them, checked here too). */
export { WEBHOOK_SECRET_MIN_LENGTH };

export const SECRET_KEYS = ["databasePasswords", "controlPlaneClientSecret", "webhookSecret"] as const;

/**
 * How the admin reaches a server: what the program hands the engine-side code (the password a secret
 * Output) and what the operator commands use beside the stack (the password decrypted), from one place.
 */
export function adminConnection<P>(server: Pick<DatabaseServer, "host" | "port" | "adminUser" | "sslmode" | "ca"> & { password: P }) {
  return {
    host: server.host,
    port: server.port,
    user: server.adminUser,
    password: server.password,
    sslmode: server.sslmode,
    ...(server.ca === undefined ? {} : { ca: server.ca }),
  };
}

/** Keys that only exist to be refused when they point elsewhere: never declared, never to be set. */
export const FIXED_KEYS: ReadonlySet<string> = new Set(["cell", "tenantsDir"]);
export type SecretKey = (typeof SECRET_KEYS)[number];

export interface DatabaseServer extends DatabaseServerSettings {
  /** Name under `tenancy:databaseServers`, as tenants reference it (`database.server`). */
  name: string;
  /** Admin password, from `tenancy:databasePasswords`; always a secret Output. */
  password: pulumi.Output<string>;
  /** The CA certificate (PEM) read from `sslrootcert`, which the engine-side code checks the server against. */
  ca?: string;
}

export interface TenancyConfig extends Omit<z.infer<typeof PlainConfigSchema>, "databaseServers" | "cell" | "tenantsDir"> {
  /** The cell this stack deploys: the stack's own name. */
  cell: string;
  databaseServers: Record<string, DatabaseServer>;
  controlPlaneClientSecret: pulumi.Output<string>;
  webhookSecret: pulumi.Output<string>;
}

export class ConfigInvalidError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`stack config is invalid (${problems.length} problem(s)):\n${problems.map((p) => `  ${p}`).join("\n")}`);
    this.name = "ConfigInvalidError";
  }
}

/**
 * Raw values as read from the stack: plain keys as parsed JSON or strings; the secret strings as
 * secret Outputs (or plain text, from a stack file or a test); databasePasswords as a plain map.
 */
export type RawConfig = Record<string, unknown>;

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((v, key) => (typeof v === "object" && v !== null ? (v as Record<PropertyKey, unknown>)[key] : undefined), value);
}

function pathText(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("").replace(/^\./, "");
}

/**
 * Validates raw config and returns it typed. Every problem is reported at once, named by its key
 * (`tenancy:databaseServers.main.port: ...`). Secret values are wrapped with pulumi.secret
 * immediately and never appear in a message: only their presence and type are checked.
 *
 * `stack`: the stack's name, which is the cell it deploys. A stack file naming another cell is an
 * error, not a redirect: the program would otherwise register the other cell's tenants (or none, and
 * `up` would delete the whole cell) while the plan, which reads the stack file by its name, showed
 * this one's. Without `stack` (a plan's template, a test) the cell is the config's own, else "default".
 */
export function parseTenancyConfig(raw: RawConfig, stack?: string): TenancyConfig {
  const problems: string[] = [];
  const plainInput = Object.fromEntries(Object.entries(raw).filter(([k]) => !(SECRET_KEYS as readonly string[]).includes(k)));
  const plain = PlainConfigSchema.safeParse(plainInput);
  if (!plain.success) {
    for (const issue of plain.error.issues) {
      const key = issue.path.length ? `${CONFIG_NAMESPACE}:${pathText(issue.path)}` : CONFIG_NAMESPACE;
      const message = issue.code === "unrecognized_keys"
        ? `unknown key(s) ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}`
        : valueAt(plainInput, issue.path) === undefined && issue.code !== "custom" ? "missing; set it with `pulumi config set`" : issue.message;
      problems.push(`${key}: ${message}`);
    }
  }

  const secretString = (key: "controlPlaneClientSecret" | "webhookSecret", minLength = 1): pulumi.Output<string> | undefined => {
    const value = raw[key];
    // Neither the value nor its length is told.
    const short = `${CONFIG_NAMESPACE}:${key}: too short; expected at least ${minLength} characters, such as the output of \`openssl rand -hex 32\``;
    // A length cannot be checked on an Output before resources are registered: such keys take text only.
    if (pulumi.Output.isInstance(value) && minLength <= 1) return pulumi.secret(value as pulumi.Output<string>);
    if (typeof value !== "string" || value.length === 0) {
      const what = value === undefined || value === "" ? "missing" : "expected a string";
      problems.push(`${CONFIG_NAMESPACE}:${key}: ${what}; set it with \`pulumi config set --secret ${CONFIG_NAMESPACE}:${key} <value>\``);
      return undefined;
    }
    if (value.length < minLength) {
      problems.push(short);
      return undefined;
    }
    return pulumi.secret(value);
  };
  const clientSecret = secretString("controlPlaneClientSecret");
  // The lifecycle webhooks' providers refuse a shorter signing key (providers/webhooks/hooks.ts).
  const webhookSecret = secretString("webhookSecret", WEBHOOK_SECRET_MIN_LENGTH);

  const passwords = raw.databasePasswords;
  const passwordOf: Record<string, pulumi.Output<string>> = {};
  if (typeof passwords !== "object" || passwords === null || Array.isArray(passwords)) {
    problems.push(`${CONFIG_NAMESPACE}:databasePasswords: missing; expected a secret map of server name -> admin password (pulumi config set --secret --path '${CONFIG_NAMESPACE}:databasePasswords.main' <password>)`);
  } else {
    for (const [name, value] of Object.entries(passwords)) {
      if (typeof value !== "string" || value.length === 0) problems.push(`${CONFIG_NAMESPACE}:databasePasswords.${name}: expected a non-empty string`);
      else passwordOf[name] = pulumi.secret(value);
    }
  }

  const servers: Record<string, DatabaseServer> = {};
  if (plain.success && typeof passwords === "object" && passwords !== null) {
    for (const [name, settings] of Object.entries(plain.data.databaseServers)) {
      const password = passwordOf[name];
      if (!password) {
        if (!(name in passwords)) problems.push(`${CONFIG_NAMESPACE}:databasePasswords.${name}: missing; every server in databaseServers needs its admin password (pulumi config set --secret --path '${CONFIG_NAMESPACE}:databasePasswords.${name}' <password>)`);
        continue;
      }
      const ca = settings.sslrootcert === undefined ? undefined : readCaFile(settings.sslrootcert, `${CONFIG_NAMESPACE}:databaseServers.${name}.sslrootcert`, problems);
      servers[name] = { ...settings, name, password, ...(ca === undefined ? {} : { ca }) };
    }
    for (const name of Object.keys(passwords)) {
      if (!(name in plain.data.databaseServers)) problems.push(`${CONFIG_NAMESPACE}:databasePasswords.${name}: no server "${name}" in ${CONFIG_NAMESPACE}:databaseServers`);
    }
  }

  if (plain.success && (plain.data.backupBucket === undefined) !== (plain.data.backupRegion === undefined)) {
    problems.push(`${CONFIG_NAMESPACE}:${plain.data.backupBucket === undefined ? "backupBucket" : "backupRegion"}: missing; backupBucket and backupRegion name one region's backups bucket together (or set ${CONFIG_NAMESPACE}:backupBuckets.<region> instead)`);
  }

  let cell = typeof raw.cell === "string" ? raw.cell : "default";
  if (stack !== undefined) {
    if (!Slug.safeParse(stack).success) {
      problems.push(`stack name "${stack}": a stack deploys the cell it is named after, so its name must be a cell name (lowercase letters, digits, inner hyphens)`);
    } else if (raw.cell !== undefined && raw.cell !== stack) {
      problems.push(
        `${CONFIG_NAMESPACE}:cell: "${String(raw.cell)}" is not this stack's name "${stack}"; a stack deploys the cell it is named after: remove ${CONFIG_NAMESPACE}:cell from Pulumi.${stack}.yaml`,
      );
    }
    cell = stack;
  }
  if (problems.length > 0 || !plain.success || !clientSecret || !webhookSecret) throw new ConfigInvalidError(problems);
  const { tenantsDir: _fixed, cell: _named, ...settings } = plain.data;
  return { ...settings, cell, databaseServers: servers, controlPlaneClientSecret: clientSecret, webhookSecret };
}

/**
 * The CA file named by `sslrootcert`, relative to the project directory (where Pulumi runs the
 * program, and where `tenancy` runs its commands); a problem named by the key when it cannot be read
 * or holds no certificate. Certificates are public: the file is committed beside Pulumi.yaml.
 */
function readCaFile(path: string, key: string, problems: string[]): string | undefined {
  let text: string;
  try {
    text = readFileSync(resolve(process.cwd(), path), "utf8");
  } catch (e) {
    problems.push(`${key}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? "unreadable"}); expected the PEM file of the CA that signs the server's certificate, relative to Pulumi.yaml`);
    return undefined;
  }
  if (!text.includes("-----BEGIN CERTIFICATE-----")) {
    problems.push(`${key}: ${path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
    return undefined;
  }
  return text;
}

/** Keys whose value is a map: read as objects, and not declarable in Pulumi.yaml. */
export const OBJECT_KEYS: ReadonlySet<string> = new Set(["databaseServers", "controlPlane", "databasePasswords", "backupBuckets"]);

/**
 * The backups bucket of a region: tenancy:backupBuckets.<region>, else the older pair
 * backupBucket/backupRegion for its region, else naming.backupBucket(bucketPrefix, region).
 */
export function backupBucketName(config: Pick<TenancyConfig, "bucketPrefix" | "backupBuckets" | "backupBucket" | "backupRegion">, region: string): string {
  return config.backupBuckets?.[region] ?? (config.backupRegion === region ? config.backupBucket : undefined) ?? naming.backupBucket(config.bucketPrefix, region);
}

/** Reads `tenancy:*` from the running stack, whose name is the cell it deploys. */
export function readTenancyConfig(config = new pulumi.Config(CONFIG_NAMESPACE), stack = pulumi.getStack()): TenancyConfig {
  const raw: RawConfig = {};
  for (const key of [...Object.keys(PlainConfigSchema.shape), "databasePasswords"]) {
    // databasePasswords is read as plain text only to be checked and wrapped at once by
    // parseTenancyConfig: getSecretObject would hide a missing server password inside an Output
    // until after resources were registered.
    const value = OBJECT_KEYS.has(key) ? config.getObject<unknown>(key) : config.get(key);
    if (value !== undefined) raw[key] = value;
  }
  const clientSecret = config.getSecret("controlPlaneClientSecret");
  if (clientSecret !== undefined) raw.controlPlaneClientSecret = clientSecret;
  // Read as plain text only to check its length before anything is registered; wrapped at once.
  const webhookSecret = config.get("webhookSecret");
  if (webhookSecret !== undefined) raw.webhookSecret = webhookSecret;
  return parseTenancyConfig(raw, stack);
}

/**
 * Raw config from a stack file's text (`Pulumi.<stack>.yaml`). Encrypted (`secure:`) values are
 * taken as opaque placeholders, which is what an offline plan needs: no secret is ever decrypted.
 */
export function rawConfigFromStackFile(text: string): RawConfig {
  const doc = parseYaml(text) as { config?: Record<string, unknown> } | null;
  const raw: RawConfig = {};
  const unwrap = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(unwrap);
    if (typeof value === "object" && value !== null) {
      const entries = Object.entries(value);
      if (entries.length === 1 && entries[0][0] === "secure") return String(entries[0][1]);
      return Object.fromEntries(entries.map(([k, v]) => [k, unwrap(v)]));
    }
    return value;
  };
  for (const [key, value] of Object.entries(doc?.config ?? {})) {
    const [ns, name] = key.split(":");
    if (ns === CONFIG_NAMESPACE && name) raw[name] = unwrap(value);
  }
  return raw;
}
