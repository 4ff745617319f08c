export { databaseArgProblems, type Isolation, type TenantDatabaseArgs } from "./args";
export { TenantDatabase, type TenantDatabaseOptions } from "./tenantDatabase";
