-- The tenant's profile: one row per tenant, written by the TenantSeed provider.
-- Every table carries tenant_id defaulting to current_tenant_id() so the same file works in all
-- isolation modes (the runner defines that function per target; in shared mode it maps the
-- connected role to its tenant and row-level security keys on it).
CREATE TABLE tenant_profile (
  tenant_id text PRIMARY KEY DEFAULT current_tenant_id(),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  friendly_name text NOT NULL CHECK (length(friendly_name) BETWEEN 1 AND 100),
  settings jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(settings) = 'object'),
  updated_at timestamptz NOT NULL DEFAULT now()
);
