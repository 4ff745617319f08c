export * from "./errors";
export * from "./load";
export * from "./schema";
export * from "./settings";
export { checkRetainedRemovals, RETAINED_FILE, type RetainedEntry } from "./retained";
export { readCatalogAtRef, readCatalogDir } from "./sources";
