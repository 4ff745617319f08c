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

/** A catalog of the example's catalog-wide files and the given tenant documents (id -> fields). */
export function catalogOf(tenants: Record<string, Record<string, unknown>>): Catalog {
  const shared = readCatalogDir(EXAMPLE_TENANTS).filter((f) => f.name.startsWith("_"));
  const files = Object.entries(tenants).map(([id, doc]) => ({
    name: `${id}.yaml`,
    path: `tenants/${id}.yaml`,
    text: stringify({ id, name: id.toUpperCase(), ...doc }),
  }));
  return mustLoad([...shared, ...files]);
}
