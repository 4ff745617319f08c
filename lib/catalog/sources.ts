// Where catalog files come from: the working tree, or a git revision (for `tenancy plan --base`).
//
// A symbolic link is never followed: it would let a pull request make the catalog read (and, in an
// error message, echo) any file the machine can read. A link named like a catalog file is listed
// with `symlink: true` and no text, and the loader refuses it without saying where it points.
import { lstatSync, readdirSync, readFileSync } from "node:fs";
import { join, posix, resolve } from "node:path";
import { git } from "../git";
import type { CatalogFile } from "./load";

/** Hidden files are editors' and file systems' leftovers (`.#acme.yaml` locks, macOS `._acme.yaml`), never the catalog. */
const CATALOG_FILE = /^[^.].*\.(yaml|yml)$/s;

/** The catalog files in `dir` (relative to `cwd`), each labelled `<dir>/<name>` for messages. */
export function readCatalogDir(dir: string, cwd = process.cwd()): CatalogFile[] {
  const full = resolve(cwd, dir);
  const label = dir.split("\\").join("/");
  if (lstatSync(full).isSymbolicLink()) throw new Error(`the catalog directory ${label} is a symbolic link; it must be a plain directory of the repository`);
  const files: CatalogFile[] = [];
  for (const name of readdirSync(full).filter((n) => CATALOG_FILE.test(n))) {
    const entry = lstatSync(join(full, name), { throwIfNoEntry: false });
    const path = posix.join(label, name);
    if (entry?.isSymbolicLink()) files.push({ name, path, text: "", symlink: true });
    else if (entry?.isFile()) files.push({ name, path, text: readFileSync(join(full, name), "utf8") });
  }
  return files;
}

/**
 * The commit `ref` names, as a hash; throws, naming the ref, outside a git repository or when the
 * ref does not exist. By its hash from here on: a ref that moves meanwhile, or one that looks like an
 * option, cannot change what is read.
 */
export function resolveCommit(ref: string, cwd: string): string {
  try {
    git(cwd, "rev-parse", "--git-dir");
  } catch {
    throw new Error(`${cwd} is not inside a git repository, so the catalog at "${ref}" cannot be read`);
  }
  try {
    return git(cwd, "rev-parse", "--verify", "--quiet", "--end-of-options", `${ref}^{commit}`).trim();
  } catch {
    throw new Error(`git revision "${ref}" not found; fetch it first (for example: git fetch origin main)`);
  }
}

/**
 * The catalog as it was at `ref`, read through git without touching the working tree. `dir` is
 * relative to `cwd`, as for readCatalogDir. A directory that did not exist at `ref` gives [].
 * `files` selects other files of a directory the same way (the plan reads `migrations/*.sql`).
 */
export function readCatalogAtRef(ref: string, dir: string, cwd = process.cwd(), files: RegExp = CATALOG_FILE): CatalogFile[] {
  // Everything after this reads one commit, named by its hash: a ref that moves meanwhile, or one
  // that looks like an option, cannot change what is read.
  const commit = resolveCommit(ref, cwd);
  const prefix = git(cwd, "rev-parse", "--show-prefix").trim();
  const treePath = posix.normalize(posix.join(prefix, dir.split("\\").join("/")));
  let listing: string;
  try {
    listing = git(cwd, "ls-tree", "--full-tree", "-z", `${commit}:${treePath === "." ? "" : treePath}`);
  } catch {
    return []; // the directory did not exist at that revision: an empty catalog
  }
  // --full-tree: from a subdirectory, ls-tree would otherwise list only what lies under it.
  // -z: names come raw (no quoting of unusual characters).
  const found: CatalogFile[] = [];
  for (const entry of parseTree(listing)) {
    if (!files.test(entry.name) || entry.type !== "blob") continue;
    const path = posix.join(dir.split("\\").join("/"), entry.name);
    // A link (mode 120000) is listed, unread, as on disk; other patterns (migrations) leave it out.
    if (entry.mode === "120000") {
      if (files === CATALOG_FILE) found.push({ name: entry.name, path, text: "", symlink: true });
      continue;
    }
    found.push({ name: entry.name, path, text: git(cwd, "cat-file", "blob", entry.hash) });
  }
  return found;
}

interface TreeEntry {
  mode: string;
  type: string;
  hash: string;
  name: string;
}

/** `git ls-tree -z` output: entries "<mode> <type> <hash>\t<name>", each ended by NUL. */
function parseTree(listing: string): TreeEntry[] {
  return listing
    .split("\0")
    .map((entry) => /^(\d+) (\w+) ([0-9a-f]+)\t(.+)$/s.exec(entry))
    .filter((m): m is RegExpExecArray => m !== null)
    .map(([, mode, type, hash, name]) => ({ mode, type, hash, name }));
}
