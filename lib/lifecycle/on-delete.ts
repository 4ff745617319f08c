// A module of its own because TenantPrefix's provider needs the modes but not TenantBackup's
// provider: a serialized provider carries every export of each module it imports.
export const ON_DELETE_MODES = ["backup", "delete", "retain"] as const;
export type OnDelete = (typeof ON_DELETE_MODES)[number];
