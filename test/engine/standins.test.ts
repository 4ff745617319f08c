// The stand-in provider plugins (test/engine/standins/) driven by the real Pulumi engine, each with a
// tiny inline program: up creates, a second up changes nothing, a force-new input replaces, another
// input updates, refresh reports drift, destroy removes. The PostgreSQL stand-in is checked on a real
// server; the echo stand-ins (aws, cloudflare) have no objects out of band, so their refresh must
// find nothing to change.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import * as aws from "@pulumi/aws";
import * as cloudflare from "@pulumi/cloudflare";
import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import * as auto from "@pulumi/pulumi/automation";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startPostgres, type TestPostgres } from "../harness/postgres";
import { ensureEngine } from "./ensure";

const execFileAsync = promisify(execFile);
const REPO = resolve(__dirname, "..", "..");
/** The stand-ins' launchers, found by the engine on PATH as ambient plugins. */
const PLUGINS = join(__dirname, "bin");

let scratch: string;
let command: auto.PulumiCommand;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "tenancy-standins-"));
  // PulumiCommand wants `<root>/bin/pulumi`; the engine cache keeps the binary at its top.
  mkdirSync(join(scratch, "engine", "bin"), { recursive: true });
  symlinkSync(ensureEngine().pulumi, join(scratch, "engine", "bin", "pulumi"));
  command = await auto.PulumiCommand.get({ root: join(scratch, "engine") });
}, 600_000);

afterAll(() => scratch && rmSync(scratch, { recursive: true, force: true }));

/**
 * A stack of its own (state, plugin cache) running `program`, which may read state the test changes
 * between runs; and `pulumi stack export` as a user runs it (Stack.exportStack adds --show-secrets).
 */
async function newStack(name: string, program: auto.PulumiFn): Promise<{ stack: auto.Stack; exportState(): Promise<string> }> {
  const dir = join(scratch, name);
  for (const sub of ["work", "state", "home"]) mkdirSync(join(dir, sub), { recursive: true });
  const envVars = {
    PULUMI_BACKEND_URL: `file://${join(dir, "state")}`,
    PULUMI_CONFIG_PASSPHRASE: "standins",
    PULUMI_HOME: join(dir, "home"),
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PATH: `${PLUGINS}:${join(REPO, "node_modules", "@pulumi", "pulumi")}:${process.env.PATH}`,
  };
  const workDir = join(dir, "work");
  const stack = await auto.LocalWorkspace.createStack({ stackName: "test", projectName: `standins-${name}`, program }, { workDir, pulumiCommand: command, envVars });
  const exportState = async () => (await execFileAsync(command.command, ["stack", "export", "--stack", "test"], { cwd: workDir, env: { ...process.env, ...envVars } })).stdout;
  return { stack, exportState };
}

const changes = (result: { summary: { resourceChanges?: Record<string, number> } }) => result.summary.resourceChanges;

describe.concurrent("stand-in provider plugins under the real engine", () => {
  test("aws: buckets, a policy and a DNS-validated certificate", async () => {
    const spec = { bucket: "standins-a", tag: "1" };
    const { stack } = await newStack("aws", async () => {
      const provider = new aws.Provider("aws", { region: "eu-west-1" });
      const opts = { provider };
      const bucket = new aws.s3.Bucket("bucket", { bucket: spec.bucket, tags: { tag: spec.tag } }, opts);
      new aws.s3.BucketVersioning("versioning", { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, opts);
      new aws.s3.BucketPublicAccessBlock("public-access", { bucket: bucket.id, blockPublicAcls: true }, opts);
      new aws.iam.Policy("policy", { name: "standins", policy: bucket.arn.apply((arn) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: `${arn}/*` }] })) }, opts);
      const certificate = new aws.acm.Certificate("certificate", { domainName: "app.example.com", validationMethod: "DNS" }, opts);
      const validation = new aws.acm.CertificateValidation(
        "validation",
        { certificateArn: certificate.arn, validationRecordFqdns: certificate.domainValidationOptions.apply((o) => o.map((v) => v.resourceRecordName)) },
        opts,
      );
      return { bucketArn: bucket.arn, validated: validation.certificateArn, options: certificate.domainValidationOptions, certificateArn: certificate.arn };
    });

    const first = await stack.up();
    expect(changes(first)).toEqual({ create: 8 });
    expect(first.outputs.bucketArn.value).toBe("arn:aws:s3:::standins-a");
    expect(first.outputs.certificateArn.value).toMatch(/^arn:aws:acm:eu-west-1:\d{12}:certificate\/[0-9a-f-]{36}$/);
    expect(first.outputs.validated.value).toBe(first.outputs.certificateArn.value);
    expect(first.outputs.options.value).toEqual([
      expect.objectContaining({ domainName: "app.example.com", resourceRecordType: "CNAME", resourceRecordName: expect.stringMatching(/^_[0-9a-f]{32}\.app\.example\.com\.$/) }),
    ]);

    expect(changes(await stack.up())).toEqual({ same: 8 });

    // The bucket name is force-new for the bucket and for everything configured on it; the policy's document only changes.
    spec.bucket = "standins-b";
    // A preview sees the new bucket's id as unknown: Check and Diff must treat it as a change.
    expect((await stack.preview()).changeSummary).toEqual({ replace: 3, update: 1, same: 4 });
    const replaced = await stack.up();
    expect(changes(replaced)).toEqual({ replace: 3, update: 1, same: 4 });
    expect(replaced.outputs.bucketArn.value).toBe("arn:aws:s3:::standins-b");

    spec.tag = "2";
    expect(changes(await stack.up())).toEqual({ update: 1, same: 7 });

    expect(changes(await stack.refresh())).toEqual({ same: 8 });
    expect(changes(await stack.destroy())).toEqual({ delete: 8 });
  });

  test("cloudflare: a DNS record and a custom hostname", async () => {
    const spec = { hostname: "shop.example.org", target: "ingress.example.net" };
    const { stack } = await newStack("cloudflare", async () => {
      const provider = new cloudflare.Provider("cloudflare", { apiToken: pulumi.secret("standin-token-".padEnd(40, "x")) });
      const zoneId = "0123456789abcdef0123456789abcdef";
      const record = new cloudflare.DnsRecord("record", { zoneId, name: "acme.example.com", type: "CNAME", content: spec.target, proxied: true, ttl: 1 }, { provider });
      const custom = new cloudflare.CustomHostname("custom", { zoneId, hostname: spec.hostname, ssl: { method: "http", type: "dv" } }, { provider });
      return { recordId: record.id, ownership: custom.ownershipVerification };
    });

    const first = await stack.up();
    expect(changes(first)).toEqual({ create: 4 });
    expect(first.outputs.recordId.value).toMatch(/^[0-9a-f]{32}$/);
    expect(first.outputs.ownership.value).toEqual({ name: "_cf-custom-hostname.shop.example.org", type: "txt", value: expect.stringMatching(/^[0-9a-f-]{36}$/) });

    expect(changes(await stack.up())).toEqual({ same: 4 });

    spec.hostname = "store.example.org";
    const replaced = await stack.up();
    expect(changes(replaced)).toEqual({ replace: 1, same: 3 });
    expect(replaced.outputs.ownership.value.name).toBe("_cf-custom-hostname.store.example.org");

    spec.target = "maintenance.example.net";
    expect(changes(await stack.up())).toEqual({ update: 1, same: 3 });

    expect(changes(await stack.refresh())).toEqual({ same: 4 });
    expect(changes(await stack.destroy())).toEqual({ delete: 4 });
  });

  describe("postgresql: real roles, database, schema and grants", () => {
    let server: TestPostgres;
    beforeAll(async () => {
      server = await startPostgres();
    });
    afterAll(async () => server?.stop());

    /** One query as the superuser, on `database`. */
    async function query(sql: string, values: unknown[] = [], database = "postgres"): Promise<any[]> {
      const client = await server.adminClient(database);
      try {
        return (await client.query(sql, values)).rows;
      } finally {
        await client.end();
      }
    }
    const one = async (sql: string, values: unknown[] = [], database?: string) => Object.values((await query(sql, values, database))[0] ?? {})[0];

    test("up, no-op, update, replace, drift, destroy", async () => {
      const appPassword = randomBytes(18).toString("base64url");
      const spec = { appLogin: true, schemaPrivileges: ["USAGE"], adminMemberOf: "owner" as "owner" | "reader" };
      const { stack, exportState } = await newStack("postgresql", async () => {
        const provider = new postgresql.Provider("pg", {
          host: server.host,
          port: server.port,
          username: server.user,
          password: pulumi.secret(server.password),
          sslmode: "disable",
          superuser: true,
        });
        const opts = { provider };
        const owner = new postgresql.Role("owner", { name: "st_owner", login: false }, opts);
        const reader = new postgresql.Role("reader", { name: "st_reader", login: false }, opts);
        const app = new postgresql.Role("app", { name: "st_app", login: spec.appLogin, password: pulumi.secret(appPassword), inherit: false, roles: [reader.name] }, opts);
        const member = new postgresql.GrantRole("admin-member", { role: server.user, grantRole: spec.adminMemberOf === "owner" ? owner.name : reader.name }, opts);
        const database = new postgresql.Database("database", { name: "st_db", owner: owner.name }, { ...opts, dependsOn: [member] });
        const schema = new postgresql.Schema("schema", { name: "st_schema", database: database.name, owner: owner.name }, opts);
        new postgresql.Grant("revoke-public", { database: database.name, role: "public", objectType: "database", privileges: [] }, opts);
        new postgresql.Grant("connect", { database: database.name, role: app.name, objectType: "database", privileges: ["CONNECT"] }, opts);
        new postgresql.Grant("usage", { database: database.name, schema: schema.name, role: app.name, objectType: "schema", privileges: spec.schemaPrivileges }, opts);
      });
      const memberOf = (role: string) => query("SELECT 1 FROM pg_auth_members WHERE pg_get_userbyid(member) = $1 AND pg_get_userbyid(roleid) = $2", [server.user, role]);

      expect(changes(await stack.up())).toEqual({ create: 11 });
      expect(await query("SELECT rolname, rolcanlogin, rolinherit FROM pg_roles WHERE rolname LIKE 'st\\_%' ORDER BY 1")).toEqual([
        { rolname: "st_app", rolcanlogin: true, rolinherit: false },
        { rolname: "st_owner", rolcanlogin: false, rolinherit: true },
        { rolname: "st_reader", rolcanlogin: false, rolinherit: true },
      ]);
      expect(await one("SELECT pg_has_role('st_app', 'st_reader', 'MEMBER')")).toBe(true);
      expect(await memberOf("st_owner")).toHaveLength(1);
      expect(await one("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'st_db'")).toBe("st_owner");
      expect(await one("SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'st_schema'", [], "st_db")).toBe("st_owner");
      expect(await one("SELECT count(*)::int FROM (SELECT (aclexplode(datacl)).* FROM pg_database WHERE datname = 'st_db') acl WHERE grantee = 0")).toBe(0);
      expect(await one("SELECT has_database_privilege('st_app', 'st_db', 'CONNECT')")).toBe(true);
      expect(await one("SELECT has_schema_privilege('st_app', 'st_schema', 'USAGE')", [], "st_db")).toBe(true);
      // The app role logs in with its password.
      const app = new Client(server.config("st_db", "st_app", appPassword));
      await app.connect();
      expect((await app.query("SELECT current_user AS u")).rows[0].u).toBe("st_app");
      await app.end();

      expect(changes(await stack.up())).toEqual({ same: 11 });

      spec.appLogin = false;
      spec.schemaPrivileges = ["USAGE", "CREATE"];
      expect(changes(await stack.up())).toEqual({ update: 2, same: 9 });
      expect(await one("SELECT rolcanlogin FROM pg_roles WHERE rolname = 'st_app'")).toBe(false);
      expect(await one("SELECT has_schema_privilege('st_app', 'st_schema', 'CREATE')", [], "st_db")).toBe(true);

      // GrantRole is force-new throughout.
      spec.adminMemberOf = "reader";
      expect(changes(await stack.up())).toEqual({ replace: 1, same: 10 });
      expect(await memberOf("st_owner")).toHaveLength(0);
      expect(await memberOf("st_reader")).toHaveLength(1);

      // Out of band: the schema is dropped (its grant goes with it) and the app role may log in again.
      await query("DROP SCHEMA st_schema CASCADE", [], "st_db");
      await query("ALTER ROLE st_app LOGIN");
      expect(changes(await stack.refresh())).toEqual({ delete: 2, update: 1, same: 8 });
      expect(changes(await stack.up())).toEqual({ create: 2, update: 1, same: 8 });
      expect(await one("SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'st_schema'", [], "st_db")).toBe("st_owner");
      expect(await one("SELECT rolcanlogin FROM pg_roles WHERE rolname = 'st_app'")).toBe(false);

      // Secrets stay secret in the state: the role's password and the provider's.
      const exported = await exportState();
      expect(exported).not.toContain(appPassword);
      expect(exported).not.toContain(server.password);
      const appState = JSON.parse(exported).deployment.resources.find((r: any) => r.type === "postgresql:index/role:Role" && r.outputs?.name === "st_app");
      expect(appState.outputs.password).toHaveProperty("ciphertext");

      expect(changes(await stack.destroy())).toEqual({ delete: 11 });
      expect(await query("SELECT rolname FROM pg_roles WHERE rolname LIKE 'st\\_%'")).toEqual([]);
      expect(await query("SELECT datname FROM pg_database WHERE datname = 'st_db'")).toEqual([]);
    });
  });
});
