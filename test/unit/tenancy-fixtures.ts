// Inputs shared by the component and program tests: the example stack config, and catalogs built
// from the example catalog's _defaults.yaml and _control-plane.yaml plus tenant documents.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { loadCatalog, readCatalogDir, type Catalog, type CatalogFile } from "../../lib/catalog";
import { parseTenancyConfig, rawConfigFromStackFile, type RawConfig, type TenancyConfig } from "../../lib/config";

export const ROOT = join(__dirname, "..", "..");
export const EXAMPLE_TENANTS = join(ROOT, "tenants");

/** The raw values of Pulumi.example.yaml, secure values as their placeholders. */
export function exampleRawConfig(overrides: RawConfig = {}): RawConfig {
  return { ...rawConfigFromStackFile(readFileSync(join(ROOT, "Pulumi.example.yaml"), "utf8")), ...overrides };
}

export function exampleConfig(overrides: RawConfig = {}): TenancyConfig {
  return parseTenancyConfig(exampleRawConfig(overrides));
}

function mustLoad(files: CatalogFile[]): Catalog {
  const loaded = loadCatalog(files);
  if (!loaded.ok) throw new Error(`fixture catalog invalid: ${JSON.stringify(loaded.errors, null, 1)}`);
  return loaded.catalog;
}

export function exampleCatalog(): Catalog {
  return mustLoad(readCatalogDir(EXAMPLE_TENANTS));
}

/**
 * A catalog of the example's catalog-wide files and the given tenant documents (id -> fields); its
 * _cells.yaml also declares the cells and servers those documents name, with every region.
 */
export function catalogOf(tenants: Record<string, Record<string, unknown>>): Catalog {
  const named = (pick: (doc: Record<string, any>) => unknown) => Object.values(tenants).map(pick).filter((v): v is string => typeof v === "string");
  const cells = ["default", ...named((d) => d.cell)];
  const servers = ["main", ...named((d) => d.database?.server)];
  const regions = ["eu-west-1", "eu-central-1", "us-east-1", ...named((d) => d.region)];
  const declarations = stringify({
    cells: Object.fromEntries(cells.map((c) => [c, { regions: [...new Set(regions)] }])),
    database_servers: Object.fromEntries(servers.map((s) => [s, null])),
  });
  const shared = readCatalogDir(EXAMPLE_TENANTS)
    .filter((f) => f.name.startsWith("_"))
    .map((f) => (f.name === "_cells.yaml" ? { ...f, text: declarations } : f));
  const files = Object.entries(tenants).map(([id, doc]) => ({
    name: `${id}.yaml`,
    path: `tenants/${id}.yaml`,
    text: stringify({ id, name: id.toUpperCase(), ...doc }),
  }));
  return mustLoad([...shared, ...files]);
}
