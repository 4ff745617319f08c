-- tenancy:destructive the down of 0002: projects exist only from 0002 on, and lowering a tenant is acknowledged in its plan
DROP TABLE projects;
