// Reading the catalog from the working tree and from a git revision of a real, temporary repository.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCatalog, readCatalogAtRef, readCatalogDir } from "../../../lib/catalog";
import { BASE_DIR } from "./broken-cases";

let repo: string;
const git = (...args: string[]) => execFileSync("git", args, { cwd: repo, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
const write = (path: string, text: string) => {
  mkdirSync(join(repo, path, ".."), { recursive: true });
  writeFileSync(join(repo, path), text);
};

const base = Object.fromEntries(readCatalogDir(BASE_DIR).map((f) => [f.name, f.text]));
const committed: Record<string, string> = {
  ...base,
  "beta.yaml": "id: beta\nname: Beta\n",
  "odd name é.yaml": "not: read by the loader, but listed\n",
  "legacy.yml": "id: legacy\nname: Legacy\n",
  "linked.yaml": "id: linked\nname: Linked\n",
};
/** What reading lists: symbolic links named like catalog files, unread (no text), for the loader to refuse. */
const asRead: Record<string, string> = { ...committed, "linked.yaml": "", "dangling.yaml": "" };
let firstCommit: string;

beforeAll(() => {
  repo = mkdtempSync(join(tmpdir(), "tenancy-sources-"));
  git("init", "--quiet", "--initial-branch=main");
  git("config", "user.email", "test@example.com");
  git("config", "user.name", "test");
  git("config", "commit.gpgsign", "false");
  for (const [name, text] of Object.entries(committed)) if (name !== "linked.yaml") write(`tenants/${name}`, text);
  write("tenants/tenant.schema.json", "{}\n");
  write("tenants/archive.yaml/old.yaml", "id: old\nname: Old\n");
  write("README.md", "catalog\n");
  // Leftovers that must never be read as catalog files: a macOS resource fork, an Emacs lock, a dangling link.
  write("tenants/._alpha.yaml", "\u0000\u0005binary resource fork");
  symlinkSync("user@host.1234", join(repo, "tenants/.#alpha.yaml"));
  symlinkSync("gone.yaml", join(repo, "tenants/dangling.yaml"));
  // A link to a file elsewhere in the repository is never read through, at a revision or on disk.
  write("shared/linked.yaml", "id: linked\nname: Linked\n");
  symlinkSync("../shared/linked.yaml", join(repo, "tenants/linked.yaml"));
  git("add", "-A");
  git("commit", "--quiet", "-m", "catalog");
  firstCommit = git("rev-parse", "HEAD");
  // The working tree then moves on, uncommitted: an edit, a new file and a deletion.
  write("tenants/alpha.yaml", "id: alpha\nname: Alpha Renamed\n");
  write("tenants/gamma.yaml", "id: gamma\nname: Gamma\n");
  unlinkSync(join(repo, "tenants/beta.yaml"));
});

afterAll(() => rmSync(repo, { recursive: true, force: true }));

const byName = (files: { name: string; text: string }[]) => Object.fromEntries(files.map((f) => [f.name, f.text]));

describe("readCatalogAtRef", () => {
  it("returns the committed files at HEAD, not the working tree", () => {
    const files = readCatalogAtRef("HEAD", "tenants", repo);
    expect(byName(files)).toEqual(asRead);
    expect(files.map((f) => f.path).sort()).toEqual(Object.keys(asRead).map((n) => `tenants/${n}`).sort());
    expect(files.filter((f) => f.symlink).map((f) => f.name).sort()).toEqual(["dangling.yaml", "linked.yaml"]);
  });

  it("reads the same files through a branch name and a commit hash", () => {
    expect(readCatalogAtRef("main", "tenants", repo)).toEqual(readCatalogAtRef(firstCommit, "tenants", repo));
  });

  it("reads an older revision after newer commits", () => {
    git("add", "-A");
    git("commit", "--quiet", "-m", "rename alpha, add gamma, drop beta");
    try {
      expect(byName(readCatalogAtRef("HEAD~1", "tenants", repo))).toEqual(asRead);
      const now = byName(readCatalogAtRef("HEAD", "tenants", repo));
      expect(now["alpha.yaml"]).toBe("id: alpha\nname: Alpha Renamed\n");
      expect(Object.keys(now).sort()).toEqual(["_cells.yaml", "_control-plane.yaml", "_defaults.yaml", "alpha.yaml", "dangling.yaml", "gamma.yaml", "legacy.yml", "linked.yaml", "odd name é.yaml"]);
    } finally {
      git("reset", "--quiet", "--soft", "HEAD~1");
    }
  });

  it("gives files the loader accepts, reporting the committed .yml and the links as it would from disk", () => {
    const result = loadCatalog(readCatalogAtRef("HEAD", "tenants", repo).filter((f) => !f.name.startsWith("odd")));
    expect(result.ok ? "ok" : result.errors.map((e) => `${e.file} ${e.message}`)).toEqual([
      "tenants/dangling.yaml refused: a symbolic link; catalog files must be plain files of the repository",
      "tenants/legacy.yml tenant files end in .yaml; rename it to legacy.yaml",
      "tenants/linked.yaml refused: a symbolic link; catalog files must be plain files of the repository",
    ]);
  });

  it("works from a subdirectory, with the directory relative to it", () => {
    mkdirSync(join(repo, "docs"), { recursive: true });
    expect(byName(readCatalogAtRef("HEAD", "../tenants", join(repo, "docs")))).toEqual(asRead);
  });

  it("gives an empty list for a directory that did not exist at the revision", () => {
    expect(readCatalogAtRef("HEAD", "catalog", repo)).toEqual([]);
    expect(readCatalogAtRef("HEAD", "README.md", repo)).toEqual([]);
  });

  it("refuses an unknown revision with a hint", () => {
    expect(() => readCatalogAtRef("no-such-branch", "tenants", repo)).toThrow(
      'git revision "no-such-branch" not found; fetch it first (for example: git fetch origin main)',
    );
  });

  it("treats a revision that looks like an option as a name, not an option", () => {
    const marker = join(repo, "written-by-git");
    expect(() => readCatalogAtRef(`--output=${marker}`, "tenants", repo)).toThrow(`git revision "--output=${marker}" not found`);
    expect(() => readCatalogDir(marker)).toThrow(/ENOENT/);
  });

  it("says so outside a git repository", () => {
    const outside = mkdtempSync(join(tmpdir(), "tenancy-no-git-"));
    try {
      expect(() => readCatalogAtRef("HEAD", "tenants", outside)).toThrow(`${outside} is not inside a git repository, so the catalog at "HEAD" cannot be read`);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});

describe("readCatalogDir", () => {
  it("reads the .yaml and .yml files of the working tree, lists links unread, and skips hidden files, other files and directories", () => {
    const files = readCatalogDir(join(repo, "tenants"));
    expect(Object.keys(byName(files)).sort()).toEqual(["_cells.yaml", "_control-plane.yaml", "_defaults.yaml", "alpha.yaml", "dangling.yaml", "gamma.yaml", "legacy.yml", "linked.yaml", "odd name é.yaml"]);
    expect(files.filter((f) => f.symlink).map((f) => [f.name, f.text])).toEqual([["dangling.yaml", ""], ["linked.yaml", ""]].sort());
    expect(byName(files)["alpha.yaml"]).toBe("id: alpha\nname: Alpha Renamed\n");
    expect(files.find((f) => f.name === "gamma.yaml")?.path).toBe(`${join(repo, "tenants")}/gamma.yaml`);
  });
});
