// The catalog as a whole: every file parsed and validated, then the cross-file rules, then each
// tenant resolved against `_defaults.yaml`. Every error is collected; nothing is half-loaded.
import type { z } from "zod";
import { didYouMean, formatPath, sortErrors, type CatalogError } from "./errors";
import { isTenantId } from "./formats";
import { issuesToErrors, type Origin } from "./issues";
import { has, locate, parseYamlFile, type ParsedFile } from "./parse";
import {
  ControlPlaneSchema,
  DefaultsSchema,
  HOOK_EVENTS,
  MAX_FILE_BYTES_LIMIT,
  TenantSchema,
  type ControlPlane,
  type Defaults,
  type Tenant,
} from "./schema";
import { checkRetainedIds, parseRetained, RETAINED_FILE, type RetainedEntry } from "./retained";
import { CELLS_FILE, checkCellRegions, impliedDeclarations, parseCells, undeclared, type Declarations } from "./cells";
import { checkAdoptions } from "./adopt";
import { deepMerge, effectiveSettings, unmatchedPath, type JsonObject } from "./settings";

export const DEFAULTS_FILE = "_defaults.yaml";
export const CONTROL_PLANE_FILE = "_control-plane.yaml";
/** Files no tenant file may be: the editor schema and anything that is not YAML are not read. */
const TENANT_FILE = /\.yaml$/;
/** Size limit before `_defaults.yaml` is read (it may raise or lower the limit for tenant files). */
const CATALOG_FILE_MAX_BYTES = 262144;
/**
 * Keys `_defaults.yaml` may not set under `tenant:`: they identify one tenant, or (settings) inherit
 * by their own rules, or (adopt_retained, adopt) must be said of one tenant on purpose.
 */
export const PER_TENANT_KEYS = ["id", "name", "friendly_name", "parent", "settings", "adopt_retained", "adopt"];
/** The catalog-wide files; any other file starting with "_" is refused. */
const CATALOG_WIDE_FILES = [DEFAULTS_FILE, CONTROL_PLANE_FILE, CELLS_FILE, RETAINED_FILE];

export type HookEvent = (typeof HOOK_EVENTS)[number];

/** A tenant with every default applied and every derived value computed. */
export interface ResolvedTenant extends Omit<Tenant, "friendly_name" | "parent" | "domains" | "settings" | "hooks"> {
  friendly_name: string;
  parent: string | null;
  /** 0 for a top-level tenant. */
  depth: number;
  domains: { subdomain: string; custom: string[] };
  /** Effective settings: inherited defaults, then the parent's, then the tenant's own. */
  settings: JsonObject;
  hooks: Record<HookEvent, string[]>;
  /** Highest migration version the tenant's rollout ring allows. */
  max_migration: number;
  /** Where the tenant was declared, for messages. */
  source: string;
}

export interface Catalog {
  defaults: Defaults;
  controlPlane: ControlPlane;
  /** Ids whose data is retained (`_retained.yaml`): no new tenant takes them without adopting it. */
  retained: RetainedEntry[];
  /** The cells and database servers tenants may name (`_cells.yaml`). */
  declarations: Declarations;
  /** Sorted by id, whatever order the files were listed in. */
  tenants: ResolvedTenant[];
}

export interface CatalogFile {
  /** Path as shown in messages, such as `tenants/acme.yaml`. */
  path: string;
  /** File name inside the catalog directory, such as `acme.yaml`. */
  name: string;
  text: string;
  /** A symbolic link, never read (sources.ts): refused. */
  symlink?: boolean;
}

export type LoadResult = { ok: true; catalog: Catalog } | { ok: false; errors: CatalogError[] };

export interface LoadOptions {
  /**
   * The catalog was read at a git ref (the base of a comparison): one from before `_cells.yaml`
   * existed is taken with the declarations its tenants imply, so it can still be compared with.
   */
  atRef?: boolean;
}

export function loadCatalog(files: readonly CatalogFile[], dirLabel = "tenants", options: LoadOptions = {}): LoadResult {
  const errors: CatalogError[] = [];
  const fileError = (file: string, message: string, line = 1, col = 1, path = "") =>
    errors.push({ file, line, col, path, message });
  // Where a link points is not read and not told: the link alone is the error.
  for (const f of files) if (f.symlink) fileError(f.path, "refused: a symbolic link; catalog files must be plain files of the repository");
  const sorted = files.filter((f) => !f.symlink).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const defaultsFile = sorted.find((f) => f.name === DEFAULTS_FILE);
  const controlPlaneFile = sorted.find((f) => f.name === CONTROL_PLANE_FILE);
  for (const f of sorted) {
    if (f.name.startsWith("_") && !CATALOG_WIDE_FILES.includes(f.name) && TENANT_FILE.test(f.name)) {
      fileError(f.path, `unknown catalog-wide file; files starting with "_" are ${CATALOG_WIDE_FILES.slice(0, -1).join(", ")} and ${CATALOG_WIDE_FILES.at(-1)}`);
    }
    if (f.name.endsWith(".yml")) fileError(f.path, `tenant files end in .yaml; rename it to ${f.name.replace(/\.yml$/, ".yaml")}`);
  }
  if (!defaultsFile) {
    fileError(`${dirLabel}/${DEFAULTS_FILE}`, "missing: the catalog needs a _defaults.yaml with plans, rollout rings and tenant defaults");
    return { ok: false, errors: sortErrors(errors) };
  }

  const defaults = parseDefaults(defaultsFile, errors);
  const controlPlane = controlPlaneFile ? parseControlPlane(controlPlaneFile, errors) : { resource_servers: [], roles: [] };
  const retained = parseRetained(sorted.find((f) => f.name === RETAINED_FILE), errors);
  const cellsFile = sorted.find((f) => f.name === CELLS_FILE);
  // Undefined while implied (a catalog at a ref from before _cells.yaml): nothing to check against.
  const declared = cellsFile || !options.atRef ? parseCells(cellsFile, `${dirLabel}/${CELLS_FILE}`, errors) : undefined;
  const tenantFiles = sorted.filter((f) => TENANT_FILE.test(f.name) && !f.name.startsWith("_"));
  if (!defaults) {
    // The tenant files cannot be validated without their defaults, but their YAML can be read, so
    // syntax errors show up in the same run. The configured size limit is unknown: use the highest allowed.
    for (const f of tenantFiles) {
      const result = parseYamlFile(f.path, f.text, MAX_FILE_BYTES_LIMIT, `the highest limits.max_file_bytes allowed`);
      if (!result.ok) errors.push(...result.errors);
    }
    return { ok: false, errors: sortErrors(errors) };
  }
  // With a broken _control-plane.yaml the tenants are still checked, all but their roles.
  const roles = controlPlane?.roles.map((r) => r.name);
  checkReferences(referencesOf(defaults.value.tenant), defaults.parsed, ["tenant"], defaults.value, roles, declared, errors);
  if (controlPlaneFile && roles) checkDefaultRoles(defaults.parsed, defaults.value, roles, errors);

  const parsedTenants: { tenant: Tenant; parsed: ParsedFile }[] = [];
  for (const f of tenantFiles) {
    const result = parseYamlFile(f.path, f.text, defaults.value.limits.max_file_bytes, `limits.max_file_bytes in ${DEFAULTS_FILE}`);
    if (!result.ok) {
      errors.push(...result.errors);
      continue;
    }
    const before = errors.length;
    const tenant = validateTenant(result.parsed, defaults.parsed, defaults.value, errors);
    // Plan, ring and roles are checked even in a file with other errors, so one run shows them all;
    // a value the schema already refused is not reported twice.
    const refused = new Set(errors.slice(before).map((e) => e.path));
    checkReferences(referencesOf(result.parsed.value), result.parsed, [], defaults.value, roles, declared, errors, refused);
    if (!tenant) continue;
    const expectedName = `${tenant.id}.yaml`;
    if (f.name !== expectedName) {
      const pos = locate(result.parsed, ["id"]);
      const fromName = f.name.replace(TENANT_FILE, "");
      const fix = isTenantId(fromName) ? `rename the file to ${expectedName} or set id: ${fromName}` : `rename the file to ${expectedName}`;
      fileError(f.path, `"${tenant.id}" does not match the file name ${f.name}; ${fix}`, pos.line, pos.col, "id");
      continue;
    }
    parsedTenants.push({ tenant, parsed: result.parsed });
  }

  checkUniqueness(parsedTenants, defaults.value, errors);
  if (declared) checkCellRegions(parsedTenants, declared, defaults.parsed, errors);
  checkAdoptions(parsedTenants, defaults.value, errors);
  if (retained) checkRetainedIds(parsedTenants, retained, errors);
  // Parents are looked up among all tenant files, valid or not, so one bad parent file is not also
  // reported as a missing parent in each of its children.
  const tenantIds = new Set(tenantFiles.map((f) => f.name.replace(TENANT_FILE, "")));
  const depths = checkHierarchy(parsedTenants, tenantIds, defaults.value, errors);
  // A broken _control-plane.yaml, _retained.yaml or _cells.yaml has always reported an error by now.
  const declarations = declared ?? (options.atRef && !cellsFile ? impliedDeclarations(parsedTenants.map((p) => p.tenant)) : undefined);
  if (errors.length > 0 || !controlPlane || !retained || !declarations) return { ok: false, errors: sortErrors(errors) };

  const tenants = resolveAll(parsedTenants, defaults.value, depths);
  return { ok: true, catalog: { defaults: defaults.value, controlPlane, retained: retained.entries, declarations, tenants } };
}

/** A catalog-wide file parsed and checked against its schema; undefined (with errors pushed) when it is not valid. */
function parseCatalogWide<T>(file: CatalogFile, schema: z.ZodType<T>, errors: CatalogError[]): { data: T; parsed: ParsedFile } | undefined {
  const result = parseYamlFile(file.path, file.text, CATALOG_FILE_MAX_BYTES);
  if (!result.ok) {
    errors.push(...result.errors);
    return undefined;
  }
  const parsed = result.parsed;
  const check = schema.safeParse(parsed.value, { reportInput: true });
  if (!check.success) {
    errors.push(...issuesToErrors(schema, check.error.issues, [{ parsed, prefix: [] }]));
    return undefined;
  }
  return { data: check.data, parsed };
}

function parseDefaults(file: CatalogFile, errors: CatalogError[]): { value: Defaults; parsed: ParsedFile } | undefined {
  const valid = parseCatalogWide(file, DefaultsSchema, errors);
  if (!valid) return undefined;
  const { parsed, data: defaults } = valid;
  const before = errors.length;
  for (const key of PER_TENANT_KEYS) {
    if (Object.hasOwn(defaults.tenant, key)) {
      const pos = locate(parsed, ["tenant"], key);
      errors.push({ file: file.path, line: pos.line, col: pos.col, path: `tenant.${key}`, message: `"${key}" is set per tenant, not in _defaults.yaml${key === "settings" ? "; use the top-level settings and inherit keys" : ""}` });
    }
  }
  // The defaults are checked on their own, through an example tenant, so that a typo in them is
  // reported once at its line rather than once per tenant, and even in a catalog with no tenants.
  validateTenant({ ...parsed, value: { id: "example", name: "Example" } }, parsed, defaults, errors, true);
  // An inherit entry that names no setting would silently hand down nothing: most likely a typo.
  defaults.inherit.forEach((path, i) => {
    const miss = unmatchedPath(defaults.settings as JsonObject, path);
    if (!miss) return;
    const near = [...miss.matched, miss.missing].join(".");
    const suggestion = didYouMean(near, miss.available.map((k) => [...miss.matched, k].join(".")));
    errors.push({ file: file.path, ...locate(parsed, ["inherit", i]), path: `inherit[${i}]`, message: `no setting "${path}" in settings${suggestion}` });
  });
  if (Object.keys(defaults.rollout.rings).length === 0) {
    errors.push({ file: file.path, ...locate(parsed, ["rollout", "rings"]), path: "rollout.rings", message: "expected at least one ring, got none" });
  }
  return errors.length > before ? undefined : { value: defaults, parsed };
}

function parseControlPlane(file: CatalogFile, errors: CatalogError[]): ControlPlane | undefined {
  const valid = parseCatalogWide(file, ControlPlaneSchema, errors);
  if (!valid) return undefined;
  const { parsed, data: cp } = valid;
  const before = errors.length;
  const at = (path: PropertyKey[], pathText: string, message: string) =>
    errors.push({ file: file.path, ...locate(parsed, path), path: pathText, message });
  const servers = new Map<string, Set<string>>();
  const firstServer = new Map<string, number>();
  cp.resource_servers.forEach((rs, i) => {
    const first = firstServer.get(rs.identifier);
    if (first !== undefined) at(["resource_servers", i, "identifier"], `resource_servers[${i}].identifier`, `duplicate identifier "${rs.identifier}" (also resource_servers[${first}])`);
    else firstServer.set(rs.identifier, i);
    servers.set(rs.identifier, new Set([...(servers.get(rs.identifier) ?? []), ...rs.scopes.map((s) => s.value)]));
  });
  const firstRole = new Map<string, number>();
  cp.roles.forEach((role, i) => {
    const first = firstRole.get(role.name);
    if (first !== undefined) at(["roles", i, "name"], `roles[${i}].name`, `duplicate role "${role.name}" (also roles[${first}])`);
    else firstRole.set(role.name, i);
    role.permissions.forEach((perm, j) => {
      const scopes = servers.get(perm.resource_server);
      if (!scopes) {
        at(["roles", i, "permissions", j, "resource_server"], `roles[${i}].permissions[${j}].resource_server`, `no resource server "${perm.resource_server}" is declared${didYouMean(perm.resource_server, [...servers.keys()])}`);
        return;
      }
      perm.scopes.forEach((scope, k) => {
        if (!scopes.has(scope)) at(["roles", i, "permissions", j, "scopes", k], `roles[${i}].permissions[${j}].scopes[${k}]`, `resource server "${perm.resource_server}" has no scope "${scope}"${didYouMean(scope, [...scopes])}`);
      });
    });
  });
  return errors.length > before ? undefined : cp;
}

/** Validates one tenant file merged over the defaults; errors point at whichever file holds the bad value. */
function validateTenant(parsed: ParsedFile, defaultsParsed: ParsedFile, defaults: Defaults, errors: CatalogError[], probing = false): Tenant | undefined {
  const own = parsed.value as Record<string, unknown>;
  const { settings, ...rest } = own;
  const merged: Record<string, unknown> = { ...deepMerge(defaults.tenant as JsonObject, rest as JsonObject) };
  if (settings !== undefined) merged.settings = settings;
  // An explicit null parent means "no parent"; deepMerge drops nulls, which keeps that meaning.
  const check = TenantSchema.safeParse(merged, { reportInput: true });
  if (check.success) return check.data;
  const origins: Origin[] = probing
    ? [{ parsed: defaultsParsed, prefix: ["tenant"] }]
    : [{ parsed, prefix: [] }, { parsed: defaultsParsed, prefix: ["tenant"] }];
  const found = issuesToErrors(TenantSchema, check.error.issues, origins);
  // While probing the defaults, a field they leave out is not yet an error: a tenant file may set it.
  if (probing) errors.push(...found.filter((e) => !e.message.startsWith("missing")));
  else {
    for (const e of found) {
      const top = e.path.split(/[.[]/)[0];
      const either = e.message.startsWith("missing") && !PER_TENANT_KEYS.includes(top);
      errors.push(either ? { ...e, message: `${e.message} here or under tenant: in ${DEFAULTS_FILE}` } : e);
    }
  }
  return undefined;
}

/**
 * Plan, ring, roles, cell and server must exist. Only values written in `parsed` (under `prefix`)
 * are checked, so a bad value in the defaults' tenant section is reported once, in _defaults.yaml,
 * not once per tenant. `roles` is undefined when _control-plane.yaml is broken, `declared` when
 * _cells.yaml is (or, in a catalog at an older ref, does not exist).
 */
function checkReferences(
  refs: References,
  parsed: ParsedFile,
  prefix: PropertyKey[],
  defaults: Defaults,
  roles: string[] | undefined,
  declared: Declarations | undefined,
  errors: CatalogError[],
  refused: ReadonlySet<string> = new Set(),
) {
  const at = (path: PropertyKey[], message: string) => {
    const full = [...prefix, ...path];
    const text = formatPath(full);
    if (has(parsed, full) && !refused.has(text)) errors.push({ file: parsed.file, ...locate(parsed, full), path: text, message });
  };
  const rings = Object.keys(defaults.rollout.rings);
  const { plan, ring } = refs;
  if (plan !== undefined && !defaults.plans.includes(plan)) at(["plan"], `unknown plan ${JSON.stringify(plan)}; expected one of ${defaults.plans.join("|")}${didYouMean(plan, defaults.plans)}`);
  if (ring !== undefined && !rings.includes(ring)) at(["rollout", "ring"], `unknown ring ${JSON.stringify(ring)}; expected one of ${rings.join("|")}${didYouMean(ring, rings)}`);
  if (declared && refs.cell !== undefined && !declared.cells.has(refs.cell)) at(["cell"], undeclared("cell", refs.cell, declared.cells.keys()));
  if (declared && refs.server !== undefined && !declared.servers.has(refs.server)) at(["database", "server"], undeclared("database server", refs.server, declared.servers));
  if (!roles) return;
  (refs.roles ?? []).forEach((role, i) => {
    if (role !== undefined && !roles.includes(role)) at(["access", "roles", i], unknownRole(role, roles));
  });
}

interface References {
  plan?: string;
  ring?: string;
  cell?: string;
  server?: string;
  /** Indexed as in the file; an entry that is not text is undefined (the schema reports it). */
  roles?: (string | undefined)[];
}

/** The names a tenant file, or the defaults' tenant section, refers to, taken from the raw document. */
function referencesOf(raw: unknown): References {
  const record = (v: unknown): Record<string, unknown> => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
  const text = (v: unknown) => (typeof v === "string" ? v : undefined);
  const doc = record(raw);
  const roles = record(doc.access).roles;
  return {
    plan: text(doc.plan),
    ring: text(record(doc.rollout).ring),
    cell: text(doc.cell),
    server: text(record(doc.database).server),
    roles: Array.isArray(roles) ? roles.map(text) : undefined,
  };
}

function unknownRole(role: string, roles: string[]): string {
  return `no role ${JSON.stringify(role)} in ${CONTROL_PLANE_FILE}${didYouMean(role, roles)}`;
}

/** The roles every organization gets must be declared on the control plane. */
function checkDefaultRoles(parsed: ParsedFile, defaults: Defaults, roles: string[], errors: CatalogError[]) {
  const at = (path: PropertyKey[], message: string) => errors.push({ file: parsed.file, ...locate(parsed, path), path: formatPath(path), message });
  if (!roles.includes(defaults.access.admin_role)) at(["access", "admin_role"], unknownRole(defaults.access.admin_role, roles));
  defaults.access.default_roles.forEach((role, i) => {
    if (!roles.includes(role)) at(["access", "default_roles", i], unknownRole(role, roles));
  });
}

function checkUniqueness(tenants: { tenant: Tenant; parsed: ParsedFile }[], defaults: Defaults, errors: CatalogError[]) {
  const reserved = new Set(defaults.reserved_subdomains.map((s) => s.toLowerCase()));
  const hosts = new Map<string, { id: string; where: string; path: string }>();
  for (const { tenant, parsed } of tenants) {
    const claim = (host: string, path: PropertyKey[]) => {
      const key = host.toLowerCase();
      const pos = locate(parsed, path);
      const text = formatPath(path);
      const owner = hosts.get(key);
      if (!owner) {
        hosts.set(key, { id: tenant.id, where: `${parsed.file}:${pos.line}:${pos.col}`, path: text });
        return;
      }
      const message =
        owner.id === tenant.id
          ? `"${host}" is listed twice in this tenant (also ${owner.path})`
          : `"${host}" is already used by tenant ${owner.id} (${owner.where} ${owner.path})`;
      errors.push({ file: parsed.file, ...pos, path: text, message });
    };
    const own = tenant.domains?.subdomain;
    const subdomain = own ?? tenant.id;
    const subPath = own ? ["domains", "subdomain"] : ["id"];
    if (reserved.has(subdomain.toLowerCase())) {
      errors.push({ file: parsed.file, ...locate(parsed, subPath), path: formatPath(subPath), message: `subdomain "${subdomain}" is reserved (reserved_subdomains in ${DEFAULTS_FILE}); choose another${own ? "" : " with domains.subdomain"}` });
    }
    claim(subdomain, subPath);
    (tenant.domains?.custom ?? []).forEach((host, i) => claim(host, ["domains", "custom", i]));
  }
}

/**
 * Checks parents exist, form no cycle and nest no deeper than allowed; returns each tenant's depth.
 * Maps, not plain objects, are keyed by ids: an id such as "constructor" must not find Object.prototype.
 */
function checkHierarchy(tenants: { tenant: Tenant; parsed: ParsedFile }[], declared: Set<string>, defaults: Defaults, errors: CatalogError[]): Map<string, number> {
  const parentOf = new Map<string, string | undefined>();
  for (const { tenant } of tenants) parentOf.set(tenant.id, tenant.parent ?? undefined);
  const depths = new Map<string, number>();
  for (const { tenant, parsed } of tenants) {
    const at = (message: string) => errors.push({ file: parsed.file, ...locate(parsed, ["parent"]), path: "parent", message });
    if (!tenant.parent) {
      depths.set(tenant.id, 0);
      continue;
    }
    if (tenant.parent === tenant.id) {
      at("a tenant cannot be its own parent");
      continue;
    }
    if (!parentOf.has(tenant.parent)) {
      if (!declared.has(tenant.parent)) at(`no tenant "${tenant.parent}" in the catalog${didYouMean(tenant.parent, [...declared])}`);
      continue;
    }
    const chain = [tenant.id];
    let current: string | undefined = tenant.parent;
    while (current !== undefined && !chain.includes(current)) {
      chain.push(current);
      current = parentOf.get(current);
    }
    if (current !== undefined) {
      at(`parent cycle: ${[...chain, current].join(" -> ")}`);
      continue;
    }
    const depth = chain.length - 1;
    if (depth > defaults.limits.max_depth) at(`hierarchy is ${depth} levels deep (${chain.join(" -> ")}); the limit is ${defaults.limits.max_depth} (limits.max_depth)`);
    depths.set(tenant.id, depth);
  }
  return depths;
}

function resolveAll(tenants: { tenant: Tenant; parsed: ParsedFile }[], defaults: Defaults, depths: Map<string, number>): ResolvedTenant[] {
  // Parents first, so each child merges over its parent's effective settings.
  const depth = (id: string) => depths.get(id) ?? 0;
  const ordered = [...tenants].sort((a, b) => depth(a.tenant.id) - depth(b.tenant.id) || (a.tenant.id < b.tenant.id ? -1 : 1));
  const settingsOf = new Map<string, JsonObject>();
  const resolved: ResolvedTenant[] = [];
  for (const { tenant, parsed } of ordered) {
    const settings = effectiveSettings(
      defaults.settings as JsonObject,
      defaults.inherit,
      tenant.parent ? settingsOf.get(tenant.parent) : undefined,
      tenant.settings as JsonObject | undefined,
    );
    settingsOf.set(tenant.id, settings);
    const hooks = Object.fromEntries(
      HOOK_EVENTS.map((event) => [event, [...new Set([...(defaults.hooks?.[event] ?? []), ...(tenant.hooks?.[event] ?? [])])]]),
    ) as Record<HookEvent, string[]>;
    resolved.push({
      ...tenant,
      friendly_name: tenant.friendly_name ?? tenant.name,
      parent: tenant.parent ?? null,
      depth: depth(tenant.id),
      domains: { subdomain: tenant.domains?.subdomain ?? tenant.id, custom: tenant.domains?.custom ?? [] },
      settings,
      hooks,
      max_migration: defaults.rollout.rings[tenant.rollout.ring],
      source: parsed.file,
    });
  }
  return resolved.sort((a, b) => (a.id < b.id ? -1 : 1));
}
