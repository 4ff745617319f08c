import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cellsCommand, formatErrors, listCommand, newCommand, table, validateCommand } from "../../../lib/cli/commands";
import { main } from "../../../lib/cli/main";
import { leastLoadedCell } from "../../../lib/cells";

const root = join(__dirname, "../../..");
const examples = join(root, "tenants");
let dir: string;

beforeEach(() => {
  dir = join(mkdtempSync(join(tmpdir(), "tenancy-cli-")), "tenants");
  cpSync(examples, dir, { recursive: true });
});
afterEach(() => rmSync(join(dir, ".."), { recursive: true, force: true }));

/** Declares another cell in the copy's _cells.yaml. */
function declareCell(cell: string, region: string): void {
  const path = join(dir, "_cells.yaml");
  writeFileSync(path, readFileSync(path, "utf8").replace("database_servers:", `  ${cell}:\n    regions: [${region}]\n\ndatabase_servers:`));
}

describe("tenancy validate", () => {
  it("exits 0 on the example catalog", () => {
    const result = validateCommand(examples, "text");
    expect(result.exitCode).toBe(0);
    expect(result.output).toMatch(/\d+ tenant\(s\), catalog valid/);
  });

  it("prints every error with file:line:col and exits 1", () => {
    writeFileSync(join(dir, "globex.yaml"), "id: globex\nname: Globex\ndatabase: { isolation: databse }\nparnet: acme\n");
    const result = validateCommand(dir, "text");
    expect(result.exitCode).toBe(1);
    expect(result.output.split("\n")).toEqual([
      `${dir}/globex.yaml:3:24 database.isolation: expected one of database|schema|shared, got "databse"; did you mean "database"?`,
      `${dir}/globex.yaml:4:1 parnet: unknown key "parnet"; did you mean "parent"? (allowed: id, name, friendly_name, status, plan, cell, region, parent, database, storage, domains, access, rollout, settings, lifecycle, hooks, backup, adopt_retained, adopt)`,
      "2 error(s) in the catalog; nothing was changed",
    ]);
  });

  it("emits GitHub annotations with properties escaped", () => {
    const out = formatErrors([{ file: "tenants/a,b.yaml", line: 3, col: 7, path: "plan", message: "50% off\nnope" }], "github");
    expect(out).toBe("::error file=tenants/a%2Cb.yaml,line=3,col=7,title=tenant catalog::plan: 50%25 off%0Anope");
  });

  it("emits JSON that a machine can read back", () => {
    writeFileSync(join(dir, "initech.yaml"), "id: initech\nname: Initech\nplan: gold\n");
    const result = validateCommand(dir, "json");
    const parsed = JSON.parse(result.output);
    expect(parsed.valid).toBe(false);
    expect(parsed.errors).toEqual([
      { file: `${dir}/initech.yaml`, line: 3, col: 7, path: "plan", message: 'unknown plan "gold"; expected one of starter|pro|enterprise' },
    ]);
  });
});

describe("tenancy new", () => {
  it("creates a file that validates, with the schema comment", () => {
    const result = newCommand({ dir, id: "beta", name: "Beta Ltd" });
    expect(result).toEqual({ output: `created ${dir}/beta.yaml`, exitCode: 0 });
    const text = readFileSync(join(dir, "beta.yaml"), "utf8");
    expect(text).toBe("# yaml-language-server: $schema=./tenant.schema.json\nid: beta\nname: Beta Ltd\n");
    expect(validateCommand(dir, "text").exitCode).toBe(0);
  });

  it("refuses an existing id, an invalid id, and a file that would not validate, writing nothing", () => {
    expect(newCommand({ dir, id: "acme" })).toEqual({ output: `${dir}/acme.yaml already exists; edit it instead`, exitCode: 1 });
    expect(newCommand({ dir, id: "Bad_Id" }).exitCode).toBe(1);
    expect(existsSync(join(dir, "Bad_Id.yaml"))).toBe(false);
    const reserved = newCommand({ dir, id: "www" });
    expect(reserved.exitCode).toBe(1);
    expect(reserved.output).toContain('subdomain "www" is reserved');
    expect(existsSync(join(dir, "www.yaml"))).toBe(false);
    const badPlan = newCommand({ dir, id: "gamma", plan: "gold" });
    expect(badPlan.exitCode).toBe(1);
    expect(existsSync(join(dir, "gamma.yaml"))).toBe(false);
  });

  it("places the tenant with the given placement function when no cell is named", () => {
    declareCell("us-1", "us-east-1");
    const result = newCommand({ dir, id: "delta", region: "us-east-1", placeCell: (_catalog, region) => (region === "us-east-1" ? "us-1" : "x") });
    expect(result.exitCode).toBe(0);
    expect(readFileSync(join(dir, "delta.yaml"), "utf8")).toContain("cell: us-1\n");
  });

  it("places only into declared cells: refuses an invented cell, and a region no declared cell holds", () => {
    const invented = newCommand({ dir, id: "delta", cell: "us-1", placeCell: leastLoadedCell });
    expect(invented.exitCode).toBe(1);
    expect(invented.output).toContain(`${dir}/delta.yaml:4:7 cell: no cell "us-1" is declared (cells in _cells.yaml: default)`);
    const nowhere = newCommand({ dir, id: "delta", region: "ap-south-1", placeCell: leastLoadedCell });
    expect(nowhere).toEqual({ output: `no cell declared in ${dir}/_cells.yaml holds region ap-south-1; declare one there (cells.<name>.regions) or name one with --cell`, exitCode: 1 });
    expect(existsSync(join(dir, "delta.yaml"))).toBe(false);
    // Declared, and empty: the least loaded cell of its region.
    declareCell("us-1", "us-east-1");
    expect(newCommand({ dir, id: "delta", region: "us-east-1", placeCell: leastLoadedCell })).toEqual({ output: `created ${dir}/delta.yaml (cell us-1)`, exitCode: 0 });
  });
});

describe("tenancy list", () => {
  it("lists id, status, plan, cell, isolation and subdomain", () => {
    const rows = JSON.parse(listCommand(examples, "json").output) as Record<string, string>[];
    expect(rows.find((r) => r.id === "umbrella")).toEqual({ id: "umbrella", status: "suspended", plan: "pro", cell: "default", isolation: "database", subdomain: "umbrella" });
    expect(rows.map((r) => r.id)).toEqual([...rows.map((r) => r.id)].sort());
  });

  it("aligns a text table", () => {
    expect(table([{ id: "a", plan: "enterprise" }, { id: "long-id", plan: "pro" }])).toBe("ID       PLAN\na        enterprise\nlong-id  pro");
  });
});

describe("the bin", () => {
  it("runs as `tenancy` with exit codes 0, 1 and 2", () => {
    const bin = join(root, "bin/tenancy.js");
    expect(execFileSync("node", [bin, "validate", "--dir", examples], { encoding: "utf8" })).toMatch(/catalog valid/);
    writeFileSync(join(dir, "acme.yaml"), "id: acme\n");
    const bad = spawnSync("node", [bin, "validate", "--dir", dir, "--format", "github"], { encoding: "utf8" });
    expect(bad.status).toBe(1);
    // A machine format is the result, valid or not: stdout only.
    expect(bad.stdout).toContain(`::error file=${dir}/acme.yaml,line=1,col=1,title=tenant catalog::name: missing; expected a string`);
    expect(bad.stderr).toBe("");
    const json = spawnSync("node", [bin, "validate", "--dir", dir, "--format", "json"], { encoding: "utf8" });
    expect(json.status).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ valid: false, errors: [{ file: `${dir}/acme.yaml`, path: "name" }] });
    expect(json.stderr).toBe("");
    expect(spawnSync("node", [bin, "no-such-command"], { encoding: "utf8" }).status).toBe(2);
  });

  it("says warnings on stderr beside the result on stdout, and fails on them with --strict", () => {
    const bin = join(root, "bin/tenancy.js");
    const path = join(dir, "_cells.yaml");
    writeFileSync(path, readFileSync(path, "utf8").replace("resource_budget: 2000", "resource_budget: 10"));
    const warned = spawnSync("node", [bin, "validate", "--dir", dir], { encoding: "utf8" });
    expect(warned.status).toBe(0);
    expect(warned.stdout).toBe(`${dir}: 5 tenant(s), catalog valid\n`);
    expect(warned.stderr).toMatch(/^warning: .*_cells\.yaml:8:22 cells\.default\.resource_budget: cell default holds about/);
    expect(spawnSync("node", [bin, "validate", "--dir", dir, "--strict"], { encoding: "utf8" }).status).toBe(1);
  });

  it("prints its version", () => {
    const version = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version;
    const out = spawnSync("node", [join(root, "bin/tenancy.js"), "--version"], { encoding: "utf8", cwd: tmpdir() });
    expect(out.status).toBe(0);
    expect(out.stdout.trim()).toBe(version);
  });

  it("works from any directory of the project, and says what is wrong outside one", () => {
    const bin = join(root, "bin/tenancy.js");
    for (const sub of ["docs", "tenants", "lib/cli"]) {
      const out = spawnSync("node", [bin, "validate"], { encoding: "utf8", cwd: join(root, sub) });
      expect(out.status, sub).toBe(0);
      expect(out.stdout).toMatch(/^tenants: \d+ tenant\(s\), catalog valid/);
    }
    // A --dir given in a subdirectory is relative to where it was given.
    const fromDocs = spawnSync("node", [bin, "list", "--dir", "../tenants", "--format", "json"], { encoding: "utf8", cwd: join(root, "docs") });
    expect(fromDocs.status).toBe(0);
    expect(JSON.parse(fromDocs.stdout).length).toBeGreaterThan(0);
    const outside = spawnSync("node", [bin, "validate"], { encoding: "utf8", cwd: tmpdir() });
    expect(outside.status).toBe(2);
    expect(outside.stderr).toBe(`tenancy: no Pulumi.yaml in ${tmpdir()} or any directory above it; run tenancy inside the project (the directory of Pulumi.yaml and tenants/, or below it)\n`);
    expect(outside.stderr).not.toMatch(/ENOENT/);
  });

  it("plan --sizes: reads the file relative to where it was given, and refuses a bad one before evaluating anything", () => {
    const file = join(dir, "..", "sizes.json");
    writeFileSync(file, '{ "nobody": 1 }');
    const out = spawnSync("node", [join(root, "bin/tenancy.js"), "plan", "--quiet", "--sizes", relative(join(root, "docs"), file)], { encoding: "utf8", cwd: join(root, "docs") });
    expect(out.status).toBe(1);
    expect(out.stderr).toContain(`\n${file}:1:3 nobody: no tenant nobody in the catalog (now or at the base); sizes are by tenant id\n`);
  });

  it("prints no colour: every output is plain text, even when colour is forced", () => {
    const bin = join(root, "bin/tenancy.js");
    for (const args of [["--help"], ["validate", "--help"], ["validate"], ["no-such-command"]]) {
      const out = spawnSync("node", [bin, ...args], { encoding: "utf8", cwd: root, env: { ...process.env, FORCE_COLOR: "1" } });
      expect(`${out.stdout}${out.stderr}`, args.join(" ")).not.toMatch(/\x1b\[/);
    }
  });

  it("main() returns the command's exit code", async () => {
    expect(await main(["validate", "--dir", examples, "--format", "github"])).toBe(0);
  });
});

describe("tenancy cells and validate --base", () => {
  it("prints the load of each cell and the budget, warning past it", () => {
    const ok = cellsCommand(examples);
    expect(ok.exitCode).toBe(0);
    expect(ok.output).toMatch(/^CELL\s+TENANTS\s+RESOURCES\s+BUDGET/);
    expect(ok.output).toMatch(/^default\s+5\s+\d+\s+\d+% of 2000\s+eu-central-1,eu-west-1,us-east-1\s+acme,/m);
    expect(ok.output).not.toContain("warning:");
    expect(cellsCommand(examples, 10).output).toMatch(/warning: cell default holds about \d+ resources \(\d+ tenants\), past its budget of 10 per stack/);
  });

  it("lists the cells that hold tenants as a matrix, and every declared cell as JSON", () => {
    declareCell("us-1", "us-east-1");
    expect(cellsCommand(dir, undefined, "matrix")).toEqual({ output: '{"include":[{"cell":"default","stack":"default"}]}', exitCode: 0 });
    const json = JSON.parse(cellsCommand(dir, undefined, "json").output);
    expect(json.cells.map((c: { cell: string; tenants: string[] }) => [c.cell, c.tenants.length])).toEqual([["default", 5], ["us-1", 0]]);
  });

  it("warns past a cell's budget at its line in _cells.yaml, and fails with --strict", () => {
    const path = join(dir, "_cells.yaml");
    writeFileSync(path, readFileSync(path, "utf8").replace("resource_budget: 2000", "resource_budget: 10"));
    const where = `${dir}/_cells.yaml:8:22 cells.default.resource_budget`;
    const warned = validateCommand(dir, "text");
    expect(warned.exitCode).toBe(0);
    expect(warned.output).toBe(`${dir}: 5 tenant(s), catalog valid`);
    expect(warned.messages).toMatch(new RegExp(`^warning: ${where}: cell default holds about \\d+ resources \\(5 tenants\\), past its budget of 10 per stack`));
    expect(JSON.parse(validateCommand(dir, "json").output)).toMatchObject({ valid: true, errors: [], warnings: [{ path: "cells.default.resource_budget", line: 8, col: 22 }] });
    expect(validateCommand(dir, "github").output).toMatch(/^::warning file=.*_cells\.yaml,line=8,col=22,title=tenant catalog::cells\.default\.resource_budget: cell default holds/);
    const strict = validateCommand(dir, "text", { strict: true });
    expect(strict.exitCode).toBe(1);
    expect(strict.output).toMatch(new RegExp(`^${where}: cell default holds about`));
    expect(strict.output).toContain("1 error(s) in the catalog");
  });

  it("refuses taking a cell out of _cells.yaml while its stack still holds tenants", () => {
    const git = (...args: string[]) => execFileSync("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", ...args], { cwd: join(dir, ".."), encoding: "utf8" });
    declareCell("eu-2", "eu-west-1");
    writeFileSync(join(dir, "initech.yaml"), readFileSync(join(dir, "initech.yaml"), "utf8") + "cell: eu-2\n");
    git("init", "-q");
    git("add", ".");
    git("commit", "-qm", "initech in eu-2");
    // initech leaves the catalog and eu-2 is undeclared in the same change: eu-2's stack would never delete it.
    rmSync(join(dir, "initech.yaml"));
    const cells = join(dir, "_cells.yaml");
    writeFileSync(cells, readFileSync(cells, "utf8").replace("  eu-2:\n    regions: [eu-west-1]\n\n", ""));
    const refused = validateCommand("tenants", "text", { base: "HEAD", cwd: join(dir, "..") });
    expect(refused.exitCode).toBe(1);
    expect(refused.output).toContain("tenants/_cells.yaml:1:1 cells: cell eu-2 is no longer declared, but its stack still holds tenant(s) initech;");
    // Emptied and deployed first, the cell may go.
    git("add", "-A");
    git("commit", "-qm", "initech gone");
    expect(validateCommand("tenants", "text", { base: "HEAD", cwd: join(dir, "..") }).exitCode).toBe(0);
  });

  it("refuses a tenant moved to another cell unless its move is acknowledged", () => {
    const git = (...args: string[]) => execFileSync("git", args, { cwd: join(dir, ".."), encoding: "utf8" });
    git("init", "-q");
    git("-c", "user.email=t@example.com", "-c", "user.name=t", "add", ".");
    git("-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "catalog");
    writeFileSync(join(dir, "initech.yaml"), readFileSync(join(dir, "initech.yaml"), "utf8") + "cell: eu-2\n");
    declareCell("eu-2", "eu-west-1");
    const cwd = join(dir, "..");
    const refused = validateCommand("tenants", "text", { base: "HEAD", cwd });
    expect(refused.exitCode).toBe(1);
    expect(refused.output).toContain('moving tenant initech from cell "default" to cell "eu-2"');
    expect(validateCommand("tenants", "text", { base: "HEAD", cwd, allowCellMoves: ["initech"] }).exitCode).toBe(0);
  });
});
