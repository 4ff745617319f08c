// Backups against a real PostgreSQL 15 (embedded) and a real S3 API (s3rver), in all three
// isolation modes: dump, restore into a scratch database with pg_restore, compare every table.
import { createHash } from "node:crypto";
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { beforeAll, describe, expect, it } from "vitest";
import { loadMigrations } from "../../../lib/database/migrations";
import { migrate } from "../../../providers/postgres/runner";
import type { Target } from "../../../providers/postgres/target";
import { backupTenant } from "../../../providers/backup/dump";
import { listBackups, restoreBackup } from "../../../providers/backup/restore";
import { suspendRole } from "../../../providers/postgres/suspend";
import type { S3Store } from "../../../providers/s3/client";
import { MODES, type Server } from "../postgres/setup";
import { startS3, type TestS3 } from "../../harness/s3";
import { BACKUP_BUCKET as BUCKET, useBackupServices } from "./setup";

const TABLES = ["tenant_profile", "projects", "invoices"];

const services = useBackupServices();
let server: Server;
let s3: TestS3;
let store: S3Store;
beforeAll(() => {
  ({ server, s3, store } = services());
});

/** A migrated tenant with a profile, `projects` projects and two invoices per project. */
async function tenantWithData(mode: Target["isolation"], id: string, projects: number): Promise<Target> {
  const { target, password } = await server.tenant(mode, id);
  await migrate(target, loadMigrations(), 3);
  // The profile as the seed writes it (tenants may only read it); the rest written as the tenant
  // itself, so tenant_id and row-level security work as in production.
  await server.query(`INSERT INTO ${target.schema}.tenant_profile (tenant_id, name, friendly_name, settings) VALUES ($1, $2, $2, '{"tier":"gold"}')`, [id, `Tenant ${id}`], target.database);
  const client = await server.tenantClient(mode, id, password);
  try {
    await client.query(`SET search_path TO ${target.schema}`);
    await client.query(`INSERT INTO projects (name) SELECT 'p' || g FROM generate_series(1, $1::int) g`, [projects]);
    await client.query(`INSERT INTO invoices (project_id, amount_cents, currency, status) SELECT id, id * 100 + k, 'EUR', 'sent' FROM projects, generate_series(1, 2) k`);
  } finally {
    await client.end();
  }
  return target;
}

/** Row count and a checksum of every row's text, per table, optionally limited to one tenant. */
async function fingerprint(database: string, schema: string, tenantId?: string): Promise<Record<string, { rows: number; md5: string }>> {
  const out: Record<string, { rows: number; md5: string }> = {};
  for (const table of TABLES) {
    const where = tenantId ? `WHERE tenant_id = $1` : "";
    const [row] = await server.query(
      `SELECT count(*)::int AS rows, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS md5 FROM ${schema}.${table} t ${where}`,
      tenantId ? [tenantId] : [],
      database,
    );
    out[table] = row;
  }
  return out;
}

async function scratchDatabase(name: string) {
  await server.query(`CREATE DATABASE ${name}`);
  return { ...server.admin, database: name };
}

async function objectKeys(prefix = "backups/"): Promise<string[]> {
  const page = await s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (page.Contents ?? []).map((o) => o.Key!).sort();
}

describe.each(MODES)("isolation %s", (mode) => {
  it("backs up, writes metadata, and restores to identical rows", async () => {
    const id = `bk-${mode}`;
    const target = await tenantWithData(mode, id, 25);
    // A neighbour on the same server whose rows must not end up in this tenant's backup.
    await tenantWithData(mode, `${id}-other`, 7);
    const source = await fingerprint(target.database, target.schema, mode === "shared" ? id : undefined);
    expect(source.projects.rows).toBe(25);
    expect(source.invoices.rows).toBe(50);

    const result = await backupTenant({ target, store, credentials: s3.credentials });
    // The database part of a backup folder (backups/<id>/<time>/, naming.backupKey).
    expect(result.key).toMatch(new RegExp(`^backups/${id}/\\d{4}-\\d\\d-\\d\\dT\\d\\d-\\d\\d-\\d\\d-\\d{3}Z/database\\.dump$`));
    expect(result.metadataKey).toBe(`${result.key}.json`);
    expect(result).toMatchObject({ tenant: id, isolation: mode, migrationVersion: 3, format: "pg_dump-custom", bucket: BUCKET });
    expect(result.pgDumpVersion).toContain("15.");
    expect(await objectKeys(`backups/${id}/`)).toEqual([result.key, result.metadataKey]);

    // The stored object is what the metadata says it is.
    const object = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: result.key }));
    const bytes = Buffer.from(await object.Body!.transformToByteArray());
    expect(bytes.length).toBe(result.size);
    expect(bytes.subarray(0, 5).toString()).toBe("PGDMP");
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(result.sha256);
    const stored = JSON.parse(await (await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: result.metadataKey }))).Body!.transformToString());
    expect(stored).toMatchObject({ tenant: id, size: result.size, sha256: result.sha256, migrationVersion: 3 });
    expect(await listBackups(store, id, s3.credentials)).toEqual([result.key]);

    const into = await scratchDatabase(`restore_${mode}`);
    const metadata = await restoreBackup({ store, credentials: s3.credentials, key: result.key, into });
    expect(metadata.sha256).toBe(result.sha256);
    const restored = await fingerprint(into.database, target.schema);
    expect(restored).toEqual(source);
    if (mode === "shared") {
      const [{ n }] = await server.query(`SELECT count(*)::int AS n FROM ${target.schema}.projects WHERE tenant_id <> $1`, [id], into.database);
      expect(n).toBe(0);
    }
  });
});

describe("suspended tenants", () => {
  it("a suspended shared tenant (NOLOGIN) is still backed up, with its rows only", async () => {
    const target = await tenantWithData("shared", "bk-suspended", 5);
    await suspendRole({ ...server.admin, database: "postgres" }, target.role);
    const source = await fingerprint(target.database, target.schema, "bk-suspended");
    const result = await backupTenant({ target, store, credentials: s3.credentials });
    const into = await scratchDatabase("restore_suspended");
    await restoreBackup({ store, credentials: s3.credentials, key: result.key, into });
    expect(await fingerprint(into.database, target.schema)).toEqual(source);
    expect(source.projects.rows).toBe(5);
  });
});

describe("a non-superuser admin", () => {
  it("backs up a shared tenant only once it is a member of the tenant role, and says so before", async () => {
    const target = await tenantWithData("shared", "bk-member", 3);
    const adminPassword = "backup-admin-canary-77aa";
    await server.query(`CREATE ROLE backup_admin LOGIN CREATEROLE PASSWORD '${adminPassword}' IN ROLE tenancy_owner`);
    const asAdmin = { ...target, user: "backup_admin", password: adminPassword };
    const error = await backupTenant({ target: asAdmin, store, credentials: s3.credentials }).catch((e) => e);
    expect(error.message).toMatch(/backup of tenant bk-member failed, so nothing of it was deleted: pg_dump exited with code 1: .*permission denied to set role "tenant_bk_member"/s);
    expect(error.message).not.toContain(adminPassword);
    expect(await objectKeys("backups/bk-member/")).toEqual([]);

    await server.query(`GRANT ${target.role} TO backup_admin`);
    const result = await backupTenant({ target: asAdmin, store, credentials: s3.credentials });
    expect(result.migrationVersion).toBe(3);
  });
});

describe("large dumps", () => {
  it("stream to S3 in several parts without buffering the whole dump", async () => {
    const target = await tenantWithData("database", "bk-large", 1);
    // Three rows of 4 MB of random bytes as base64, which pg_dump's compression cannot shrink much.
    await server.query(`CREATE TABLE public.blobs (data text NOT NULL)`, [], target.database);
    await server.query(
      `INSERT INTO public.blobs (data)
         SELECT encode(decode(x.hex, 'hex'), 'base64')
           FROM generate_series(1, 3) r,
                LATERAL (SELECT string_agg(md5(random()::text || g || r), '') AS hex FROM generate_series(1, 250000) g) x`,
      [],
      target.database,
    );
    const parts = new Set<number>();
    const partSize = 5 * 1024 * 1024;
    const result = await backupTenant({ target, store, credentials: s3.credentials, partSize, onProgress: (p) => parts.add(p.part) });
    expect(result.size).toBeGreaterThan(2 * partSize);
    expect(Math.max(...parts)).toBeGreaterThanOrEqual(3);
    const object = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: result.key }));
    const hash = createHash("sha256");
    let size = 0;
    for await (const chunk of object.Body as AsyncIterable<Buffer>) {
      hash.update(chunk);
      size += chunk.length;
    }
    expect(size).toBe(result.size);
    expect(hash.digest("hex")).toBe(result.sha256);
  });

  it("refuses a part size below S3's minimum before doing anything", async () => {
    const target = await tenantWithData("database", "bk-part", 1);
    await expect(backupTenant({ target, store, credentials: s3.credentials, partSize: 1024 })).rejects.toThrow(/part size must be .* at least 5242880/);
  });
});

describe("failures", () => {
  it("a missing bucket fails before dumping, with a clear error and no object", async () => {
    const target = await tenantWithData("schema", "bk-nobucket", 3);
    const before = await fingerprint(target.database, target.schema);
    const error = await backupTenant({ target, store: { ...store, bucket: "no-such-bucket" }, credentials: s3.credentials }).catch((e) => e);
    expect(error.message).toContain("backup of tenant bk-nobucket failed, so nothing of it was deleted");
    expect(error.message).toContain(`backup bucket s3://no-such-bucket at ${s3.endpoint} is not usable (the bucket does not exist`);
    expect(error.message).not.toContain(target.password);
    expect(await objectKeys("backups/bk-nobucket/")).toEqual([]);
    expect(await fingerprint(target.database, target.schema)).toEqual(before);
  });

  it("an unreachable S3 endpoint fails with a clear error", async () => {
    const target = await tenantWithData("database", "bk-nos3", 2);
    const gone = await startS3();
    const endpoint = gone.endpoint;
    await gone.stop();
    const error = await backupTenant({ target, store: { ...store, endpoint }, credentials: s3.credentials }).catch((e) => e);
    expect(error.message).toMatch(/backup of tenant bk-nos3 failed.*cannot be reached.*ECONNREFUSED/s);
  });

  it("a failing pg_dump leaves no object and does not leak the password", async () => {
    const target = await tenantWithData("database", "bk-badpw", 2);
    const wrong = { ...target, password: "canary-wrong-password-9d2f" };
    const error = await backupTenant({ target: wrong, store, credentials: s3.credentials }).catch((e) => e);
    expect(error.message).toMatch(/backup of tenant bk-badpw failed.*password authentication failed/s);
    expect(error.message).not.toContain("canary-wrong-password-9d2f");
    expect(await objectKeys("backups/bk-badpw/")).toEqual([]);
  });

  it("a tenant whose database is already gone fails clearly and leaves no object", async () => {
    const target = await tenantWithData("database", "bk-nodb", 1);
    const error = await backupTenant({ target: { ...target, database: "tenant_gone" }, store, credentials: s3.credentials }).catch((e) => e);
    expect(error.message).toBe("backup of tenant bk-nodb failed, so nothing of it was deleted: tenant_gone.tenant_bk_nodb holds no migrated tenant data (the database, the schema or its schema_migrations table is missing)");
    expect(await objectKeys("backups/bk-nodb/")).toEqual([]);
  });

  it("a failing pg_dump (the tenant role is gone) leaves no object and names the cause", async () => {
    const target = await tenantWithData("shared", "bk-norole", 2);
    const error = await backupTenant({ target: { ...target, role: "tenant_ghost" }, store, credentials: s3.credentials }).catch((e) => e);
    expect(error.message).toMatch(/backup of tenant bk-norole failed, so nothing of it was deleted: pg_dump exited with code 1: .*role "tenant_ghost" does not exist/s);
    expect(error.message).not.toContain(target.password);
    expect(await objectKeys("backups/bk-norole/")).toEqual([]);
  });
});
