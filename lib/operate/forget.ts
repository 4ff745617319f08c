// `tenancy forget <id> --cell <cell> --region <region> [--delete-backups]`: the "forgotten" report after
// a tenant was offboarded with lifecycle.on_delete: delete (a right-to-be-forgotten request): every
// place the tenant could have had data in, checked empty, whatever its isolation and storage mode
// were. On each database server of the cell: its role, its database, its schema, its rows in the
// shared tables; its bucket and its prefix in the cell's shared bucket; its organization and what
// tenancy made in its identity tenant; its backups, which --delete-backups removes first. Exit 0 only
// when every place is empty. The tenant file is gone by then, so an adopted organization's own name
// (`adopt.organization`) is read from the latest backup (its configuration, else its identity part)
// before any backup is removed; the organization named by the id is checked as well. The identity tenant record itself stays: no route deletes it (README).
import { naming } from "../naming";
import { targetFor } from "../database/layout";
import type { CommandResult } from "../cli/commands";
import { backupJson, backupManifest, deleteBackup, latestBackup, listTenantBackups } from "../../providers/backup/history";
import { organizationName, readIdentity, type IdentitySnapshot } from "../../providers/backup/identity";
import { countRows, tablesInOrder } from "../../providers/backup/rows";
import { isMissingDatabase, withSession } from "../../providers/postgres/connection";
import { withTarget } from "../../providers/postgres/runner";
import { s3Client, s3Status, type S3Store } from "../../providers/s3/client";
import { listVersions } from "../../providers/s3/list";
import { cellConfig, cellPlaces, currentCatalog, findTenant, type OperateOptions } from "./tenant-context";
import type { OperatorServer } from "./stack-config";

export interface ForgetOptions extends OperateOptions {
  cell: string;
  region: string;
  deleteBackups?: boolean;
  format?: "text" | "json";
}

export interface ForgetCheck {
  place: string;
  empty: boolean;
  detail: string;
}

/** The tenant's role, database, schema and shared rows on one server. */
async function databaseChecks(server: OperatorServer, id: string): Promise<ForgetCheck[]> {
  const admin = { host: server.host, port: server.port, user: server.adminUser, password: server.password, sslmode: server.sslmode, ...(server.ca ? { ca: server.ca } : {}) };
  const where = `database server ${server.name}`;
  const found = await withSession({ ...admin, database: naming.maintenanceDatabase }, async (client) => {
    const role = (await client.query(`SELECT 1 FROM pg_roles WHERE rolname = $1`, [naming.role(id)])).rows.length > 0;
    const database = (await client.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [naming.database(id)])).rows.length > 0;
    return { role, database };
  });
  const checks: ForgetCheck[] = [
    { place: `${where}: role ${naming.role(id)}`, empty: !found.role, detail: found.role ? "exists" : "absent" },
    { place: `${where}: database ${naming.database(id)}`, empty: !found.database, detail: found.database ? "exists" : "absent" },
  ];
  const schema = await withSession({ ...admin, database: naming.schemaDatabase }, async (client) => (await client.query(`SELECT to_regnamespace($1) IS NOT NULL AS present`, [naming.schema(id)])).rows[0].present as boolean).catch((error: unknown) => {
    if (isMissingDatabase(error)) return false;
    throw error;
  });
  checks.push({ place: `${where}: schema ${naming.schemaDatabase}.${naming.schema(id)}`, empty: !schema, detail: schema ? "exists" : "absent" });
  const shared = targetFor(admin, "shared", id);
  const rows = await withTarget(shared, async (client) => {
    if (!(await client.query(`SELECT to_regnamespace($1) IS NOT NULL AS present`, [shared.schema])).rows[0].present) return {};
    const counts = await countRows(client, shared, await tablesInOrder(client, shared.schema));
    counts.tenant_roles = (await client.query(`SELECT count(*)::int AS n FROM tenant_roles WHERE tenant_id = $1 OR role_name = $2`, [id, naming.role(id)])).rows[0].n;
    return counts;
  }).catch((error: unknown) => {
    if (isMissingDatabase(error)) return {};
    throw error;
  });
  const held = Object.entries(rows).filter(([, n]) => n > 0);
  checks.push({ place: `${where}: rows of ${id} in ${naming.sharedDatabase}`, empty: held.length === 0, detail: held.length === 0 ? "none" : held.map(([t, n]) => `${n} in ${t}`).join(", ") });
  return checks;
}

/** Object versions (and delete markers) under a prefix of a bucket; a missing bucket holds none. */
async function objectCheck(store: S3Store, prefix: string, place: string): Promise<ForgetCheck> {
  const client = s3Client(store);
  try {
    const { versions } = await listVersions(client, store.bucket, prefix);
    return { place, empty: versions.length === 0, detail: versions.length === 0 ? "no object" : `${versions.length} object version(s)` };
  } catch (error) {
    if (s3Status(error) === 404) return { place, empty: true, detail: "no such bucket" };
    throw error;
  } finally {
    client.destroy();
  }
}

/** The organization names tenant `id` may have had: its id's, and an adopted one its latest backup recorded. */
async function organizationNames(store: S3Store, id: string): Promise<string[]> {
  const key = await latestBackup(store, id);
  if (!key) return [naming.organization(id)];
  const manifest = await backupManifest(store, key);
  const configuration = await backupJson<Record<string, unknown>>(store, manifest, "configuration");
  const adopted = configuration ? organizationName(id, configuration) : (await backupJson<IdentitySnapshot>(store, manifest, "identity"))?.organization?.name;
  return [...new Set([naming.organization(id), ...(adopted ? [adopted] : [])])];
}

export async function forgetChecks(id: string, options: ForgetOptions): Promise<ForgetCheck[]> {
  const config = cellConfig(options.cell, options);
  const places = cellPlaces(config);
  const checks: ForgetCheck[] = [];
  for (const server of Object.values(config.databaseServers)) checks.push(...(await databaseChecks(server, id)));
  const s3 = { region: options.region, ...(config.s3Endpoint ? { endpoint: config.s3Endpoint, forcePathStyle: true } : {}) };
  checks.push(await objectCheck({ ...s3, bucket: naming.bucket(config.bucketPrefix, id) }, "", `bucket ${naming.bucket(config.bucketPrefix, id)}`));
  const shared = naming.sharedBucket(config.bucketPrefix, options.cell, options.region);
  checks.push(await objectCheck({ ...s3, bucket: shared }, naming.storagePrefix(id), `s3://${shared}/${naming.storagePrefix(id)}`));
  const store = places.store(options.region);
  let identity: IdentitySnapshot | undefined;
  for (const organization of await organizationNames(store, id)) {
    identity = await readIdentity(places.identity, id, undefined, { organization });
    checks.push({ place: `organization ${organization} on the control plane`, empty: identity.organization === null, detail: identity.organization ? `exists, ${identity.members.length} member(s)` : "absent" });
  }
  const entities = identity?.entities ? identity.entities.roles.length + identity.entities.resource_servers.length : 0;
  checks.push({ place: `identity tenant ${naming.identityTenant(id)}: roles and APIs tenancy made`, empty: entities === 0, detail: identity?.entities ? `${entities} left` : "no identity tenant" });
  let backups = await listTenantBackups(store, id);
  if (options.deleteBackups) {
    for (const b of backups) await deleteBackup(store, b.key);
    backups = await listTenantBackups(store, id);
  }
  checks.push({ place: `s3://${store.bucket}/${naming.backupsOf(id)}`, empty: backups.length === 0, detail: backups.length === 0 ? "no backup" : `${backups.length} backup(s); --delete-backups removes them` });
  return checks;
}

export async function forgetCommand(id: string, options: ForgetOptions): Promise<CommandResult> {
  if (findTenant(currentCatalog(options.cwd), id)) {
    return { output: `tenant ${id} is still in the catalog: offboard it first (lifecycle.on_delete: delete, then remove tenants/${id}.yaml and deploy)`, exitCode: 1 };
  }
  const checks = await forgetChecks(id, options);
  const forgotten = checks.every((c) => c.empty);
  const output =
    options.format === "json"
      ? JSON.stringify({ tenant: id, cell: options.cell, region: options.region, checkedAt: new Date().toISOString(), forgotten, checks }, null, 2)
      : [...checks.map((c) => `${c.empty ? "empty    " : "NOT EMPTY"}  ${c.place}: ${c.detail}`), forgotten ? `tenant ${id} is forgotten: every place checked is empty` : `tenant ${id} is NOT forgotten`].join("\n");
  return { output, exitCode: forgotten ? 0 : 1, isResult: true };
}
