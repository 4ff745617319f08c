// Small catalogs built in memory for the cell tests.
import { loadCatalog, type Catalog, type CatalogFile } from "../../../lib/catalog";

export const DEFAULTS = `tenant:
  status: active
  plan: starter
  cell: default
  region: eu-west-1
  database: { isolation: shared, server: main }
  storage: { mode: prefix, versioning: false, noncurrent_days: 30 }
  access: { admins: [], roles: [] }
  rollout: { ring: stable }
  lifecycle: { deletion_protection: false, on_delete: backup }
plans: [starter, pro]
rollout:
  rings: { canary: 2, stable: 1 }
access:
  admin_role: tenant-admin
`;

/** The cells and servers the cell tests place tenants in (a catalog declares them in _cells.yaml). */
export const CELLS = `cells:
  default: { regions: [eu-west-1, us-east-1] }
  eu-1: { regions: [eu-west-1] }
  eu-2: { regions: [eu-west-1] }
  eu-3: { regions: [eu-west-1] }
  eu-9: { regions: [eu-west-1] }
database_servers:
  main:
`;

/** A tenant file: `extra` lines go after id and name. */
export function tenantText(id: string, ...extra: string[]): string {
  return [`id: ${id}`, `name: ${id} inc`, ...extra, ""].join("\n");
}

/** The catalog files of `texts`; one that gives `_defaults.yaml` but no `_cells.yaml` gets CELLS. */
export function files(texts: Record<string, string>, dir = "tenants"): CatalogFile[] {
  const all = "_defaults.yaml" in texts && !("_cells.yaml" in texts) ? { "_cells.yaml": CELLS, ...texts } : texts;
  return Object.entries(all).map(([name, text]) => ({ name, path: `${dir}/${name}`, text }));
}

export function catalogOf(texts: Record<string, string>): Catalog {
  const result = loadCatalog(files(texts));
  if (!result.ok) throw new Error(`fixture catalog invalid: ${JSON.stringify(result.errors)}`);
  return result.catalog;
}
