// Ids whose data outlived their tenant. A tenant removed with `lifecycle.on_delete: retain` leaves
// its database (or schema, or rows under its tenant_id), its bucket (or prefix), its role and its
// organization in place, all named after its id (lib/naming.ts). A new tenant given that id would
// be handed all of it: shared rows match its tenant_id at once, a retained bucket is adopted.
//
// So the catalog keeps a registry, `_retained.yaml`, checked with everything else before anything
// is deployed (validate, plan, the program): a listed id may not be taken by a new tenant unless
// its file says `adopt_retained: true` (taking the data over on purpose), and `validate --base`
// refuses a change that removes a retaining tenant without listing it. A registry rather than a
// look at the servers: it covers every kind of data in every isolation mode (the servers cannot
// tell a retained schema from a crashed create's), it needs no credentials, and it is reviewed in
// the pull request like the rest of the catalog. (The servers stay a backstop: a retained role
// makes the Role's create fail.)
import type { CatalogError } from "./errors";
import type { Catalog, CatalogFile } from "./load";
import { locate, parseYamlFile, type ParsedFile } from "./parse";
import { RetainedSchema, type Retained, type Tenant } from "./schema";
import { issuesToErrors } from "./issues";

export const RETAINED_FILE = "_retained.yaml";
/** The registry grows by a few lines per retained tenant: far below this. */
const RETAINED_MAX_BYTES = 262144;

export type RetainedEntry = Retained["retained"][number];

export interface RetainedRegistry {
  entries: RetainedEntry[];
  parsed?: ParsedFile;
}

/** The registry in `file` (none: an empty one); undefined, with errors pushed, when it is not valid. */
export function parseRetained(file: CatalogFile | undefined, errors: CatalogError[]): RetainedRegistry | undefined {
  if (!file) return { entries: [] };
  const result = parseYamlFile(file.path, file.text, RETAINED_MAX_BYTES);
  if (!result.ok) {
    errors.push(...result.errors);
    return undefined;
  }
  const check = RetainedSchema.safeParse(result.parsed.value, { reportInput: true });
  if (!check.success) {
    errors.push(...issuesToErrors(RetainedSchema, check.error.issues, [{ parsed: result.parsed, prefix: [] }]));
    return undefined;
  }
  const entries = check.data.retained;
  const before = errors.length;
  entries.forEach((entry, i) => {
    const first = entries.findIndex((e) => e.id === entry.id);
    if (first !== i) errors.push({ file: file.path, ...locate(result.parsed, ["retained", i, "id"]), path: `retained[${i}].id`, message: `"${entry.id}" is listed twice (also retained[${first}])` });
  });
  return errors.length > before ? undefined : { entries, parsed: result.parsed };
}

/** A new tenant may not take a retained id unless it adopts the data; `adopt_retained` needs a listed id. */
export function checkRetainedIds(tenants: readonly { tenant: Tenant; parsed: ParsedFile }[], registry: RetainedRegistry, errors: CatalogError[]): void {
  for (const { tenant, parsed } of tenants) {
    const index = registry.entries.findIndex((e) => e.id === tenant.id);
    const entry = registry.entries[index];
    if (entry && !tenant.adopt_retained) {
      const where = registry.parsed ? `${registry.parsed.file}:${locate(registry.parsed, ["retained", index, "id"]).line}` : RETAINED_FILE;
      errors.push({
        file: parsed.file,
        ...locate(parsed, ["id"]),
        path: "id",
        message:
          `"${tenant.id}" belongs to a former tenant whose data is retained (${where}, since ${entry.since}): a new tenant with this id ` +
          `would be handed that data. Choose another id, or set adopt_retained: true to take the data over on purpose (SECURITY.md, "Retained ids")`,
      });
    } else if (!entry && tenant.adopt_retained) {
      errors.push({ file: parsed.file, ...locate(parsed, ["adopt_retained"]), path: "adopt_retained", message: `no data is retained under "${tenant.id}" (${RETAINED_FILE}); remove adopt_retained` });
    }
  }
}

/**
 * For `validate --base`: each tenant of `base` that `head` removes while its data is retained
 * (`lifecycle.on_delete: retain`) must be listed in head's registry, so its id is not given again.
 */
export function checkRetainedRemovals(base: Catalog, head: Catalog): CatalogError[] {
  const kept = new Set(head.tenants.map((t) => t.id));
  const listed = new Set(head.retained.map((e) => e.id));
  return base.tenants
    .filter((t) => !kept.has(t.id) && t.lifecycle.on_delete === "retain" && !listed.has(t.id))
    .map((t) => ({
      file: t.source,
      line: 1,
      col: 1,
      path: "",
      message:
        `tenant ${t.id} is removed with lifecycle.on_delete: retain, so its data stays: list it in ${RETAINED_FILE} ` +
        `(- id: ${t.id}, since: <today>) in the same change, so that its id is not given to another tenant`,
    }));
}
