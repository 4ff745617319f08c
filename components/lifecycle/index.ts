export { TenantBackup, tenantBackupArgs } from "./backup";
export { TenantMove, tenantMoveArgs } from "./move";
export { DeletedHook, deletedHookArgs, hookTenant, LifecycleHook, lifecycleHookArgs } from "./hooks";
