// The shape of the catalog: one strict zod schema per kind of file. The JSON Schema that editors
// use is generated from these (see json-schema.ts), so this file is the single source of truth.
import { z } from "zod";
import { hostnameProblem, ID_MAX, ID_MIN, ID_PATTERN, ID_RULE, isEmail, isHttpsUrl } from "./formats";
import { AWS_REGIONS } from "./regions";

const HOSTNAME_PATTERN =
  /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const SLUG_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;

export const TenantId = z
  .string()
  .min(ID_MIN, { message: `expected ${ID_RULE}` })
  .max(ID_MAX, { message: `expected ${ID_RULE}` })
  .regex(ID_PATTERN, { message: `expected ${ID_RULE}` });

/** Names of plans, cells, rings, servers and roles: short lowercase words. */
export const Slug = z.string().regex(SLUG_PATTERN, {
  message: "expected a lowercase word (letters, digits, hyphens; starting with a letter; at most 63 characters)",
});

/** The pattern is what editors check (JSON Schema); the message says which rule the value breaks. */
export const Hostname = z.string().regex(HOSTNAME_PATTERN, {
  error: (issue) => hostnameProblem(String(issue.input)) ?? "expected a lowercase host name per RFC 1123, such as login.example.com",
});

export const Subdomain = z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, {
  message: "expected one DNS label: lowercase letters, digits and inner hyphens, at most 63 characters",
});

/**
 * A list whose entries must differ: a repeat is a slip (and a repeated role would be granted twice).
 * The issue points at the repeat and is worded in full (see describeIssue).
 */
function distinct<T extends z.ZodArray<z.ZodType<string>>>(list: T): T {
  return list.superRefine((items, ctx) => {
    const first = new Map<string, number>();
    items.forEach((item, i) => {
      const seen = first.get(item);
      if (seen === undefined) first.set(item, i);
      else ctx.addIssue({ code: "custom", path: [i], message: `${JSON.stringify(item)} is listed twice (also [${seen}])`, params: { complete: true } });
    });
  }) as unknown as T;
}

/**
 * Characters that show nothing but change what a reader sees: bidirectional controls (a name that
 * reads "Acme" on screen and is something else in a log), zero-width spaces and joiners (two
 * tenants that look alike), fillers that render blank.
 */
const INVISIBLE = /[\p{Cf}\u115F\u1160\u3164\uFFA0\u2800]/u;

/** The first invisible character of `text` as U+XXXX, or undefined. */
export function invisibleCharacter(text: string): string | undefined {
  const found = INVISIBLE.exec(text)?.[0];
  return found === undefined ? undefined : `U+${found.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
}

/** Names shown to people (and sent to the identity provider): one line of printable, visible text. */
const DisplayName = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((name) => !/\p{Cc}/u.test(name), { message: "expected a name without line breaks, tabs or other control characters" })
    .refine((name) => invisibleCharacter(name) === undefined, {
      error: (issue) => `expected a name without invisible characters; ${invisibleCharacter(String(issue.input))} is a bidirectional control or zero-width character`,
      // Complete as it stands: the name itself is not repeated (it would carry the character into logs).
      params: { complete: true },
    });

export const Email = z
  .string()
  .refine(isEmail, { message: "expected an e-mail address such as ops@example.com" })
  .meta({ format: "email" });

export const HttpsUrl = z
  .string()
  .regex(/^https:\/\//, { message: "expected an https:// URL", abort: true })
  .refine(isHttpsUrl, { message: "expected an https:// URL with a host and no credentials" });

/** Too many to list in a message; the "did you mean" suggestion does the work. */
export const Region = z.enum(AWS_REGIONS as [string, ...string[]], {
  error: () => `expected an AWS region such as eu-west-1 or us-east-1 (one of the ${AWS_REGIONS.length} the AWS provider knows)`,
});

export const STATUSES = ["active", "suspended"] as const;
export const ISOLATIONS = ["database", "schema", "shared"] as const;
export const STORAGE_MODES = ["bucket", "prefix"] as const;
export const ON_DELETE = ["retain", "backup", "delete"] as const;
export const HOOK_EVENTS = ["created", "updated", "deleting", "deleted"] as const;

const JsonObject = z.record(z.string(), z.json());

export const Hooks = z.strictObject({
  created: z.array(HttpsUrl).max(10).optional(),
  updated: z.array(HttpsUrl).max(10).optional(),
  deleting: z.array(HttpsUrl).max(10).optional(),
  deleted: z.array(HttpsUrl).max(10).optional(),
});

/**
 * `adopt:` of a tenant that runs already: the objects that exist, imported into the stack instead of
 * created (lib/catalog/adopt.ts checks them against the tenant; docs/runbooks.md, "Adopting an
 * existing tenant"). Per tenant only, never from `_defaults.yaml`.
 */
export const AdoptSchema = z.strictObject({
  database: z.string().describe("Isolation database: the tenant's database, named as lib/naming.ts names it (tenant_<id>)."),
  schema: z.string().describe("Isolation database or schema: the schema holding the tenant's tables (tenant_<id>)."),
  migration_version: z.int().min(0).describe("The migration version the schema's tables are at: versions 1..N are recorded as applied once their tables are found."),
  bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: "expected an S3 bucket name" }).describe("Storage mode bucket: the tenant's bucket, kept under its own name."),
  organization: z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/, { message: "expected an organization name (lowercase letters, digits, hyphens)" }).describe("The tenant's organization on the control plane, by name."),
}).partial();
export type Adopt = z.infer<typeof AdoptSchema>;

/**
 * A tenant as it stands after `_defaults.yaml` has filled in what the file leaves out.
 * The file itself may omit every field but `id` and `name`.
 */
export const TenantSchema = z.strictObject({
  id: TenantId.describe("Stable identifier; equals the file name. Every real object's name derives from it."),
  name: DisplayName(200).describe("Display name; may change freely."),
  friendly_name: DisplayName(100).optional().describe("Short display name; defaults to name."),
  status: z.enum(STATUSES).describe("suspended: DNS points at maintenance, logins refused, data untouched."),
  plan: Slug.describe("One of the plans listed in _defaults.yaml."),
  cell: Slug.describe("The stack (cell) that deploys this tenant: one of the cells declared in _cells.yaml."),
  region: Region.describe("AWS region where the tenant's data lives (data residency)."),
  parent: TenantId.nullable().optional().describe("Id of the parent tenant, for hierarchical tenants."),
  database: z.strictObject({
    isolation: z.enum(ISOLATIONS).describe("database: own database; schema: own schema; shared: rows by tenant_id."),
    server: Slug.describe("A database server declared in _cells.yaml and configured in stack config tenancy:databaseServers."),
  }),
  storage: z.strictObject({
    mode: z.enum(STORAGE_MODES).describe("bucket: own S3 bucket; prefix: a prefix in the cell's shared bucket."),
    versioning: z.boolean(),
    noncurrent_days: z.int().min(1).max(3650).describe("Days a replaced object version is kept."),
    expire_days: z.int().min(1).max(36500).nullable().optional().describe("Days before current objects expire; null keeps them."),
  }),
  domains: z
    .strictObject({
      subdomain: Subdomain.optional().describe("Label under the base domain; defaults to the id."),
      custom: z.array(Hostname).max(50).optional().describe("Custom host names served through Cloudflare for SaaS."),
    })
    .optional(),
  access: z.strictObject({
    admins: distinct(z.array(Email).max(100)).describe("Members of the organization with the admin role."),
    roles: distinct(z.array(Slug).max(50)).describe("Control-plane roles granted to the organization, besides the defaults."),
  }),
  rollout: z.strictObject({
    ring: Slug.describe("Rollout ring from _defaults.yaml; caps the migration version this tenant receives."),
  }),
  settings: JsonObject.optional().describe("Overrides deep-merged over the inherited settings."),
  lifecycle: z.strictObject({
    deletion_protection: z.boolean().describe("true: the tenant cannot be deleted until this is set to false."),
    on_delete: z.enum(ON_DELETE).describe("retain: keep data; backup: back up, then delete; delete: delete without backup."),
  }),
  hooks: Hooks.optional().describe("Webhook URLs called on lifecycle events, besides those in _defaults.yaml."),
  backup: z
    .strictObject({
      retention_days: z.int().min(1).max(3650).describe("Days a backup is kept: each backup run removes older ones, never the latest verified one. Default 30."),
    })
    .optional()
    .describe("Whole-tenant backups (database, objects, configuration, identity): how long they are kept."),
  adopt_retained: z
    .literal(true)
    .optional()
    .describe("The id is listed in _retained.yaml: this tenant takes over the data kept under it, on purpose."),
  adopt: AdoptSchema.optional().describe("Objects that exist already (a tenant running before tenancy): imported instead of created."),
});
export type Tenant = z.infer<typeof TenantSchema>;

/** Dot path into settings, such as `branding` or `features.sso`. */
const SettingsPath = z.string().regex(/^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/, {
  message: "expected a dot path into settings, such as branding.primary_color",
});

/** The highest limits.max_file_bytes _defaults.yaml may set. */
export const MAX_FILE_BYTES_LIMIT = 1048576;

export const DefaultsSchema = z.strictObject({
  tenant: z.record(z.string(), z.unknown()).describe("Values for every tenant field a tenant file leaves out."),
  settings: JsonObject.default({}).describe("Catalog-wide settings; only the keys listed in inherit reach tenants."),
  inherit: distinct(z.array(SettingsPath)).default([]).describe("Which settings keys tenants inherit."),
  plans: distinct(z.array(Slug).min(1)),
  // Leaving the list out must not open the platform's own host names to tenants: the default
  // reserves the usual ones; a catalog that lists its own replaces it.
  reserved_subdomains: distinct(z.array(Subdomain))
    .default(["www", "api", "admin", "app", "auth", "login", "mail", "status"])
    .describe("Subdomains no tenant may take; replaces the default list when given."),
  rollout: z.strictObject({
    rings: z
      .record(Slug, z.int().min(0))
      .describe("Ring name -> highest migration version a tenant of that ring may receive."),
  }),
  access: z.strictObject({
    admin_role: Slug.describe("Role given to the admins of every tenant."),
    default_roles: distinct(z.array(Slug)).default([]).describe("Roles every organization is granted."),
  }),
  hooks: Hooks.optional(),
  limits: z
    .strictObject({
      max_depth: z.int().min(1).max(10).default(3).describe("Deepest tenant hierarchy allowed."),
      max_file_bytes: z.int().min(1024).max(MAX_FILE_BYTES_LIMIT).default(65536),
    })
    .default({ max_depth: 3, max_file_bytes: 65536 }),
  cells: z
    .strictObject({
      resource_budget: z
        .int()
        .min(1)
        .max(100000)
        .describe("Estimated resources one stack (cell) should hold at most; `tenancy cells` warns past it. Default 2000."),
    })
    .optional(),
});
export type Defaults = z.infer<typeof DefaultsSchema>;

const ResourceServerIdentifier = z.string().regex(/^(https:\/\/|urn:)[^\s]{1,200}$/, {
  message: "expected an API identifier such as https://api.example.com or urn:example:api",
});
const ScopeName = z.string().regex(/^[A-Za-z0-9:._-]{1,100}$/, {
  message: "expected a scope such as read:invoices",
});

export const ControlPlaneSchema = z.strictObject({
  resource_servers: z.array(
    z.strictObject({
      identifier: ResourceServerIdentifier,
      name: DisplayName(200),
      scopes: z.array(z.strictObject({ value: ScopeName, description: z.string().max(500).default("") })).default([]),
    }),
  ),
  roles: z.array(
    z.strictObject({
      name: Slug,
      description: z.string().max(500).default(""),
      permissions: z
        .array(z.strictObject({ resource_server: ResourceServerIdentifier, scopes: distinct(z.array(ScopeName).min(1)) }))
        .default([]),
    }),
  ),
});
export type ControlPlane = z.infer<typeof ControlPlaneSchema>;

/**
 * `_retained.yaml`: ids whose data was kept when their tenant left (`lifecycle.on_delete: retain`).
 * While an id is listed, no new tenant may take it unless it sets `adopt_retained: true`.
 */
export const RetainedSchema = z.strictObject({
  retained: z
    .array(
      z.strictObject({
        id: TenantId,
        since: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { message: "expected the date the tenant left, such as 2026-05-01" }),
        note: z.string().max(500).optional().describe("What is kept: database, schema or rows, bucket or prefix."),
      }),
    )
    .default([]),
});
export type Retained = z.infer<typeof RetainedSchema>;

/**
 * `_cells.yaml`: the cells (each deployed by the Pulumi stack of its name) and the database servers
 * a tenant may name. A tenant in a cell or on a server not declared here is refused.
 */
export const CellsSchema = z.strictObject({
  cells: z
    .record(
      Slug,
      z.strictObject({
        regions: distinct(z.array(Region).min(1)).describe("The regions whose tenants this cell holds; `tenancy new` places a tenant in a cell of its region."),
        resource_budget: z.int().min(1).max(100000).optional().describe("Estimated resources the cell's stack should hold at most; validate warns past it (fails with --strict)."),
        description: z.string().max(500).optional(),
      }),
    )
    .describe("Cell name (= stack name) -> where it runs and how big it may grow."),
  database_servers: z
    .record(Slug, z.strictObject({ description: z.string().max(500).optional() }).nullable())
    .describe("Server name -> a description; each cell's stack configures the servers its tenants use (tenancy:databaseServers)."),
});
export type Cells = z.infer<typeof CellsSchema>;
