export { databaseArgProblems, type Isolation, type TenantDatabaseArgs } from "./args";
export { DatabaseServer, type DatabaseServerArgs } from "./server";
export { TenantDatabase, type TenantDatabaseOptions } from "./tenantDatabase";
export { TenantMigrations, TenantPassword, TenantSeed, TenantSuspension, tenantSuspensionArgs, type DatabaseConnectionArgs } from "./resources";
