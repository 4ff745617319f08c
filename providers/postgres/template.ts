// Tenant databases cloned from a migrated template (CREATE DATABASE ... TEMPLATE) instead of
// migrated from empty. Measured by bench:migrations against migrating an empty database: with the
// current three migrations a clone is 1.0-1.7x as fast depending on the machine's load, about 65 ms
// per database (CREATE DATABASE dominates; a clone saves only the migration run). That is not worth
// postgresql.Database's `template` argument, which forces a replacement when it changes, so the
// Pulumi program does not use it; the runner supports clones for when the migration set grows. One template per migration set: its name carries the set's fingerprint, so
// a clone is always of exactly the version it claims. The template holds no tenant's data or
// grants: it is migrated as the admin into the schema TEMPLATE_SCHEMA, and the first run of the
// runner on a clone renames that schema to the tenant's, rewrites current_tenant_id() and grants
// the tenant role (see prepare, and migrate's re-grant on a no-op run).
import type { ServerConnection } from "../../lib/database/layout";
import { fingerprint, type Migration } from "../../lib/database/migrations";
import { connect } from "./connection";
import { migrate, TEMPLATE_SCHEMA } from "./runner";
import { naming } from "../../lib/naming";

export function templateName(setFingerprint: string): string {
  return `tenancy_tpl_${setFingerprint.slice(0, 16)}`;
}

/** Builds the template for the set up to `version` unless it is there; converges after a crash. */
export async function ensureTemplate(server: ServerConnection, migrations: Migration[], version: number, maintenanceDatabase = naming.maintenanceDatabase): Promise<string> {
  const name = templateName(fingerprint(migrations, version));
  const admin = await connect({ ...server, database: maintenanceDatabase });
  try {
    const { rows } = await admin.query(`SELECT datistemplate FROM pg_database WHERE datname = $1`, [name]);
    if (rows[0]?.datistemplate) return name;
    if (rows.length === 0) await admin.query(`CREATE DATABASE ${name} TEMPLATE template0`);
    await migrate(
      { ...server, database: name, isolation: "database", tenantId: "template", schema: TEMPLATE_SCHEMA, role: server.user, ownerRole: server.user, appRole: server.user },
      migrations,
      version,
    );
    // No session may be connected to a template while it is cloned.
    await admin.query(`ALTER DATABASE ${name} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`);
    return name;
  } finally {
    await admin.end().catch(() => undefined);
  }
}
