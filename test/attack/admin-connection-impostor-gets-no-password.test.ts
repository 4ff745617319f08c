// Attack: someone on the path to the database server (a spoofed name, a hijacked address) answers
// in its place with a self-signed certificate and asks for the password in cleartext, or as an
// MD5 hash, to capture the admin's credentials.
// Held: every session the project opens (the migration runner and every provider on it, and
// pg_dump/pg_restore) answers only SCRAM, so the impostor receives nothing; with sslmode
// verify-full (the default) the impostor's certificate is refused before authentication starts.
// And against a real server with TLS, verify-full with the configured CA works end to end, with
// channel binding.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadMigrations } from "../../lib/database/migrations";
import { targetFor } from "../../lib/database/layout";
import { backupTenant } from "../../providers/backup/dump";
import { connect, type Connection } from "../../providers/postgres/connection";
import { migrate } from "../../providers/postgres/runner";
import { suspendRole } from "../../providers/postgres/suspend";
import { targetProblems } from "../../providers/postgres/target";
import { postgresEnv } from "../../providers/postgres/tools";
import { certificateAuthority, postgresTlsSettings } from "../harness/certificates";
import { startImpostor, type Impostor } from "../harness/pg-impostor";
import { startPostgres, type TestPostgres } from "../harness/postgres";
import { startS3, type TestS3 } from "../harness/s3";

const PASSWORD = "admin-canary-5e1f0c9a-never-sent";
const BUCKET = "tenancy-backups";
let cleartext: Impostor;
let md5: Impostor;
let s3: TestS3;
beforeAll(async () => {
  [cleartext, md5, s3] = await Promise.all([startImpostor("cleartext"), startImpostor("md5"), startS3([BUCKET])]);
});
afterAll(async () => {
  await Promise.all([cleartext?.stop(), md5?.stop(), s3?.stop()]);
});

const admin = (impostor: Impostor, sslmode: Connection["sslmode"], ca?: string) => ({ host: impostor.host, port: impostor.port, user: "tenancy_admin", password: PASSWORD, sslmode, ...(ca ? { ca } : {}) });
const store = () => ({ bucket: BUCKET, region: s3.region, endpoint: s3.endpoint, forcePathStyle: true });

describe("an impostor asking for a cleartext password or an MD5 hash", () => {
  it.each(["require", "disable"] as const)("sslmode %s: the runner, the suspension and pg_dump refuse, and send nothing", async (sslmode) => {
    for (const impostor of [cleartext, md5]) {
      const target = targetFor(admin(impostor, sslmode), "database", "victim");
      const asked = impostor === cleartext ? "a cleartext password" : "an MD5 password hash";
      await expect(migrate(target, loadMigrations(), 3)).rejects.toThrow(`the server asked for ${asked}`);
      await expect(suspendRole({ ...admin(impostor, sslmode), database: "postgres" }, "tenant_victim")).rejects.toThrow(/refused to authenticate/);
      const backup = await backupTenant({ target, store: store(), credentials: s3.credentials }).catch((e: Error) => e);
      expect((backup as Error).message).toMatch(/backup of tenant victim failed.*refused to authenticate|cannot read the migration version.*refused to authenticate/s);
      expect((backup as Error).message).not.toContain(PASSWORD);
    }
    expect(cleartext.startups.length).toBeGreaterThan(0);
    expect([...cleartext.captured, ...md5.captured]).toEqual([]);
  });

  it("sslmode verify-full refuses the impostor's certificate before authentication starts", async () => {
    const before = cleartext.startups.length;
    const trusted = certificateAuthority("the real server's CA").cert;
    const target = targetFor(admin(cleartext, "verify-full", trusted), "database", "victim");
    await expect(migrate(target, loadMigrations(), 3)).rejects.toThrow(/self[- ]signed|unable to verify|certificate/i);
    expect(cleartext.startups.length).toBe(before);
    expect(cleartext.captured).toEqual([]);
  });

  it("verify-full without a CA is refused before connecting; require stays available", () => {
    const target = targetFor(admin(cleartext, "verify-full"), "database", "victim");
    expect(targetProblems(target)).toEqual([expect.stringContaining("sslmode verify-full needs ca")]);
    expect(targetProblems(targetFor(admin(cleartext, "require"), "database", "victim"))).toEqual([]);
  });

  it("the pg tools are told to verify, to demand SCRAM (libpq 16+) and to demand channel binding where it was offered", () => {
    const env = postgresEnv({ password: PASSWORD, sslmode: "verify-full" }, { PGSERVICE: "elsewhere", PATH: "/bin" }, "tenancy-backup", {
      caFile: "/tmp/x/root.crt",
      seen: { offered: ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"] },
    });
    expect(env).toMatchObject({ PGSSLMODE: "verify-full", PGSSLROOTCERT: "/tmp/x/root.crt", PGREQUIREAUTH: "scram-sha-256", PGCHANNELBINDING: "require", PATH: "/bin" });
    expect(env.PGSERVICE).toBeUndefined();
    expect(postgresEnv({ password: PASSWORD, sslmode: "require" }, {}, "x", { seen: { offered: ["SCRAM-SHA-256"] } }).PGCHANNELBINDING).toBe("prefer");
  });
});

describe("a real server with TLS and SCRAM", () => {
  let pg: TestPostgres;
  let removeTls: () => void;
  const ca = certificateAuthority("tenancy test server CA");
  beforeAll(async () => {
    const tls = postgresTlsSettings(ca);
    removeTls = tls.remove;
    pg = await startPostgres({ settings: tls.settings });
  });
  afterAll(async () => {
    await pg?.stop();
    removeTls?.();
  });

  it("verify-full with the configured CA: the runner migrates and pg_dump backs up, over TLS with channel binding", async () => {
    const server = { host: pg.host, port: pg.port, user: pg.user, password: pg.password, sslmode: "verify-full" as const, ca: ca.cert };
    const client = await connect({ ...server, database: "postgres" });
    try {
      expect(client.seen.offered).toContain("SCRAM-SHA-256-PLUS");
      const { rows } = await client.query(`SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`);
      expect(rows).toEqual([{ ssl: true }]);
      await client.query(`CREATE DATABASE tenant_tls_co`);
      await client.query(`CREATE ROLE tenant_tls_co LOGIN NOINHERIT`);
    } finally {
      await client.end();
    }
    const target = targetFor(server, "database", "tls-co");
    expect(await migrate(target, loadMigrations(), 3)).toMatchObject({ to: 3 });
    const backup = await backupTenant({ target, store: store(), credentials: s3.credentials });
    expect(backup.migrationVersion).toBe(3);
  });
});
