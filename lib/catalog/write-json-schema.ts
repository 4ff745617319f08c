// `npm run schema`: regenerate the editor schemas in the catalog directory.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { catalogJsonSchemas, renderJsonSchema } from "./json-schema";

const dir = process.argv[2] ?? "tenants";
for (const [name, schema] of Object.entries(catalogJsonSchemas())) {
  writeFileSync(join(dir, name), renderJsonSchema(schema));
  console.log(`wrote ${join(dir, name)}`);
}
