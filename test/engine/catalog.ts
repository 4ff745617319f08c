// The tenant catalog the engine tests deploy: one tenant per isolation mode, both storage modes,
// a child tenant, lifecycle webhooks to the test receiver. Tenants are plain objects so a scenario
// can change one field and write the catalog again.
import { stringify } from "yaml";

export type TenantFile = Record<string, unknown> & { id: string };

export const CONTROL_PLANE = {
  resource_servers: [
    {
      identifier: "https://api.e2e.example.com",
      name: "E2E API",
      scopes: [
        { value: "read:projects", description: "Read projects" },
        { value: "write:projects", description: "Change projects" },
      ],
    },
  ],
  roles: [
    { name: "tenant-admin", description: "Administers one tenant", permissions: [{ resource_server: "https://api.e2e.example.com", scopes: ["read:projects", "write:projects"] }] },
    { name: "tenant-member", description: "Everyday use", permissions: [{ resource_server: "https://api.e2e.example.com", scopes: ["read:projects"] }] },
  ],
};

/** `_defaults.yaml`: every tenant in `cell`, region us-east-1 (the S3 server's), stable ring capped at `stableCap`. */
export function defaults(cell: string, rings: { canary: number; stable: number }) {
  return {
    tenant: {
      status: "active",
      plan: "starter",
      cell,
      region: "us-east-1",
      database: { isolation: "shared", server: "main" },
      storage: { mode: "prefix", versioning: false, noncurrent_days: 30 },
      access: { admins: [], roles: [] },
      rollout: { ring: "stable" },
      lifecycle: { deletion_protection: false, on_delete: "backup" },
    },
    settings: { branding: { primary_color: "#2255aa" }, session: { idle_timeout_minutes: 30 } },
    inherit: ["branding", "session.idle_timeout_minutes"],
    plans: ["starter", "pro", "enterprise"],
    rollout: { rings: rings },
    access: { admin_role: "tenant-admin", default_roles: ["tenant-member"] },
  };
}

/** Lifecycle webhooks of a tenant, to the receiver, one path per event so the test can tell them apart. */
export function hooks(receiverUrl: string, id: string) {
  return Object.fromEntries(["created", "updated", "deleting", "deleted"].map((event) => [event, [`${receiverUrl}/${id}/${event}`]]));
}

export interface Catalog {
  defaults: ReturnType<typeof defaults>;
  tenants: TenantFile[];
}

/**
 * `_cells.yaml`: the cells the catalog's tenants name (the defaults' among them), each with every
 * region they use, and every database server they name besides main (a test that sends a tenant to
 * another server is testing the move refusal, not the declaration).
 */
export function cellsFile(catalog: Catalog): string {
  const tenants = [catalog.defaults.tenant, ...catalog.tenants] as { cell?: unknown; region?: unknown; database?: { server?: unknown } }[];
  const cells = new Set(tenants.map((t) => t.cell).filter((c): c is string => typeof c === "string"));
  const regions = [...new Set(tenants.map((t) => t.region).filter((r): r is string => typeof r === "string"))];
  const servers = new Set(["main", ...tenants.map((t) => t.database?.server).filter((s): s is string => typeof s === "string")]);
  return stringify({ cells: Object.fromEntries([...cells].map((cell) => [cell, { regions }])), database_servers: Object.fromEntries([...servers].map((s) => [s, null])) });
}

/** The files of tenants/ for this catalog. */
export function catalogFiles(catalog: Catalog): Record<string, string> {
  const files: Record<string, string> = {
    "_defaults.yaml": stringify(catalog.defaults),
    "_control-plane.yaml": stringify(CONTROL_PLANE),
    "_cells.yaml": cellsFile(catalog),
  };
  for (const t of catalog.tenants) files[`${t.id}.yaml`] = stringify(t);
  return files;
}

/** A copy of the catalog with one tenant changed (or removed, when `change` returns undefined). */
export function withTenant(catalog: Catalog, id: string, change: (t: TenantFile) => TenantFile | undefined): Catalog {
  const tenants = catalog.tenants.flatMap((t) => {
    if (t.id !== id) return [t];
    const changed = change(structuredClone(t));
    return changed ? [changed] : [];
  });
  return { ...catalog, tenants };
}
