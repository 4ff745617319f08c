// runPlan end to end: the real program, evaluated under mocks, against catalogs read from a real
// git repository in a temporary directory.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { computePlan, FORMATS, formatPlan, runPlan } from "../../../lib/plan";

interface JsonPlan {
  errors: string[];
  counts: Record<string, number>;
  tenants: { id: string; action: string; summary: string[]; dataLoss: string[]; migration: { from: number; to: number; files: string[] } | null }[];
  resources: { tenant: string | null; type: string; name: string; urn: string; action: string; changedKeys: string[]; replace: boolean; dataLoss: boolean; data: boolean }[];
}

let repo: string;
/** A commit from before the catalog directory existed. */
let beforeCatalog: string;
/** A commit whose canary ring is at 2 (HEAD has 3). */
let canaryAtTwo: string;
const git = (...args: string[]) =>
  execFileSync("git", ["-c", "user.name=plan-test", "-c", "user.email=plan-test@example.com", ...args], { cwd: repo, encoding: "utf8" });

/** One evaluation, printed as json and text, with the exit code runPlan gives a plan (failures to plan are tested through runPlan). */
async function plan(base?: string) {
  const planned = await computePlan({ dir: "tenants", base, cwd: repo });
  const json = formatPlan(planned, "json");
  return { exitCode: planned.errors.length > 0 ? 1 : 0, output: json, json: JSON.parse(json) as JsonPlan, text: formatPlan(planned, "text") };
}

/** Runs `change` on a fresh copy of the committed catalog, then restores it. */
async function withChange<T>(change: () => void, run: () => Promise<T>): Promise<T> {
  change();
  try {
    return await run();
  } finally {
    git("checkout", "--", ".");
    git("clean", "-fdq");
  }
}

/**
 * Runs `run` with HEAD at `commit` (detached), then puts HEAD back on its branch: the plan reads its
 * base at the merge-base of the ref and HEAD, so a commit off HEAD is only its own base from there.
 */
async function atCommit<T>(commit: string, run: () => Promise<T>): Promise<T> {
  const branch = git("rev-parse", "--abbrev-ref", "HEAD").trim();
  git("checkout", "-q", "-f", "--detach", commit);
  try {
    return await run();
  } finally {
    git("checkout", "-q", "-f", branch);
  }
}

beforeAll(() => {
  repo = mkdtempSync(join(tmpdir(), "tenancy-plan-"));
  cpSync("tenants", join(repo, "tenants"), { recursive: true });
  git("init", "-q");
  writeFileSync(join(repo, "README.md"), "before the catalog\n");
  git("add", "README.md");
  git("commit", "-qm", "start");
  beforeCatalog = git("rev-parse", "HEAD").trim();
  cpSync("migrations", join(repo, "migrations"), { recursive: true });
  const defaults = join(repo, "tenants/_defaults.yaml");
  const original = readFileSync(defaults, "utf8");
  writeFileSync(defaults, original.replace("canary: 3,", "canary: 2,"));
  git("add", "tenants", "migrations");
  git("commit", "-qm", "catalog, canary ring at 2");
  canaryAtTwo = git("rev-parse", "HEAD").trim();
  writeFileSync(defaults, original);
  git("commit", "-qam", "raise the canary ring to 3");
});

afterAll(() => rmSync(repo, { recursive: true, force: true }));

describe("runPlan", () => {
  it("without a base, plans every tenant of the catalog as a create", async () => {
    const { exitCode, json } = await plan();
    expect(exitCode).toBe(0);
    expect(json.tenants.map((t) => [t.id, t.action])).toEqual([
      ["acme", "create"],
      ["acme-research", "create"],
      ["globex", "create"],
      ["initech", "create"],
      ["umbrella", "create"],
    ]);
    expect(json.resources.every((r) => r.action === "create")).toBe(true);
    expect(json.tenants.find((t) => t.id === "acme")!.summary).toEqual(
      expect.arrayContaining(["database", "bucket", "DNS", "certificate", "custom domain login.acme-corp.com"]),
    );
  });

  it("uses the cell's own stack file, and prints none of its secrets in any format", async () => {
    const canary = "canary-5b2f9e-stack-secret";
    const example = readFileSync(join(__dirname, "../../../Pulumi.example.yaml"), "utf8");
    expect(example).toContain("secure: v1:PLACEHOLDER");
    const stackFile = example.replace(/secure: v1:PLACEHOLDER[^\n]*/g, `secure: ${canary}`);
    const planned = await withChange(() => writeFileSync(join(repo, "Pulumi.default.yaml"), stackFile), () => computePlan({ dir: "tenants", cwd: repo }));
    expect(planned.errors).toEqual([]);
    for (const format of FORMATS) expect(formatPlan(planned, format)).not.toContain(canary);
    // Against HEAD (no stack file there) the stack file's values are updates, shown old → new: still none of its secrets.
    const updated = await withChange(() => writeFileSync(join(repo, "Pulumi.default.yaml"), stackFile), () => computePlan({ dir: "tenants", cwd: repo, base: "HEAD" }));
    expect(updated.tenants.some((t) => t.resources.some((c) => c.action === "update"))).toBe(true);
    for (const format of FORMATS) expect(formatPlan(updated, format)).not.toContain(canary);
    // The stack file is what the plan reads: one that lacks the tenants' server is refused, by name.
    const refused = await withChange(
      () => writeFileSync(join(repo, "Pulumi.default.yaml"), stackFile.replace(/\n {4}main:\n/g, "\n    other:\n")),
      () => runPlan({ dir: "tenants", format: "text", cwd: repo }),
    );
    expect(refused.exitCode).toBe(1);
    expect(refused.planned).toBe(false);
    expect(refused.output).toContain('tenants/acme.yaml: database.server "main" is not in tenancy:databaseServers (other)');
    // A stack file that would point the program at another cell or catalog is refused, as the program refuses it.
    for (const [line, message] of [
      ["  tenancy:cell: eu-9\n", 'tenancy:cell: "eu-9" is not this stack\'s name "default"'],
      ["  tenancy:tenantsDir: other\n", "tenancy:tenantsDir: the catalog is always tenants/ beside Pulumi.yaml"],
    ]) {
      const redirected = await withChange(
        () => writeFileSync(join(repo, "Pulumi.default.yaml"), stackFile.replace("config:\n", `config:\n${line}`)),
        () => runPlan({ dir: "tenants", format: "text", cwd: repo }),
      );
      expect(redirected.exitCode).toBe(1);
      expect(redirected.output).toContain(message);
    }
  });

  it("reads the stack file at the base ref too, so a change of stack config shows", async () => {
    const example = readFileSync(join(__dirname, "../../../Pulumi.example.yaml"), "utf8");
    const stackFile = example.replace("tenancy:baseDomain: saas.example.com", "tenancy:baseDomain: apps.example.org");
    const { json, sameAtRef } = await withChange(
      () => writeFileSync(join(repo, "Pulumi.default.yaml"), stackFile),
      async () => {
        // A commit off HEAD that holds the same stack file; the branch and index stay as they were.
        git("add", "Pulumi.default.yaml");
        const withStackFile = git("commit-tree", git("write-tree").trim(), "-p", "HEAD", "-m", "stack file").trim();
        git("reset", "-q");
        return { ...(await plan("HEAD")), sameAtRef: await atCommit(withStackFile, () => plan(withStackFile)) };
      },
    );
    // HEAD has no stack file (the example's domain); the working tree's has another.
    const dns = json.resources.filter((r) => r.name.endsWith("-dns") && r.type === "cloudflare:index/dnsRecord:DnsRecord");
    expect(dns.map((r) => r.tenant)).toEqual(["acme", "acme-research", "globex", "initech", "umbrella"]);
    expect(dns.every((r) => r.action === "update" && r.changedKeys.includes("name"))).toBe(true);
    expect(json.resources.some((r) => r.dataLoss)).toBe(false);
    // Against a commit with the same stack file, nothing changes.
    expect(sameAtRef.json.resources.every((r) => r.action === "same")).toBe(true);
  });

  it("against HEAD with nothing changed, plans nothing", async () => {
    const { exitCode, json } = await plan("HEAD");
    expect(exitCode).toBe(0);
    expect(json.counts.create + json.counts.update + json.counts.delete).toBe(0);
    expect(json.tenants.every((t) => t.action === "same")).toBe(true);
  });

  it("after deleting a tenant file, shows every one of its resources deleted and its data resources as data loss", async () => {
    const before = (await plan()).json.resources.filter((r) => r.tenant === "globex");
    const { exitCode, json, output, text } = await withChange(() => unlinkSync(join(repo, "tenants/globex.yaml")), () => plan("HEAD"));
    expect(exitCode).toBe(0);
    const deleted = json.resources.filter((r) => r.action === "delete");
    // globex is the only tenant in us-east-1, so that region's provider goes too.
    expect(deleted.filter((r) => r.tenant === "globex").map((r) => r.urn).sort()).toEqual(before.map((r) => r.urn).sort());
    expect(deleted.filter((r) => r.tenant !== "globex").map((r) => r.name)).toEqual(["aws-us-east-1"]);
    const lost = deleted.filter((r) => r.dataLoss).map((r) => r.type);
    expect(lost).toEqual(expect.arrayContaining(["aws:s3/bucket:Bucket", "postgresql:index/schema:Schema"]));
    // globex keeps no retained resource: every data resource deleted is flagged.
    expect(deleted.filter((r) => r.data).map((r) => r.type)).toEqual(lost);
    expect(json.resources.filter((r) => r.action !== "delete").every((r) => r.action === "same")).toBe(true);
    expect(output).not.toContain("ERROR");
    expect(text).toContain("!!! DATA LOSS: deletes bucket example-tenancy-globex");
    expect(text).toContain("!!! DATA LOSS: deletes schema tenant_globex");
  });

  it("shows a retained tenant's data as removed from the stack, not lost", async () => {
    const { json } = await withChange(() => unlinkSync(join(repo, "tenants/umbrella.yaml")), () => plan("HEAD"));
    const umbrella = json.resources.filter((r) => r.tenant === "umbrella");
    expect(umbrella.every((r) => r.action === "delete")).toBe(true);
    expect(umbrella.filter((r) => r.data).map((r) => r.type)).toEqual(["postgresql:index/database:Database"]);
    expect(umbrella.some((r) => r.dataLoss)).toBe(false);
  });

  it("refuses, with exit 1, to delete a tenant with deletion protection", async () => {
    const remove = () => {
      unlinkSync(join(repo, "tenants/acme.yaml"));
      unlinkSync(join(repo, "tenants/acme-research.yaml"));
    };
    const { exitCode, output, planned } = await withChange(remove, () => runPlan({ dir: "tenants", base: "HEAD", format: "text", cwd: repo }));
    expect(exitCode).toBe(1);
    // A plan was made, with an error in it: the CLI prints it as its result (stdout), for the PR comment.
    expect(planned).toBe(true);
    expect(output).toContain(
      "ERROR: tenant acme (tenants/acme.yaml) has lifecycle.deletion_protection: true and its file was removed; set deletion_protection to false in one change, then delete the file in the next",
    );
  });

  it("shows which inputs a suspension changes, and nothing else", async () => {
    const suspend = () => writeFileSync(join(repo, "tenants/initech.yaml"), "id: initech\nname: Initech\nplan: starter\nstatus: suspended\nrollout: { ring: early }\n");
    const { json } = await withChange(suspend, () => plan("HEAD"));
    const changed = json.resources.filter((r) => r.action !== "same");
    const byName = Object.fromEntries(changed.map((r) => [r.name, r]));
    expect(byName["initech-role@main"]).toMatchObject({ action: "update", changedKeys: ["login"] });
    expect(byName["initech-dns"]).toMatchObject({ action: "update", changedKeys: ["content"] });
    // Suspension touches no data resource, and no other tenant.
    expect(changed.every((r) => r.tenant === "initech" && r.action === "update" && !r.data)).toBe(true);
    expect(json.tenants.find((t) => t.id === "initech")!.action).toBe("update");
  });

  it("refuses a region move of a tenant in bucket mode whatever is acknowledged, carries out one through a prefix, and refuses a protected tenant's", async () => {
    const edit = (file: string, ...replacements: [string, string][]) => () => {
      const path = join(repo, "tenants", file);
      writeFileSync(path, replacements.reduce((text, [from, to]) => text.replace(from, to), readFileSync(path, "utf8")));
    };
    const region = edit("globex.yaml", ["region: us-east-1", "region: eu-west-1"]);
    const { exitCode, json, text } = await withChange(region, () => plan("HEAD"));
    expect(exitCode).toBe(1);
    const bucket = json.resources.find((r) => r.name === "globex-bucket")!;
    expect(bucket).toMatchObject({ action: "update", replace: true, dataLoss: true, changedKeys: ["options.provider"] });
    expect(text).toContain("    MOVE region us-east-1 → eu-west-1: copies every object, from its own bucket in us-east-1 into its own bucket in eu-west-1; maintenance: ");
    const refusal =
      "ERROR: globex: region us-east-1 → eu-west-1 cannot be carried out by pulumi up: its own bucket would have to move from us-east-1 to eu-west-1, " +
      "but S3 bucket names are global and a bucket cannot change region, so the new bucket (the same name) cannot exist next to the old one. " +
      "Instead, move it in two changes: storage.mode: prefix together with region: eu-west-1 (its objects go to the cell's shared bucket in eu-west-1), deployed; " +
      "then storage.mode: bucket (see docs/runbooks.md#moving-a-tenant). No acknowledgement lets this move through: --allow-data-loss cannot make it work\n";
    expect(text).toContain(refusal);
    // Acknowledging does not make the move work: still exit 1, and the acknowledgement is named as unused.
    const acknowledged = await withChange(region, () => runPlan({ dir: "tenants", base: "HEAD", format: "text", cwd: repo, allowDataLoss: ["globex"] }));
    expect(acknowledged.exitCode).toBe(1);
    expect(acknowledged.output).toContain(refusal);
    expect(acknowledged.output).toContain("acknowledged (--allow-data-loss globex): globex: nothing in this plan needs --allow-data-loss globex; remove it");
    // The first of the two changes the refusal asks for: into the new region's shared bucket, carried out.
    const viaPrefix = await withChange(edit("globex.yaml", ["region: us-east-1", "region: eu-west-1"], ["mode: bucket", "mode: prefix"]), () => plan("HEAD"));
    expect(viaPrefix.exitCode).toBe(0);
    expect(viaPrefix.text).toContain(
      "    MOVE region us-east-1 → eu-west-1: copies every object, from its own bucket in us-east-1 into its prefix of the cell's shared bucket in eu-west-1\n",
    );
    expect(viaPrefix.text).toContain("    old place: deletes bucket example-tenancy-globex once the move has copied its data\n");
    // acme is protected: refused as a move (once, not again per protected resource), and as a bucket changing region.
    const refused = await withChange(edit("acme.yaml", ["region: eu-west-1", "region: eu-central-1"]), () => runPlan({ dir: "tenants", base: "HEAD", format: "text", cwd: repo }));
    expect(refused.exitCode).toBe(1);
    expect(refused.output).toContain("ERROR: acme: region eu-west-1 → eu-central-1 cannot be carried out by pulumi up: its own bucket would have to move");
    expect(refused.output).toContain("ERROR: acme: region eu-west-1 → eu-central-1 cannot be carried out by pulumi up: the tenant has lifecycle.deletion_protection: true at the base");
    expect(refused.output).not.toContain("is protected (deletion_protection) and this change would");
  });

  it("shows exactly the tenants of a raised ring migrating, from which version to which", async () => {
    const { exitCode, json, text } = await plan(canaryAtTwo);
    expect(exitCode).toBe(0);
    const migrating = json.tenants.filter((t) => t.migration).map((t) => [t.id, t.migration!.from, t.migration!.to, t.migration!.files]);
    expect(migrating).toEqual([["acme", 2, 3, ["0003_invoices.sql"]]]);
    expect(json.tenants.filter((t) => t.action !== "same").map((t) => t.id)).toEqual(["acme"]);
    expect(text).toContain("~ acme: migrations 2→3\n    runs 0003_invoices.sql\n");
  });

  it("shows a cell move as deletion from one stack and creation in the other", async () => {
    const move = () => {
      const path = join(repo, "tenants/initech.yaml");
      writeFileSync(path, `${readFileSync(path, "utf8")}cell: eu-2\n`);
      const cells = join(repo, "tenants/_cells.yaml");
      writeFileSync(cells, readFileSync(cells, "utf8").replace("database_servers:", "  eu-2:\n    regions: [eu-west-1]\n\ndatabase_servers:"));
    };
    const refused = await withChange(move, () => runPlan({ dir: "tenants", base: "HEAD", format: "text", cwd: repo }));
    expect(refused.exitCode).toBe(1);
    expect(refused.output).toContain("ERROR: initech: moving from cell default deletes ");
    expect(refused.output).toContain("acknowledge with --allow-cell-move initech once it is");
    const { exitCode, json, text } = await withChange(move, async () => {
      const planned = await computePlan({ dir: "tenants", base: "HEAD", cwd: repo, allowCellMove: ["initech"] });
      return { exitCode: planned.errors.length > 0 ? 1 : 0, json: JSON.parse(formatPlan(planned, "json")) as JsonPlan, text: formatPlan(planned, "text") };
    });
    expect(exitCode).toBe(0);
    expect((json as JsonPlan & { cells: string[] }).cells).toEqual(["default", "eu-2"]);
    const initech = json.resources.filter((r) => r.tenant === "initech");
    const cellOf = (r: { urn: string }) => r.urn.split("::")[0].replace("urn:pulumi:", "");
    expect(initech.filter((r) => r.action === "delete").every((r) => cellOf(r) === "default")).toBe(true);
    expect(initech.filter((r) => r.action === "create").every((r) => cellOf(r) === "eu-2")).toBe(true);
    expect(initech.filter((r) => r.action === "delete").map((r) => r.name).sort()).toEqual(initech.filter((r) => r.action === "create").map((r) => r.name).sort());
    expect(text).toContain("    moves from cell default to eu-2: deleted by the default stack, created anew by the eu-2 stack\n");
  });

  it("runs as `npm run plan` does: the CLI under tsx, whose module interop dynamic-provider serialization must survive", () => {
    const root = join(__dirname, "../../..");
    const out = execFileSync(process.execPath, ["--import", "tsx", "lib/cli/main.ts", "plan", "--format", "json"], { cwd: root, encoding: "utf8" });
    const doc = JSON.parse(out) as JsonPlan;
    expect(doc.errors).toEqual([]);
    expect(doc.tenants.map((t) => t.id)).toEqual(["acme", "acme-research", "globex", "initech", "umbrella"]);
    expect(doc.resources.every((r) => r.action === "create")).toBe(true);
  });

  it("exits 1 with located errors on an invalid catalog, and plans nothing", async () => {
    const { exitCode, output } = await withChange(
      () => writeFileSync(join(repo, "tenants/initech.yaml"), "id: initech\nname: Initech\nplan: platinum\n"),
      () => runPlan({ dir: "tenants", base: "HEAD", format: "json", cwd: repo }),
    );
    expect(exitCode).toBe(1);
    expect(output).toMatch(/^tenancy plan: the tenant catalog is invalid \(1 error\(s\)\):\ntenants\/initech\.yaml:3:7 plan: unknown plan "platinum"/);
  });

  it("exits 1 with located errors when the catalog at the base ref is invalid", async () => {
    const broken = await withChange(
      () => writeFileSync(join(repo, "tenants/initech.yaml"), "id: initech\nname: Initech\nplan: platinum\n"),
      async () => {
        git("add", "tenants/initech.yaml");
        const commit = git("commit-tree", git("write-tree").trim(), "-p", "HEAD", "-m", "broken").trim();
        git("reset", "-q");
        const valid = git("show", "HEAD:tenants/initech.yaml");
        return {
          commit,
          result: await atCommit(commit, () => {
            writeFileSync(join(repo, "tenants/initech.yaml"), valid); // the working tree's catalog is valid
            return runPlan({ dir: "tenants", base: commit, format: "text", cwd: repo });
          }),
        };
      },
    );
    expect(broken.result.exitCode).toBe(1);
    expect(broken.result.output).toContain(`the tenant catalog at ${broken.commit} is invalid (1 error(s)):\ntenants/initech.yaml:3:7 plan: unknown plan "platinum"`);
  });

  it("exits 1 naming a base ref that does not exist", async () => {
    const { exitCode, output } = await runPlan({ dir: "tenants", base: "no-such-branch", format: "text", cwd: repo });
    expect(exitCode).toBe(1);
    expect(output).toContain('git revision "no-such-branch" not found');
  });

  it("compares with the merge-base of --base and HEAD: a tenant onboarded on the base branch since is not a deletion", async () => {
    const stark = "id: stark\nname: Stark Industries\nplan: starter\nlifecycle: { deletion_protection: false, on_delete: delete }\n";
    // The base branch moved on after this branch was cut: it onboarded stark.
    const ahead = await withChange(
      () => writeFileSync(join(repo, "tenants/stark.yaml"), stark),
      async () => {
        git("add", "tenants/stark.yaml");
        const commit = git("commit-tree", git("write-tree").trim(), "-p", "HEAD", "-m", "onboard stark").trim();
        git("reset", "-q");
        return commit;
      },
    );
    git("branch", "-f", "main-ahead", ahead);
    // This branch suspends initech.
    const suspend = () => writeFileSync(join(repo, "tenants/initech.yaml"), "id: initech\nname: Initech\nplan: starter\nstatus: suspended\nrollout: { ring: early }\n");
    const { exitCode, json, text } = await withChange(suspend, () => plan("main-ahead"));
    expect(json.tenants.filter((t) => t.action !== "same").map((t) => [t.id, t.action])).toEqual([["initech", "update"]]);
    expect(json.resources.some((r) => r.tenant === "stark")).toBe(false);
    expect(exitCode).toBe(0);
    const head = git("rev-parse", "HEAD").trim();
    expect(text.split("\n")[0]).toBe(`Tenancy plan against main-ahead (merge-base ${head.slice(0, 12)}); cells: default`);
    // A ref that is an ancestor of HEAD is its own merge-base.
    expect((await plan(canaryAtTwo)).text.split("\n")[0]).toBe(`Tenancy plan against ${canaryAtTwo}; cells: default`);
  });

  it("refuses offboarding a tenant whose on_delete is not backup, unless acknowledged", async () => {
    const initech = readFileSync(join(repo, "tenants/initech.yaml"), "utf8");
    const deletable = await withChange(
      () => writeFileSync(join(repo, "tenants/initech.yaml"), `${initech}lifecycle: { deletion_protection: false, on_delete: delete }\n`),
      async () => {
        git("add", "tenants/initech.yaml");
        const commit = git("commit-tree", git("write-tree").trim(), "-p", "HEAD", "-m", "initech on_delete: delete").trim();
        git("reset", "-q");
        return commit;
      },
    );
    const offboard = (allowDataLoss?: string[]) =>
      atCommit(deletable, async () => {
        unlinkSync(join(repo, "tenants/initech.yaml"));
        return runPlan({ dir: "tenants", base: deletable, format: "text", cwd: repo, allowDataLoss });
      });
    const refused = await offboard();
    expect(refused.exitCode).toBe(1);
    expect(refused.output).toMatch(
      /ERROR: initech: offboarding deletes \S.* without a backup \(lifecycle\.on_delete: delete\); set on_delete: backup \(or retain\) in the tenant file and deploy that first, or acknowledge with --allow-data-loss initech\n/,
    );
    const accepted = await offboard(["initech"]);
    expect(accepted.exitCode).toBe(0);
    expect(accepted.output).toContain("acknowledged (--allow-data-loss initech): initech: offboarding deletes");
    // With on_delete: backup (initech's default) the same offboarding passes: the backup comes first.
    const backedUp = await withChange(() => unlinkSync(join(repo, "tenants/initech.yaml")), () => runPlan({ dir: "tenants", base: "HEAD", format: "text", cwd: repo }));
    expect(backedUp.exitCode).toBe(0);
  });

  it("shows an isolation or storage change as a move, from → to with what is copied and its maintenance, carried out by pulumi up", async () => {
    const move = () => writeFileSync(join(repo, "tenants/initech.yaml"), `${readFileSync(join(repo, "tenants/initech.yaml"), "utf8")}database: { isolation: schema, server: main }\nstorage: { mode: bucket, versioning: false, noncurrent_days: 30 }\n`);
    const { exitCode, text, json } = await withChange(move, () => plan("HEAD"));
    expect(exitCode).toBe(0);
    const unknown = "maintenance: size not known to the plan: the time to copy its rows and objects, about 5 MB/s plus 1 s; pass --sizes to estimate";
    expect(text).toContain(
      `    MOVE database.isolation shared → schema: copies every row of the tenant, from its rows in the shared schema on server main into its schema on server main; ${unknown}\n` +
        // One maintenance for the tenant: one TenantMove carries all its keys at once.
        `    MOVE storage.mode prefix → bucket: copies every object, from its prefix of the cell's shared bucket in eu-west-1 into its own bucket in eu-west-1\n`,
    );
    expect(text).not.toContain("ERROR");
    expect((json as unknown as { tenants: { id: string; moves: { key: string }[] }[] }).tenants.find((t) => t.id === "initech")!.moves.map((m) => m.key)).toEqual([
      "database.isolation",
      "storage.mode",
    ]);
    // A carried move needs no acknowledgement: one given is named as unused.
    const acknowledged = await withChange(move, () => runPlan({ dir: "tenants", base: "HEAD", format: "text", cwd: repo, allowDataLoss: ["initech"] }));
    expect(acknowledged.exitCode).toBe(0);
    expect(acknowledged.output).toContain("acknowledged (--allow-data-loss initech): initech: nothing in this plan needs --allow-data-loss initech; remove it");
  });

  it("estimates a move's maintenance from --sizes, and refuses a sizes file it cannot use, saying where and why", async () => {
    const move = () => writeFileSync(join(repo, "tenants/initech.yaml"), `${readFileSync(join(repo, "tenants/initech.yaml"), "utf8")}database: { isolation: schema, server: main }\n`);
    const sizes = (text: string) => {
      writeFileSync(join(repo, "sizes.json"), text);
      return runPlan({ dir: "tenants", base: "HEAD", format: "json", cwd: repo, sizes: "sizes.json" });
    };
    const sized = await withChange(move, () => sizes('{ "initech": 280000000, "acme": 5 }'));
    expect(sized.exitCode).toBe(0);
    const initech = (JSON.parse(sized.output) as { tenants: { id: string; moves: { maintenance: string; bytes?: number }[] }[] }).tenants.find((t) => t.id === "initech")!;
    expect(initech.moves).toMatchObject([{ maintenance: "about 1 min (280 MB of rows and objects at about 5 MB/s, plus 1 s)", bytes: 280000000 }]);
    const unknownId = await withChange(move, () => sizes('{\n  "initech": 1,\n  "inittech": 2\n}'));
    expect(unknownId).toMatchObject({ exitCode: 1, planned: false });
    expect(unknownId.output).toContain('\nsizes.json:3:3 inittech: no tenant inittech in the catalog (now or at the base); did you mean "initech"?; sizes are by tenant id\n');
    const missing = await runPlan({ dir: "tenants", base: "HEAD", format: "text", cwd: repo, sizes: "no-such.json" });
    expect(missing).toMatchObject({ exitCode: 1, planned: false });
    expect(missing.output).toBe("tenancy plan: --sizes no-such.json: cannot read it (ENOENT); give the path of a JSON file of tenant id to size in bytes\n");
  });

  it("refuses lowering a ring below applied versions, naming the down files and what they destroy, unless acknowledged", async () => {
    const lower = () => {
      const path = join(repo, "tenants/_defaults.yaml");
      writeFileSync(path, readFileSync(path, "utf8").replace("canary: 3,", "canary: 2,"));
    };
    const refused = await withChange(lower, () => runPlan({ dir: "tenants", base: "HEAD", format: "text", cwd: repo }));
    expect(refused.exitCode).toBe(1);
    expect(refused.output).toContain("    destructive: 0003_invoices.down.sql:2 DROP TABLE invoices (drop table; intended: the down of 0003");
    expect(refused.output).toContain(
      "ERROR: acme: lowering migrations 3→2 runs 0003_invoices.down.sql on data it already has (DROP TABLE invoices); keep ring canary's version, or acknowledge with --allow-data-loss acme\n",
    );
    const accepted = await withChange(lower, () => runPlan({ dir: "tenants", base: "HEAD", format: "markdown", cwd: repo, allowDataLoss: ["acme"] }));
    expect(accepted.exitCode).toBe(0);
    expect(accepted.output).toContain(
      "> - acme: 0003_invoices.down.sql:2 DROP TABLE invoices (drop table; intended: the down of 0003: invoices exist only from 0003 on, and lowering a tenant is acknowledged in its plan)\n",
    );
  });

  it("refuses a catalog that loses a file: moved into a subfolder, or renamed with its id", async () => {
    const nested = await withChange(
      () => {
        mkdirSync(join(repo, "tenants/eu"));
        renameSync(join(repo, "tenants/initech.yaml"), join(repo, "tenants/eu/initech.yaml"));
      },
      () => runPlan({ dir: "tenants", base: "HEAD", format: "text", cwd: repo }),
    );
    expect(nested.exitCode).toBe(1);
    expect(nested.output).toContain(
      "ERROR: tenants/eu/initech.yaml holds id: initech, but the catalog reads only files directly in tenants/, so tenant initech (tenants/initech.yaml at the base) would be deleted with its data; move the file back to tenants/initech.yaml\n",
    );
    const renamed = await withChange(
      () => {
        const text = readFileSync(join(repo, "tenants/globex.yaml"), "utf8");
        unlinkSync(join(repo, "tenants/globex.yaml"));
        writeFileSync(join(repo, "tenants/globex-corp.yaml"), text.replace("id: globex", "id: globex-corp"));
      },
      () => runPlan({ dir: "tenants", base: "HEAD", format: "text", cwd: repo }),
    );
    expect(renamed.exitCode).toBe(1);
    expect(renamed.output).toContain(
      "ERROR: tenants/globex-corp.yaml looks like tenants/globex.yaml renamed (id globex → globex-corp): a tenant's id cannot change, so the plan would delete globex with its data and create globex-corp empty",
    );
    // A stray file in a subfolder is named too, even when no tenant depends on it.
    const stray = await withChange(
      () => {
        mkdirSync(join(repo, "tenants/drafts"));
        writeFileSync(join(repo, "tenants/drafts/hooli.yaml"), "id: hooli\nname: Hooli\nplan: starter\n");
      },
      () => runPlan({ dir: "tenants", format: "text", cwd: repo }),
    );
    expect(stray.exitCode).toBe(1);
    expect(stray.output).toContain("ERROR: tenants/drafts/hooli.yaml is in a subfolder of tenants/, which the catalog does not read");
  });

  it("treats a base without the catalog directory as empty: everything is a create", async () => {
    const { exitCode, json } = await plan(beforeCatalog);
    expect(exitCode).toBe(0);
    expect(json.resources.length).toBe((await plan()).json.resources.length);
    expect(json.resources.every((r) => r.action === "create")).toBe(true);
  });
});
