// `adopt:` of a tenant that runs already (docs/runbooks.md, "Adopting an existing tenant"): what it
// may say, given the tenant. Each rule keeps an adoption from doing harm the engine would not stop:
// - database and schema carry tenancy's names (lib/naming.ts): the migration runner, the backups,
//   restores and the suspension find a tenant's tables by them. PostgreSQL renames both in place
//   (ALTER DATABASE / ALTER SCHEMA ... RENAME TO), so the runbook renames before adopting; an S3
//   bucket cannot be renamed, so a bucket (and an organization, whose name logins carry) keeps its own.
// - each object belongs to the isolation or storage mode that has it: a schema-mode tenant has no
//   database of its own to adopt, a prefix tenant no bucket.
// - migration_version says what the tables are at, and no higher than the tenant's ring allows: the
//   runner would otherwise lower the tenant to its ring at once, running down migrations that drop
//   the adopted tables.
import type { CatalogError } from "./errors";
import type { Catalog, CatalogFile } from "./load";
import { has, locate, parseYamlFile, type ParsedFile } from "./parse";
import type { Defaults, Tenant } from "./schema";
import { naming } from "../naming";

const RUNBOOK = 'docs/runbooks.md, "Adopting an existing tenant"';

/** Every problem with the `adopt:` of each tenant, located at its key. */
export function checkAdoptions(tenants: readonly { tenant: Tenant; parsed: ParsedFile }[], defaults: Defaults, errors: CatalogError[]): void {
  for (const { tenant, parsed } of tenants) {
    const adopt = tenant.adopt;
    if (!adopt) continue;
    const at = (key: keyof NonNullable<Tenant["adopt"]>, message: string) =>
      errors.push({ file: parsed.file, ...locate(parsed, ["adopt", key]), path: `adopt.${key}`, message });
    const isolation = tenant.database.isolation;

    if (adopt.database !== undefined) {
      if (isolation !== "database") at("database", `only a tenant with a database of its own (database.isolation: database) adopts one; this one has isolation ${isolation}`);
      else if (adopt.database !== naming.database(tenant.id)) {
        at("database", `the tenant's database is found by its name ${naming.database(tenant.id)}: rename ${adopt.database} first (ALTER DATABASE ${adopt.database} RENAME TO ${naming.database(tenant.id)}; ${RUNBOOK})`);
      }
    }
    if (adopt.schema !== undefined) {
      if (isolation === "shared") at("schema", "a shared tenant's rows live in the server's shared schema; there is no schema of its own to adopt");
      else if (adopt.schema !== naming.schema(tenant.id)) {
        at("schema", `the tenant's tables are found in schema ${naming.schema(tenant.id)}: rename ${adopt.schema} first (ALTER SCHEMA ${adopt.schema} RENAME TO ${naming.schema(tenant.id)}; ${RUNBOOK})`);
      }
    }
    if (adopt.migration_version !== undefined) {
      const cap = defaults.rollout.rings[tenant.rollout.ring];
      if (adopt.schema === undefined) at("migration_version", "says what an adopted schema's tables are at: adopt the schema too (adopt.schema)");
      else if (cap !== undefined && adopt.migration_version > cap) {
        at("migration_version", `ring ${tenant.rollout.ring} caps this tenant at migration ${cap}; adopted at ${adopt.migration_version}, it would be lowered at once, its down migrations dropping adopted tables: put it in a ring that allows ${adopt.migration_version}`);
      }
    }
    if (adopt.bucket !== undefined && tenant.storage.mode !== "bucket") {
      at("bucket", `only a tenant with a bucket of its own (storage.mode: bucket) adopts one; this one keeps its objects under a prefix of the cell's shared bucket`);
    }
  }
}

/**
 * `validate --base`: an adopted bucket or organization is found by the name in `adopt:` for as long
 * as the tenant lives. Changing, adding or removing it for a tenant the base already has would make
 * the stack look for another bucket (replacing the bucket it holds: a deletion) or organization
 * (refused as a tenant move at deploy time). Refused here, at the tenant's line, before anything runs.
 */
export function checkAdoptionChanges(base: Catalog, head: Catalog, files: readonly CatalogFile[]): CatalogError[] {
  const before = new Map(base.tenants.map((t) => [t.id, t]));
  const errors: CatalogError[] = [];
  for (const t of head.tenants) {
    const old = before.get(t.id);
    if (!old) continue;
    for (const key of ["bucket", "organization"] as const) {
      const was = old.adopt?.[key];
      const is = t.adopt?.[key];
      if (was === is) continue;
      const file = files.find((f) => f.path === t.source);
      const result = file ? parseYamlFile(file.path, file.text, file.text.length + 1) : undefined;
      const parsed = result?.ok ? result.parsed : undefined;
      const path = parsed && has(parsed, ["adopt", key]) ? ["adopt", key] : parsed && has(parsed, ["adopt"]) ? ["adopt"] : undefined;
      const where = parsed && path ? locate(parsed, path) : { line: 1, col: 1 };
      const what = key === "bucket" ? "its bucket" : "its organization";
      const then = key === "bucket" ? "the stack would replace the bucket it holds (deleting it) with" : "the stack would look for";
      errors.push({
        file: t.source,
        ...where,
        path: `adopt.${key}`,
        message:
          `tenant ${t.id} was deployed with adopt.${key} ${was === undefined ? "unset" : JSON.stringify(was)}, now ${is === undefined ? "unset" : JSON.stringify(is)}: ` +
          `${what} is found by that name for as long as the tenant lives, and ${then} another; keep it as it was (${RUNBOOK})`,
      });
    }
  }
  return errors;
}
