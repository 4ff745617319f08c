// A tenant whose file the catalog no longer reads is deleted by the plan, data and all. When the
// file is still there in another form, that deletion is a mistake, not an offboarding:
//  - moved into a subfolder: the loader reads only files directly in the catalog directory, so the
//    file is silently ignored;
//  - renamed, with its id changed to match (the loader requires id = file name): the old tenant is
//    deleted and a new, empty one created in its place.
// Both are errors naming the file. A rename is recognised by content: the new file holds what the
// old one held apart from its id. A real offboarding plus an onboarding that looks the same is
// acknowledged with --allow-data-loss <old id>.
import { readdirSync, readFileSync, lstatSync } from "node:fs";
import { join, posix } from "node:path";
import { parse } from "yaml";
import type { Catalog, CatalogFile } from "../catalog";

/** A catalog-like file below a subfolder of the catalog directory, with the `id:` it names (if any). */
export interface NestedFile {
  /** Path as the user names it, such as `tenants/eu/acme.yaml`. */
  path: string;
  id?: string;
}

const YAML_FILE = /^[^.].*\.(yaml|yml)$/s;

/** Depth limit: a catalog directory is flat, a deep tree below it is not ours to walk. */
const MAX_DEPTH = 4;

/** Every YAML file in subfolders of `dir` (relative to `cwd`), which the catalog loader does not read. Links are not followed. */
export function nestedCatalogFiles(dir: string, cwd: string): NestedFile[] {
  const label = dir.split("\\").join("/");
  const out: NestedFile[] = [];
  const walk = (rel: string, depth: number) => {
    if (depth > MAX_DEPTH) return;
    for (const name of readdirSync(join(cwd, rel)).sort()) {
      if (name.startsWith(".") || name === "node_modules") continue;
      const path = posix.join(rel, name);
      const entry = lstatSync(join(cwd, path), { throwIfNoEntry: false });
      if (entry?.isDirectory()) walk(path, depth + 1);
      else if (depth > 0 && entry?.isFile() && YAML_FILE.test(name)) out.push({ path, ...idOf(readFileSync(join(cwd, path), "utf8")) });
    }
  };
  walk(label, 0);
  return out;
}

function idOf(text: string): { id?: string } {
  try {
    const doc = parse(text) as unknown;
    const id = typeof doc === "object" && doc !== null ? (doc as Record<string, unknown>).id : undefined;
    return typeof id === "string" ? { id } : {};
  } catch {
    return {};
  }
}

/** The file's lines that carry content, without its `id:` line, comments and blank lines. */
function body(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.replace(/\s+#.*$/, "").trimEnd())
    .filter((line) => line.trim() !== "" && !line.trimStart().startsWith("#") && !/^id\s*:/.test(line));
}

/** Whether `after` holds at least 80% of the content lines of `before` (both having some): a rename with edits. */
export function looksRenamed(before: string, after: string): boolean {
  const a = body(before);
  const b = new Set(body(after));
  if (a.length < 2 || b.size === 0) return false;
  return a.filter((line) => b.has(line)).length / a.length >= 0.8;
}

export interface LostFileInput {
  base: Catalog;
  head: Catalog;
  baseFiles: readonly CatalogFile[];
  headFiles: readonly CatalogFile[];
  /** nestedCatalogFiles of the working tree. */
  nested: readonly NestedFile[];
  /** The catalog directory as the user names it. */
  dir: string;
}

export interface LostFile {
  /** The tenant the plan would delete because of it, if any. */
  tenant?: string;
  message: string;
  /** A rename may be a real offboarding beside a look-alike onboarding: --allow-data-loss <tenant> accepts it. */
  acknowledgeable?: boolean;
}

export function lostFiles(input: LostFileInput): LostFile[] {
  const inHead = new Set(input.head.tenants.map((t) => t.id));
  const inBase = new Set(input.base.tenants.map((t) => t.id));
  const gone = input.base.tenants.filter((t) => !inHead.has(t.id));
  const out: LostFile[] = [];
  for (const file of input.nested) {
    const lost = file.id !== undefined ? gone.find((t) => t.id === file.id) : undefined;
    out.push({
      ...(lost ? { tenant: lost.id } : {}),
      message: lost
        ? `${file.path} holds id: ${lost.id}, but the catalog reads only files directly in ${input.dir}/, so tenant ${lost.id} (${lost.source} at the base) ` +
          `would be deleted with its data; move the file back to ${input.dir}/${lost.id}.yaml`
        : `${file.path} is in a subfolder of ${input.dir}/, which the catalog does not read: nothing in it is deployed; move it to ${input.dir}/ or out of the catalog`,
    });
  }
  const baseText = new Map(input.baseFiles.map((f) => [f.path, f.text]));
  const headText = new Map(input.headFiles.map((f) => [f.path, f.text]));
  const created = input.head.tenants.filter((t) => !inBase.has(t.id));
  for (const old of gone) {
    if (out.some((l) => l.tenant === old.id)) continue;
    const before = baseText.get(old.source);
    const renamed = before === undefined ? undefined : created.find((t) => looksRenamed(before, headText.get(t.source) ?? ""));
    if (!renamed) continue;
    out.push({
      tenant: old.id,
      acknowledgeable: true,
      message:
        `${renamed.source} looks like ${old.source} renamed (id ${old.id} → ${renamed.id}): a tenant's id cannot change, so the plan would delete ${old.id} ` +
        `with its data and create ${renamed.id} empty; keep id: ${old.id} in ${old.source}, or if ${old.id} really leaves, acknowledge it with --allow-data-loss ${old.id}`,
    });
  }
  return out;
}
