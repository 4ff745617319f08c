DROP TABLE tenant_profile;
