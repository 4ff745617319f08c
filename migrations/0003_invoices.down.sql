-- tenancy:destructive the down of 0003: invoices exist only from 0003 on, and lowering a tenant is acknowledged in its plan
DROP TABLE invoices;
