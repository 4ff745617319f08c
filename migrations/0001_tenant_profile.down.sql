-- tenancy:destructive the down of 0001: tenant_profile exists only from 0001 on, and lowering a tenant is acknowledged in its plan
DROP TABLE tenant_profile;
