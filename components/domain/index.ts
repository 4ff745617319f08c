export { dnsTarget, domainArgProblems, validationRecord, type TenantDomainArgs } from "./args";
export { TenantDomain, type OwnershipRecord, type TenantDomainOptions } from "./tenantDomain";
