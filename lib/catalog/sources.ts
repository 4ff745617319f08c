// Where catalog files come from: the working tree, or a git revision (for `tenancy plan --base`).
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, posix, resolve } from "node:path";
import type { CatalogFile } from "./load";

const CATALOG_FILE = /\.(yaml|yml)$/;

/** The catalog files in `dir` (relative to `cwd`), each labelled `<dir>/<name>` for messages. */
export function readCatalogDir(dir: string, cwd = process.cwd()): CatalogFile[] {
  const full = resolve(cwd, dir);
  const label = dir.split("\\").join("/");
  return readdirSync(full)
    .filter((name) => CATALOG_FILE.test(name) && statSync(join(full, name)).isFile())
    .map((name) => ({ name, path: posix.join(label, name), text: readFileSync(join(full, name), "utf8") }));
}

/**
 * The catalog as it was at `ref`, read through git without touching the working tree. `dir` is
 * relative to `cwd`, as for readCatalogDir. A directory that did not exist at `ref` gives [].
 * `files` selects other files of a directory the same way (the plan reads `migrations/*.sql`).
 */
export function readCatalogAtRef(ref: string, dir: string, cwd = process.cwd(), files: RegExp = CATALOG_FILE): CatalogFile[] {
  const git = (...args: string[]) =>
    execFileSync("git", args, { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, stdio: ["ignore", "pipe", "pipe"] });
  try {
    git("rev-parse", "--git-dir");
  } catch {
    throw new Error(`${cwd} is not inside a git repository, so the catalog at "${ref}" cannot be read`);
  }
  // Everything after this reads one commit, named by its hash: a ref that moves meanwhile, or one
  // that looks like an option, cannot change what is read.
  let commit: string;
  try {
    commit = git("rev-parse", "--verify", "--quiet", "--end-of-options", `${ref}^{commit}`).trim();
  } catch {
    throw new Error(`git revision "${ref}" not found; fetch it first (for example: git fetch origin main)`);
  }
  const prefix = git("rev-parse", "--show-prefix").trim();
  const treePath = posix.normalize(posix.join(prefix, dir.split("\\").join("/")));
  let listing: string;
  try {
    listing = git("ls-tree", "--full-tree", "-z", `${commit}:${treePath === "." ? "" : treePath}`);
  } catch {
    return []; // the directory did not exist at that revision: an empty catalog
  }
  // --full-tree: from a subdirectory, ls-tree would otherwise list only what lies under it.
  // -z: names come raw (no quoting of unusual characters); entries are "<mode> <type> <hash>\t<name>".
  return listing
    .split("\0")
    .map((entry) => /^\d+ (\w+) ([0-9a-f]+)\t(.+)$/s.exec(entry))
    .filter((m): m is RegExpExecArray => m !== null && m[1] === "blob" && files.test(m[3]))
    .map(([, , hash, name]) => ({ name, path: posix.join(dir.split("\\").join("/"), name), text: git("cat-file", "blob", hash) }));
}
