// Lifecycle settings that the program and the engine-side providers must agree on. A leaf: both
// config checks (program side) and the providers' checks (provider host) import it.

/** A tenant's lifecycle.on_delete: back up then delete, delete without a backup, or leave the data in place. */
export const ON_DELETE_MODES = ["backup", "delete", "retain"] as const;
export type OnDelete = (typeof ON_DELETE_MODES)[number];

/** Shortest webhook signing key accepted: stack config and the hook providers both enforce it. */
export const WEBHOOK_SECRET_MIN_LENGTH = 16;

/** Days a backup is kept when neither the tenant nor `_defaults.yaml` sets backup.retention_days. */
export const DEFAULT_BACKUP_RETENTION_DAYS = 30;
