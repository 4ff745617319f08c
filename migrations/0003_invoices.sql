CREATE TABLE invoices (
  tenant_id text NOT NULL DEFAULT current_tenant_id(),
  id bigint GENERATED ALWAYS AS IDENTITY,
  project_id bigint NOT NULL,
  amount_cents bigint NOT NULL CHECK (amount_cents >= 0),
  currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'sent', 'paid', 'void')),
  issued_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  -- The foreign key includes tenant_id, so an invoice can never point at another tenant's project.
  FOREIGN KEY (tenant_id, project_id) REFERENCES projects (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX invoices_status ON invoices (tenant_id, status);
