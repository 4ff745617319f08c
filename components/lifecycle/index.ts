export { TenantBackup, tenantBackupArgs } from "./backup";
export { DeletedHook, deletedHookArgs, hookTenant, LifecycleHook, lifecycleHookArgs } from "./hooks";
