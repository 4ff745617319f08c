// Filling a tenant's current place from a whole-tenant backup: `tenancy restore` (the same tenant)
// and a clone (`--as`: another tenant's backup into a new tenant's place, which `pulumi up` made).
//
// - rows: the dump is restored into a quarantine as a throwaway role (restore.ts, SECURITY.md), and
//   its plain tables' rows are copied into the place in one transaction, tenant_id rewritten to the
//   destination tenant, identity sequences moved past the copied ids; the quarantine is dropped.
//   The quarantine is read with row_security off, so a policy the dump brought can never run as the
//   admin (a non-superuser admin gets an error instead), and only tables the place itself has are read.
// - objects: written into the place's bucket or prefix (objects.ts).
// - identity: the members go back to the organization with their roles (identity.ts).
// The place must be at the backup's migration version, and hold no application rows and no objects,
// unless `replace` (the caller takes a backup of what it replaces first).
import { randomBytes } from "node:crypto";
import type { Client } from "pg";
import { naming } from "../../lib/naming";
import type { ClientOptions, ManagementConnection } from "../identity/client";
import { connect, type Connection } from "../postgres/connection";
import { SEEDED_TABLES } from "../postgres/grants";
import { appliedVersion, withTarget } from "../postgres/runner";
import type { Target } from "../postgres/target";
import { s3Client, type ObjectPlace, type S3Credentials, type S3Store } from "../s3/client";
import { backupManifest } from "./history";
import { restoreMembers, type IdentitySnapshot } from "./identity";
import { readJsonPart, type BackupManifest } from "./manifest";
import { currentObjects, restoreObjects, type ObjectsPart } from "./objects";
import { discardRestore, restoreBackup } from "./restore";
import { advanceSequences, countRows, deleteRows, insertRows, readRows, tablesInOrder, type TableShape } from "./rows";

export interface FillRequest {
  /** The backups bucket holding `key`. */
  store: S3Store;
  credentials?: S3Credentials;
  /** A verified backup (naming.backupKey): the tenant's own, or, for a clone, its source's. */
  key: string;
  /** The destination tenant's place, with the admin connection. */
  target: Target;
  objects?: ObjectPlace;
  identity?: ManagementConnection;
  identityOptions?: ClientOptions;
  /** The destination's organization name when adopted (`adopt.organization`); its id otherwise. */
  organization?: string;
  /** Replace what the place holds instead of refusing a place that is not empty. */
  replace: boolean;
  maintenanceDatabase?: string;
}

export interface FillReport {
  key: string;
  /** The tenant the backup was taken of. */
  from: string;
  into: string;
  rows: Record<string, number>;
  objects: { written: number; removed: number };
  members: number;
  /** Objects of the dump that run code (reviewed in the quarantine before it was dropped). */
  executable: string[];
}

/** What stops the fill before anything is changed: version mismatch, a place that is not empty. */
async function preflight(request: FillRequest, manifest: BackupManifest): Promise<void> {
  const version = await appliedVersion(request.target);
  if (version !== manifest.migrationVersion) {
    throw new Error(
      `tenant ${request.target.tenantId}'s place is at migration version ${version ?? "none (not deployed yet: run pulumi up first)"}, ` +
        `backup ${manifest.key} at ${manifest.migrationVersion}; restore into a place at the backup's version (its rollout ring decides)`,
    );
  }
  if (request.replace) return;
  const counts = await withTarget(request.target, async (client) => countRows(client, request.target, await tablesInOrder(client, request.target.schema)));
  const filled = Object.entries(counts).filter(([table, n]) => n > 0 && !SEEDED_TABLES.includes(table));
  const objects = request.objects ? await withClient(request, (c) => currentObjects(c, request.objects!)) : [];
  if (filled.length > 0 || objects.length > 0) {
    const what = [...filled.map(([t, n]) => `${n} row(s) in ${t}`), ...(objects.length > 0 ? [`${objects.length} object(s)`] : [])];
    throw new Error(`tenant ${request.target.tenantId} holds data already (${what.join(", ")}); restore with --replace, which takes a backup of it first`);
  }
}

async function withClient<T>(request: FillRequest, work: (client: ReturnType<typeof s3Client>) => Promise<T>): Promise<T> {
  const client = s3Client(request.objects!, request.credentials);
  try {
    return await work(client);
  } finally {
    client.destroy();
  }
}

/** Copies the quarantine's rows into the place, table by table, in the place's one transaction. */
async function copyRows(quarantine: Client, schema: string, target: Target): Promise<Record<string, number>> {
  return withTarget(target, async (client) => {
    const tables = await tablesInOrder(client, target.schema);
    await deleteRows(client, target, tables);
    const copied: Record<string, number> = {};
    for (const table of tables) {
      copied[table.name] = 0;
      if (!(await plainTableWith(quarantine, schema, table))) continue;
      for await (const rows of readRows(quarantine, schema, table)) {
        await insertRows(client, target, table, rows);
        copied[table.name] += rows.length;
      }
      await advanceSequences(client, target.schema, table);
    }
    return copied;
  });
}

/** Whether the quarantine has this table as a plain table with every column the place writes (never a view). */
async function plainTableWith(client: Client, schema: string, table: TableShape): Promise<boolean> {
  const { rows } = await client.query(
    `SELECT count(*)::int AS n FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
      WHERE c.relnamespace = to_regnamespace($1) AND c.relname = $2 AND c.relkind IN ('r', 'p') AND a.attname = ANY($3) AND NOT a.attisdropped`,
    [schema, table.name, table.columns],
  );
  if (rows[0].n === 0) return false;
  if (rows[0].n !== table.columns.length) throw new Error(`the backup's table ${schema}.${table.name} lacks columns of ${table.name} in the place; nothing was restored`);
  return true;
}

/** Restores the database part into the place through a quarantine, dropped afterwards. */
async function fillRows(request: FillRequest, manifest: BackupManifest): Promise<{ rows: Record<string, number>; executable: string[] }> {
  const { target } = request;
  const admin: Omit<Connection, "database"> = { host: target.host, port: target.port, user: target.user, password: target.password, sslmode: target.sslmode, ...(target.ca ? { ca: target.ca } : {}) };
  const restored = await restoreBackup({
    store: request.store,
    credentials: request.credentials,
    key: manifest.parts.database.key,
    into: { ...admin, database: naming.restoreQuarantine(randomBytes(6).toString("hex")) },
    maintenanceDatabase: request.maintenanceDatabase,
  });
  try {
    const quarantine = await connect({ ...admin, database: restored.database }, "tenancy-restore-copy");
    try {
      await quarantine.query("SET row_security = off");
      await quarantine.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      const rows = await copyRows(quarantine, restored.schema, target);
      await quarantine.query("COMMIT");
      return { rows, executable: restored.executable };
    } finally {
      await quarantine.end().catch(() => undefined);
    }
  } finally {
    await discardRestore(admin, restored, request.maintenanceDatabase);
  }
}

/** Fills the place from the backup; see the file's head. */
export async function fillFromBackup(request: FillRequest): Promise<FillReport> {
  const from = naming.backupTenant(request.key);
  if (!from) throw new Error(`${JSON.stringify(request.key)} is not a backup key (backups/<id>/<time>/)`);
  const manifest = await backupManifest(request.store, request.key, request.credentials);
  await preflight(request, manifest);
  const { rows, executable } = await fillRows(request, manifest);
  const client = s3Client(request.store, request.credentials);
  try {
    let objects = { written: 0, removed: 0 };
    if (manifest.parts.objects && request.objects) {
      const part = await readJsonPart<ObjectsPart>(client, request.store.bucket, manifest.parts.objects);
      objects = await restoreObjects(part, request.store, request.objects, request.credentials, { replace: request.replace });
    }
    let members = 0;
    if (manifest.parts.identity && request.identity) {
      const snapshot = await readJsonPart<IdentitySnapshot>(client, request.store.bucket, manifest.parts.identity);
      ({ members } = await restoreMembers(request.identity, request.target.tenantId, snapshot, request.identityOptions, request.organization));
    }
    return { key: request.key, from, into: request.target.tenantId, rows, objects, members, executable };
  } finally {
    client.destroy();
  }
}

