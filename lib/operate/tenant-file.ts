// The tenant file `tenancy restore` writes from a backup's configuration: the tenant as it was, to
// bring an offboarded tenant back, or a clone of it under a new id. Everything is written explicitly
// (its effective settings included), so the tenant is provisioned as it was whatever `_defaults.yaml`
// says now; webhook URLs that `_defaults.yaml` adds anyway are left out, or they would be called twice.
// A clone gets no subdomain and no custom domains of its source (both must be unique): its own
// subdomain defaults to its id. The file is validated with the catalog in memory before it is written.
import { existsSync, writeFileSync } from "node:fs";
import { join, posix } from "node:path";
import { stringify } from "yaml";
import { formatError, loadCatalog, readCatalogDir, TenantSchema, type Catalog } from "../catalog";
import type { BackupConfiguration } from "../lifecycle/places";
import { CATALOG_DIR } from "../naming";

/** Keys of a resolved tenant that are not the tenant's to declare again (the catalog derives or refuses them). */
const NOT_COPIED = new Set(["adopt", "adopt_retained", "domains", "hooks"]);

export function tenantFileFields(configuration: BackupConfiguration, id: string, catalog: Catalog): Record<string, unknown> {
  const source = configuration.tenant as unknown as Record<string, unknown>;
  const clone = id !== source.id;
  const fields: Record<string, unknown> = { id };
  for (const key of Object.keys(TenantSchema.shape)) {
    if (key === "id" || NOT_COPIED.has(key) || source[key] === undefined || source[key] === null) continue;
    fields[key] = source[key];
  }
  const domains = configuration.tenant.domains;
  if (!clone) fields.domains = { subdomain: domains.subdomain, ...(domains.custom.length > 0 ? { custom: domains.custom } : {}) };
  const hooks = Object.fromEntries(
    Object.entries(configuration.tenant.hooks)
      .map(([event, urls]) => [event, urls.filter((url) => !(catalog.defaults.hooks?.[event as keyof typeof configuration.tenant.hooks] ?? []).includes(url))] as const)
      .filter(([, urls]) => urls.length > 0),
  );
  if (Object.keys(hooks).length > 0) fields.hooks = hooks;
  return fields;
}

/**
 * Writes tenants/<id>.yaml from the configuration; refuses an existing file or one that would not
 * validate, with the catalog's own messages. Returns the path written.
 */
export function writeTenantFile(configuration: BackupConfiguration, id: string, note: string, cwd = process.cwd()): string {
  const dir = join(cwd, CATALOG_DIR);
  const path = join(dir, `${id}.yaml`);
  if (existsSync(path)) throw new Error(`${CATALOG_DIR}/${id}.yaml exists already; nothing was written`);
  const files = readCatalogDir(CATALOG_DIR, cwd);
  const before = loadCatalog(files, CATALOG_DIR);
  if (!before.ok) throw new Error(`the catalog is invalid already; fix it first:\n${before.errors.map(formatError).join("\n")}`);
  const comments = note.split("\n").map((l) => `# ${l}`).join("\n");
  const text = `# yaml-language-server: $schema=./tenant.schema.json\n${comments}\n${stringify(tenantFileFields(configuration, id, before.catalog))}`;
  const after = loadCatalog([...files, { name: `${id}.yaml`, path: posix.join(CATALOG_DIR, `${id}.yaml`), text }], CATALOG_DIR);
  if (!after.ok) throw new Error(`not written; the tenant file would not validate:\n${after.errors.map(formatError).join("\n")}`);
  writeFileSync(path, text, { flag: "wx" });
  return posix.join(CATALOG_DIR, `${id}.yaml`);
}
