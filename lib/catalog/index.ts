export * from "./errors";
export * from "./load";
export * from "./schema";
export * from "./settings";
export { readCatalogAtRef, readCatalogDir } from "./sources";
