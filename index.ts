// The Pulumi program. The catalog is loaded and checked in full before any resource is registered:
// a broken catalog throws with every error and changes nothing.
import { readTenancyConfig } from "./lib/config";
import { CATALOG_DIR } from "./lib/naming";
import { catalogFromDir, registerProgram } from "./lib/program";

const config = readTenancyConfig();
export = registerProgram(catalogFromDir(CATALOG_DIR), config);
