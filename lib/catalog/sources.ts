// Where catalog files come from: the working tree, or a git revision (for `tenancy plan --base`).
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, posix } from "node:path";
import type { CatalogFile } from "./load";

const CATALOG_FILE = /\.(yaml|yml)$/;

export function readCatalogDir(dir: string): CatalogFile[] {
  return readdirSync(dir)
    .filter((name) => CATALOG_FILE.test(name) && statSync(join(dir, name)).isFile())
    .map((name) => ({ name, path: posix.join(dir.split("\\").join("/"), name), text: readFileSync(join(dir, name), "utf8") }));
}

/** The catalog as it was at `ref`, read through git without touching the working tree. */
export function readCatalogAtRef(ref: string, dir: string, cwd = process.cwd()): CatalogFile[] {
  const git = (...args: string[]) => execFileSync("git", args, { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  try {
    git("rev-parse", "--verify", "--quiet", `${ref}^{commit}`);
  } catch {
    throw new Error(`git revision "${ref}" not found; fetch it first (for example: git fetch origin main)`);
  }
  const prefix = git("rev-parse", "--show-prefix").trim();
  const treePath = posix.join(prefix, dir.split("\\").join("/"));
  let listing: string;
  try {
    listing = git("ls-tree", "--name-only", `${ref}:${treePath}`);
  } catch {
    return []; // the directory did not exist at that revision: an empty catalog
  }
  return listing
    .split("\n")
    .filter((name) => CATALOG_FILE.test(name))
    .map((name) => ({ name, path: posix.join(dir, name), text: git("show", `${ref}:${posix.join(treePath, name)}`) }));
}
