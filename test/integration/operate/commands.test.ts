// `tenancy backup`, `restore` (and clone), `export` and `forget`, run as the CLI runs them (the
// command functions of lib/operate, with the stack config handed in: project.ts says why), against
// embedded PostgreSQL, s3rver and AuthHero. For every isolation mode and both storage modes:
// backup -> offboard -> restore writes the tenant file -> deploy -> restore fills it -> equal rows
// (checksums), objects (ETags), settings and organization.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { naming } from "../../../lib/naming";
import { backupCommand } from "../../../lib/operate/backup";
import { exportCommand } from "../../../lib/operate/export";
import { forgetCommand } from "../../../lib/operate/forget";
import { restoreCommand } from "../../../lib/operate/restore";
import { backupJson, backupManifest, latestBackup, listTenantBackups } from "../../../providers/backup/history";
import type { IdentitySnapshot } from "../../../providers/backup/identity";
import { backupConfiguration, retentionDays } from "../../../lib/lifecycle/places";
import { tenantPlaces, type TenantPlaces } from "../../../lib/operate/tenant-context";
import { takeBackup } from "../../../providers/backup/take";
import { createManagementClient } from "../../../providers/identity/client";
import { SUSPENDED_MEMBERS_KEY } from "../../../providers/identity/org-suspension";
import type { Isolation } from "../../../providers/postgres/target";
import { startAuthHero } from "../../harness/authhero";
import { S3RVER_CREDENTIALS, startS3 } from "../../harness/s3";
import { startServer } from "../postgres/setup";
import { CANARY, CELL, OpsProject, REGION, type Services } from "./project";

let services: Services;
let project: OpsProject;
const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };

beforeAll(async () => {
  const [server, s3, ah] = await Promise.all([startServer(), startS3(), startAuthHero()]);
  services = { server, s3, ah };
  // The commands use the AWS SDK's default credentials, as the deploy job hands them over.
  process.env.AWS_ACCESS_KEY_ID = S3RVER_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;
  project = new OpsProject(services);
  await project.prepare();
});
afterAll(async () => {
  process.env.AWS_ACCESS_KEY_ID = saved.id;
  process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
  if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
  if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
  project?.dispose();
  await Promise.all([services?.server.stop(), services?.s3.stop(), services?.ah.stop()]);
});

/** A backup as `tenancy backup` takes it, started at `now` (its key, and the retention's clock, from then). */
async function backUpAt(places: TenantPlaces, now: Date): Promise<string> {
  const taken = await takeBackup({
    target: places.target,
    store: places.backups,
    objects: places.objects,
    identity: places.identity,
    configuration: backupConfiguration(places.tenant) as unknown as Record<string, unknown>,
    retentionDays: retentionDays(places.tenant),
    reason: "on-demand",
    now,
  });
  return taken.manifest.key;
}

const OBJECTS = { "avatar.png": "not really a png", "exports/2026/11.csv": "id,amount\n1,250\n" };
const backupsBucket = () => naming.backupBucket("tnc-ops", REGION);
const store = () => ({ bucket: backupsBucket(), region: REGION, endpoint: services.s3.endpoint, forcePathStyle: true });

function tenantFile(id: string, isolation: Isolation, mode: "bucket" | "prefix") {
  return {
    id,
    name: `Tenant ${id}`,
    database: { isolation },
    storage: { mode, versioning: false, noncurrent_days: 30 },
    access: { admins: [`ops@${id}.example.com`, `cfo@${id}.example.com`] },
    settings: { features: { sso: true }, seats: 12 },
    backup: { retention_days: 7 },
  };
}

const COMBOS: [Isolation, "bucket" | "prefix"][] = [
  ["database", "bucket"],
  ["database", "prefix"],
  ["schema", "bucket"],
  ["schema", "prefix"],
  ["shared", "bucket"],
  ["shared", "prefix"],
];

describe.each(COMBOS)("isolation %s, storage %s", (isolation, mode) => {
  it("backup -> offboard -> restore (tenant file, deploy, fill) brings back equal rows, objects, settings and organization", async () => {
    const id = `ops-${isolation.slice(0, 2)}-${mode.slice(0, 1)}`;
    project.writeTenant(tenantFile(id, isolation, mode));
    const t = await project.deploy(id);
    await project.use(t, OBJECTS);
    const before = await project.fingerprint(t);
    expect(before.rows.projects.rows).toBe(12);
    expect(before.objects.map((o) => o.key)).toEqual(Object.keys(OBJECTS));
    expect(before.settings).toMatchObject({ features: { sso: true, audit_log: true }, seats: 12, branding: { color: "#2255aa" } });
    expect(before.organization?.members).toHaveLength(2);

    const backedUp = await backupCommand([id], project.options);
    expect(backedUp.exitCode).toBe(0);
    expect(backedUp.output).toMatch(new RegExp(`^${id}: s3://${backupsBucket()}/backups/${id}/[0-9T-]+Z/ verified \\(database \\d+ KiB at migration 3, 2 object version\\(s\\)\\)$`));
    const key = (await latestBackup(store(), id))!;
    expect((await backupManifest(store(), key)).missing).toEqual({});

    // Offboarded: every place emptied, its file gone from the catalog.
    await project.offboard(t);
    project.removeTenantFile(id);
    const gone = await project.fingerprint(t).catch((e: Error) => e);
    expect(gone instanceof Error || gone.organization === null).toBe(true);

    // 1. The file comes back from the backup's configuration, validated, and says how to fill it.
    const written = await restoreCommand(id, { ...project.options, from: "latest", cell: CELL, region: REGION });
    expect(written.exitCode).toBe(0);
    expect(written.output).toContain(`wrote tenants/${id}.yaml from ${key}`);
    expect(written.output).toContain(`npx tenancy restore ${id} --from ${key} --cell ${CELL} --region ${REGION}`);
    const again = project.tenant(id);
    expect({ settings: again.settings, database: again.database, storage: again.storage, access: again.access, backup: again.backup }).toEqual({
      settings: t.settings,
      database: t.database,
      storage: t.storage,
      access: t.access,
      backup: t.backup,
    });
    // 2. Deployed (pulumi up), then filled.
    await project.deploy(id);
    const filled = await restoreCommand(id, { ...project.options, from: key });
    expect(filled.exitCode).toBe(0);
    expect(filled.output).toMatch(new RegExp(`^restored ${key} into tenant ${id}: rows .*projects 12.*; 2 object version\\(s\\) written, 0 removed; 2 member\\(s\\) of the organization`));
    expect(await project.fingerprint(again)).toEqual(before);
    // The restored tenant works: its role reads its rows, and new rows get new ids.
    const session = await services.server.tenantClient(isolation, id, project.password(id));
    await session.query(`SET search_path TO ${isolation === "shared" ? naming.sharedSchema : naming.schema(id)}`);
    const { rows } = await session.query(`INSERT INTO projects (name) VALUES ('after restore') RETURNING id`);
    expect(Number(rows[0].id)).toBeGreaterThan(12);
    await session.end();

    // A second fill is refused: the place holds data now, and --replace is how to overwrite it.
    const refused = await restoreCommand(id, { ...project.options, from: key }).catch((e: Error) => e);
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).message).toMatch(/holds data already .*restore with --replace, which takes a backup of it first/);
  });
});

describe("backup of a suspended tenant", () => {
  it("keeps the members the suspension took out, marked suspended, and a restore gives them back", async () => {
    const id = "ops-suspended";
    project.writeTenant(tenantFile(id, "shared", "prefix"));
    const t = await project.deploy(id);
    const before = await project.fingerprint(t);
    expect(before.organization?.members).toEqual([
      { email: `cfo@${id}.example.com`, roles: ["tenant-admin", "tenant-member"] },
      { email: `ops@${id}.example.com`, roles: ["tenant-admin", "tenant-member"] },
    ]);
    await project.suspendOrganization(t);
    expect((await project.fingerprint(t)).organization?.members).toEqual([]);

    // Without the stack's record of the suspension, the organization's own (its metadata) holds them.
    const unstated = await backupCommand([id], { ...project.options, readOrganizations: () => new Map() });
    expect(unstated.exitCode).toBe(0);
    const unstatedManifest = await backupManifest(store(), (await latestBackup(store(), id))!);
    expect(unstatedManifest.missing).toEqual({});
    expect((await backupJson<IdentitySnapshot>(store(), unstatedManifest, "identity"))?.members).toEqual(before.organization!.members.map((m) => ({ ...m, suspended: true })));

    // An organization suspended before that record existed has only the state's: without it, the
    // backup says what it lacks.
    const { metadata } = await project.organizationRecord(t);
    const { [SUSPENDED_MEMBERS_KEY]: _record, ...older } = metadata;
    await project.setOrganizationMetadata(t, older);
    const blind = await backupCommand([id], { ...project.options, readOrganizations: () => new Map() });
    expect(blind.exitCode).toBe(0);
    expect(blind.output).toMatch(/ verified \(.*, without identity\)$/);
    expect((await backupManifest(store(), (await latestBackup(store(), id))!)).missing).toEqual({
      identity: expect.stringMatching(/^the organization was suspended: its members were taken out of it/),
    });

    // With it (the Organization's suspendedMembers, read from the stack), nothing is missing.
    const result = await backupCommand([id], project.options);
    expect(result.exitCode).toBe(0);
    expect(result.output).not.toContain("without");
    const key = (await latestBackup(store(), id))!;
    const manifest = await backupManifest(store(), key);
    expect(manifest.missing).toEqual({});
    const identity = await backupJson<IdentitySnapshot>(store(), manifest, "identity");
    expect(identity?.organization?.metadata.status).toBe("suspended");
    expect(identity?.members).toEqual(before.organization!.members.map((m) => ({ ...m, suspended: true })));

    // Offboarded, then restored (its file from the backup, deployed, filled): the members are back.
    await project.offboard(t);
    project.removeTenantFile(id);
    expect((await restoreCommand(id, { ...project.options, from: key, cell: CELL, region: REGION })).exitCode).toBe(0);
    const again = await project.deploy(id);
    const filled = await restoreCommand(id, { ...project.options, from: key });
    expect(filled.output).toContain("; 2 member(s) of the organization");
    expect((await project.fingerprint(again)).organization?.members).toEqual(before.organization?.members);
  });
});

describe("adopted organization", () => {
  it("is backed up, given its members back and checked by forget under its own name", async () => {
    const id = "ops-adopted";
    const adopted = "legacy-ops-adopted-org";
    project.writeTenant({ ...tenantFile(id, "schema", "prefix"), adopt: { organization: adopted } });
    const t = await project.deploy(id);
    await project.use(t, OBJECTS);
    const before = await project.fingerprint(t);
    expect(before.organization?.members).toHaveLength(2);

    expect((await backupCommand([id], project.options)).exitCode).toBe(0);
    const key = (await latestBackup(store(), id))!;
    const manifest = await backupManifest(store(), key);
    expect(manifest.missing).toEqual({});
    const identity = await backupJson<IdentitySnapshot>(store(), manifest, "identity");
    expect(identity?.organization?.name).toBe(adopted);
    expect(identity?.members).toEqual(before.organization?.members);

    // A member leaves the adopted organization; restore --replace gives them back there.
    const mc = createManagementClient(project.identity);
    const cp = services.ah.controlPlaneTenantId;
    const org = (await mc.listAll<{ id: string; name: string }>(cp, "list", "/organizations")).find((o) => o.name === adopted)!;
    const [leaving] = await mc.listAll<{ user_id: string }>(cp, "list", `/organizations/${org.id}/members`);
    await mc.request(cp, "remove a member", "DELETE", `/organizations/${org.id}/members`, { body: { members: [leaving.user_id] }, idempotent: false });
    expect((await project.fingerprint(t)).organization?.members).toHaveLength(1);
    const replaced = await restoreCommand(id, { ...project.options, from: key, replace: true });
    expect(replaced.output).toContain("; 2 member(s) of the organization");
    expect(await project.fingerprint(t)).toEqual(before);

    // Out of the catalog, still deployed: forget names the adopted organization, found from the backup.
    project.removeTenantFile(id);
    const left = await forgetCommand(id, { ...project.options, cell: CELL, region: REGION });
    expect(left.exitCode).toBe(1);
    expect(left.output).toMatch(new RegExp(`NOT EMPTY  organization ${adopted} on the control plane: exists, 2 member\\(s\\)`));
    expect(left.output).toMatch(new RegExp(`empty\\s+organization ${id} on the control plane: absent`));

    // Offboarded: both names are checked empty, and with the backups removed the tenant is forgotten.
    await project.offboard(t);
    const report = await forgetCommand(id, { ...project.options, cell: CELL, region: REGION, deleteBackups: true, format: "json" });
    const parsed = JSON.parse(report.output);
    expect(parsed.checks.filter((c: { place: string }) => c.place.startsWith("organization "))).toEqual([
      { place: `organization ${id} on the control plane`, empty: true, detail: "absent" },
      { place: `organization ${adopted} on the control plane`, empty: true, detail: "absent" },
    ]);
    expect(report.exitCode).toBe(0);
    expect(parsed.forgotten).toBe(true);
  });
});

describe("restore --replace", () => {
  it("takes a pre-restore backup of what it replaces, then replaces rows and objects", async () => {
    const id = "ops-replace";
    project.writeTenant(tenantFile(id, "schema", "prefix"));
    const t = await project.deploy(id);
    await project.use(t, OBJECTS);
    const before = await project.fingerprint(t);
    expect((await backupCommand([id], project.options)).exitCode).toBe(0);
    const key = (await latestBackup(store(), id))!;
    // The tenant goes on: more rows, an object changed, one added.
    await project.use(t, { "avatar.png": "changed", "new.txt": "new" });
    const changed = await project.fingerprint(t);
    expect(changed.rows.projects.rows).toBe(24);

    const replaced = await restoreCommand(id, { ...project.options, from: key, replace: true });
    expect(replaced.exitCode).toBe(0);
    expect(replaced.output).toMatch(/2 object version\(s\) written, 1 removed/);
    const safety = replaced.output.match(/what it replaced is in (backups\/\S+\/)/)![1];
    expect((await backupManifest(store(), safety)).reason).toBe("pre-restore");
    expect(await project.fingerprint(t)).toEqual(before);
  });
});

describe("clone (--as)", () => {
  it.each([["shared", "prefix"] as const, ["database", "bucket"] as const])("%s/%s: a new tenant file, deployed and filled, isolated from its source", async (isolation, mode) => {
    const source = `ops-src-${isolation.slice(0, 2)}`;
    const clone = `ops-cln-${isolation.slice(0, 2)}`;
    project.writeTenant({ ...tenantFile(source, isolation, mode), domains: { subdomain: `${source}-web` } });
    const t = await project.deploy(source);
    await project.use(t, OBJECTS);
    const before = await project.fingerprint(t);
    expect((await backupCommand([source], project.options)).exitCode).toBe(0);

    const written = await restoreCommand(source, { ...project.options, from: "latest", as: clone });
    expect(written.exitCode).toBe(0);
    const text = readFileSync(join(project.dir, `tenants/${clone}.yaml`), "utf8");
    expect(text).toMatch(/^# yaml-language-server: \$schema=\.\/tenant\.schema\.json\n# Written by tenancy restore from s3:\/\//);
    const c = project.tenant(clone);
    // Its own subdomain (the source's is unique to it), everything else as the source had it.
    expect(c.domains.subdomain).toBe(clone);
    expect({ settings: c.settings, database: c.database, storage: c.storage, access: c.access }).toEqual({ settings: t.settings, database: t.database, storage: t.storage, access: t.access });

    await project.deploy(clone);
    const filled = await restoreCommand(source, { ...project.options, from: "latest", as: clone });
    expect(filled.exitCode).toBe(0);
    expect(filled.output).toContain(`into tenant ${clone}`);
    const copy = await project.fingerprint(c);
    expect({ rows: copy.rows, objects: copy.objects, settings: copy.settings, members: copy.organization?.members }).toEqual({
      rows: before.rows,
      objects: before.objects,
      settings: before.settings,
      members: before.organization?.members,
    });
    expect(project.place(c).bucket + project.place(c).prefix).not.toBe(project.place(t).bucket + project.place(t).prefix);

    // Isolated: the clone's role sees none of the source's rows, and the source is unchanged.
    const session = await services.server.tenantClient(isolation, clone, project.password(clone));
    session.on("error", () => undefined);
    if (isolation === "shared") {
      await session.query(`SET search_path TO ${naming.sharedSchema}`);
      expect((await session.query(`SELECT count(*)::int AS n FROM projects WHERE tenant_id = $1`, [source])).rows[0].n).toBe(0);
      expect((await session.query(`SELECT count(*)::int AS n FROM projects`)).rows[0].n).toBe(12);
    } else {
      await expect(services.server.tenantClient(isolation, clone, project.password(clone), naming.database(source))).rejects.toThrow(/permission denied/);
    }
    await session.end();
    expect(await project.fingerprint(t)).toEqual(before);
  });

  it("refuses an id that is taken, a backup of another tenant, and bad ids, changing nothing", async () => {
    const taken = await restoreCommand("ops-src-sh", { ...project.options, from: "latest", as: "ops-cln-sh" }).catch((e: Error) => e);
    expect(taken).toBeInstanceOf(Error);
    expect((taken as Error).message).toMatch(/holds data already/);
    const other = await restoreCommand("ops-src-sh", { ...project.options, from: "backups/ops-src-da/2026-01-01T00-00-00-000Z/" });
    expect(other).toEqual({ output: expect.stringMatching(/is not a backup of tenant ops-src-sh: expected backups\/ops-src-sh\/<time>\/ or latest/), exitCode: 1 });
    expect(await restoreCommand("Bad_Id", { ...project.options, from: "latest" })).toMatchObject({ exitCode: 1, output: expect.stringMatching(/tenant id "Bad_Id" is not a tenant id/) });
    expect(await restoreCommand("nobody", { ...project.options, from: "latest" })).toMatchObject({ exitCode: 1, output: expect.stringMatching(/give --cell and --region/) });
  });
});

describe("export", () => {
  it.each(["csv", "json"] as const)("writes a portable archive (rows as %s, objects, settings, identity, manifest) that any tar reads", async (rows) => {
    const id = `ops-exp-${rows}`;
    project.writeTenant(tenantFile(id, rows === "csv" ? "shared" : "schema", rows === "csv" ? "prefix" : "bucket"));
    const t = await project.deploy(id);
    await project.use(t, OBJECTS);
    const out = join(mkdtempSync(join(tmpdir(), "tenancy-export-test-")), `${id}.tar.gz`);
    const result = await exportCommand(id, { ...project.options, out, rows });
    expect(result.exitCode).toBe(0);
    expect(result.output).toContain(`exported tenant ${id} to ${out}: 3 table(s), 2 object(s)`);

    const dir = mkdtempSync(join(tmpdir(), "tenancy-export-x-"));
    execFileSync("tar", ["-xzf", out, "-C", dir]);
    const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
    expect(manifest).toMatchObject({ format: "tenancy-export/1", tenant: id, rows });
    const paths = (manifest.files as { path: string }[]).map((f) => f.path).sort();
    expect(paths).toEqual(["identity.json", "objects/avatar.png", "objects/exports/2026/11.csv", "settings.json", `tables/invoices.${rows}`, `tables/projects.${rows}`, `tables/tenant_profile.${rows}`, "tenant.json"]);
    for (const f of manifest.files as { path: string; size: number; sha256: string }[]) {
      const body = readFileSync(join(dir, f.path));
      expect({ path: f.path, size: body.length, sha256: createHash("sha256").update(body).digest("hex") }).toEqual({ path: f.path, size: f.size, sha256: f.sha256 });
    }
    expect(readFileSync(join(dir, "objects/exports/2026/11.csv"), "utf8")).toBe(OBJECTS["exports/2026/11.csv"]);
    expect(JSON.parse(readFileSync(join(dir, "settings.json"), "utf8"))).toEqual(t.settings);
    const identity = JSON.parse(readFileSync(join(dir, "identity.json"), "utf8"));
    expect(identity.members.map((m: { email: string }) => m.email)).toEqual([`cfo@${id}.example.com`, `ops@${id}.example.com`]);
    const projects = readFileSync(join(dir, `tables/projects.${rows}`), "utf8");
    if (rows === "csv") {
      const lines = projects.trim().split("\r\n");
      expect(lines[0].split(",")).toContain("name");
      expect(lines).toHaveLength(13);
    } else {
      const parsed = JSON.parse(projects) as { name: string; tenant_id: string }[];
      expect(parsed).toHaveLength(12);
      expect(new Set(parsed.map((p) => p.tenant_id))).toEqual(new Set([id]));
    }
    // Nothing secret in it: no password of the tenant's role or the admin, no client secret.
    const all = readdirSync(dir, { recursive: true }).map(String).filter((p) => existsSync(join(dir, p)) && !p.endsWith("/"));
    for (const p of all) {
      let text = "";
      try {
        text = readFileSync(join(dir, p), "utf8");
      } catch {
        continue;
      }
      expect(text).not.toContain(CANARY);
      expect(text).not.toContain(services.ah.clientSecret);
    }
  });
});

describe("forget", () => {
  it("after export and offboarding with on_delete: delete, reports every place empty; before, names what is left", async () => {
    const id = "ops-forget";
    project.writeTenant({ ...tenantFile(id, "shared", "prefix"), lifecycle: { on_delete: "delete" } });
    const t = await project.deploy(id);
    await project.use(t, OBJECTS);
    const out = join(mkdtempSync(join(tmpdir(), "tenancy-forget-")), "export.tar.gz");
    expect((await exportCommand(id, { ...project.options, out })).exitCode).toBe(0);
    expect((await backupCommand([id], project.options)).exitCode).toBe(0);

    // Still in the catalog: refused.
    expect((await forgetCommand(id, { ...project.options, cell: CELL, region: REGION })).output).toMatch(/still in the catalog: offboard it first/);
    project.removeTenantFile(id);
    // Not yet offboarded: every place that holds something is named, exit 1.
    const early = await forgetCommand(id, { ...project.options, cell: CELL, region: REGION });
    expect(early.exitCode).toBe(1);
    for (const place of [`role ${naming.role(id)}`, `rows of ${id} in ${naming.sharedDatabase}`, `s3://tnc-ops-shared-${CELL}-${REGION}/tenants/${id}/`, `organization ${id}`, `s3://${backupsBucket()}/backups/${id}/`]) {
      expect(early.output).toMatch(new RegExp(`NOT EMPTY  [^\\n]*${place.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}`));
    }
    expect(early.output).toMatch(/tenant ops-forget is NOT forgotten$/);

    await project.offboard(t);
    // The backup taken earlier is still there: not forgotten until --delete-backups removes it.
    expect((await forgetCommand(id, { ...project.options, cell: CELL, region: REGION })).exitCode).toBe(1);
    const report = await forgetCommand(id, { ...project.options, cell: CELL, region: REGION, deleteBackups: true, format: "json" });
    expect(report.exitCode).toBe(0);
    const parsed = JSON.parse(report.output);
    expect(parsed).toMatchObject({ tenant: id, cell: CELL, region: REGION, forgotten: true });
    // Role, database, schema, shared rows; bucket, prefix; organization, identity tenant's entities; backups.
    expect(parsed.checks).toHaveLength(9);
    expect(parsed.checks.every((c: { empty: boolean }) => c.empty)).toBe(true);
    expect(await listTenantBackups(store(), id)).toEqual([]);
  });
});

describe("backup", () => {
  it("--cell backs up every tenant of the cell; retention removes backups older than backup.retention_days, never the latest", async () => {
    const result = await backupCommand([], { ...project.options, cell: CELL, reason: "scheduled" });
    expect(result.exitCode).toBe(0);
    const ids = project.tenantIds();
    expect(result.output.split("\n")).toHaveLength(ids.length);
    for (const id of ids) expect(result.output).toMatch(new RegExp(`^${id}: s3://\\S+ verified`, "m"));
    const [id] = ids;
    const key = (await latestBackup(store(), id))!;
    expect((await backupManifest(store(), key)).reason).toBe("scheduled");

    // Two backups from 10 and 5 days ago; backup.retention_days is 7 for these tenants.
    const places = tenantPlaces(project.tenant(id), project.config);
    const day = 86_400_000;
    const old = await backUpAt(places, new Date(Date.now() - 10 * day));
    const recent = await backUpAt(places, new Date(Date.now() - 5 * day));
    const keys = (await listTenantBackups(store(), id)).map((b) => b.key);
    expect(keys).toEqual(expect.arrayContaining([old, recent, key]));
    const next = await backupCommand([id], project.options);
    expect(next.output).toMatch(/; retention removed 1 older backup\(s\)$/);
    const kept = (await listTenantBackups(store(), id)).map((b) => b.key);
    expect(kept).not.toContain(old);
    expect(kept).toEqual(expect.arrayContaining([recent, key]));
    expect(kept.every((k) => k.startsWith(`backups/${id}/`))).toBe(true);
    expect(await backupCommand(["nobody"], project.options)).toMatchObject({ exitCode: 1, output: "not in the catalog: nobody; nothing was backed up" });
  });
});
