// The catalog at the plan's base ref. readCatalogAtRef starts a `git cat-file` per file: about two
// seconds for a 500-tenant catalog, most of a pull request's plan. Nearly all of those files are the
// same in the working tree, so this lists the directory at the commit once, compares each blob's
// hash with the git hash of the working tree's file of that name, and reads only the blobs that
// differ, all in one `git cat-file --batch`. The result is what readCatalogAtRef gives, and anything
// unusual (a symbolic link in the directory, an unknown ref, no repository) is left to it: its
// answer, or its error, is then the result.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { posix } from "node:path";
import { readCatalogAtRef, type CatalogFile } from "../catalog";

/** The names readCatalogDir and readCatalogAtRef take (lib/catalog/sources.ts). */
const CATALOG_NAME = /^[^.].*\.(yaml|yml)$/s;

/** The object id git gives a file with this content. */
function blobId(text: string): string {
  return createHash("sha1").update(`blob ${Buffer.byteLength(text, "utf8")}\0`).update(text, "utf8").digest("hex");
}

/** `git cat-file --batch` output for `ids`: per object "<id> <type> <size>\n<content>\n". */
function readBlobs(git: (args: string[], input?: string) => Buffer, ids: readonly string[]): Map<string, string> {
  const out = git(["cat-file", "--batch"], ids.map((id) => `${id}\n`).join(""));
  const blobs = new Map<string, string>();
  let at = 0;
  for (const id of ids) {
    const headerEnd = out.indexOf(0x0a, at);
    const [found, type, size] = out.subarray(at, headerEnd).toString("utf8").split(" ");
    if (found !== id || type !== "blob") throw new Error(`git cat-file gave ${found} ${type} for ${id}`);
    const start = headerEnd + 1;
    blobs.set(id, out.subarray(start, start + Number(size)).toString("utf8"));
    at = start + Number(size) + 1;
  }
  return blobs;
}

/** The catalog files in `dir` (relative to `cwd`) at `ref`, reading from git only what `working` (readCatalogDir) does not hold. */
export function catalogFilesAtRef(ref: string, dir: string, cwd: string, working: readonly CatalogFile[]): CatalogFile[] {
  const git = (args: string[], input?: string) =>
    execFileSync("git", args, { cwd, input, maxBuffer: 256 * 1024 * 1024, stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
  let commit: string;
  let prefix: string;
  try {
    commit = git(["rev-parse", "--verify", "--quiet", "--end-of-options", `${ref}^{commit}`]).toString("utf8").trim();
    prefix = git(["rev-parse", "--show-prefix"]).toString("utf8").trim();
  } catch {
    return readCatalogAtRef(ref, dir, cwd);
  }
  const label = dir.split("\\").join("/");
  const treePath = posix.normalize(posix.join(prefix, label));
  let listing: string;
  try {
    listing = git(["ls-tree", "-z", "--full-tree", `${commit}:${treePath === "." ? "" : treePath}`]).toString("utf8");
  } catch {
    return []; // no such directory at the commit: an empty catalog, as readCatalogAtRef has it
  }
  const entries = listing
    .split("\0")
    .map((entry) => /^(\d+) (\w+) ([0-9a-f]+)\t(.+)$/s.exec(entry))
    .filter((m): m is RegExpExecArray => m !== null && CATALOG_NAME.test(m[4]))
    .map(([, mode, type, id, name]) => ({ mode, type, id, name }));
  if (entries.some((e) => e.mode === "120000")) return readCatalogAtRef(ref, dir, cwd);
  const blobs = entries.filter((e) => e.type === "blob");
  const here = new Map(working.map((f) => [f.name, f.text]));
  const unchanged = (e: (typeof blobs)[number]) => {
    const text = here.get(e.name);
    return text !== undefined && blobId(text) === e.id;
  };
  const differing = blobs.filter((e) => !unchanged(e)).map((e) => e.id);
  const read = differing.length > 0 ? readBlobs(git, [...new Set(differing)]) : new Map<string, string>();
  return blobs.map((e) => ({ name: e.name, path: posix.join(label, e.name), text: read.get(e.id) ?? here.get(e.name)! }));
}
