// The migration set: `migrations/NNNN_<name>.sql` with an optional `NNNN_<name>.down.sql`,
// versions 1..N without gaps. A leaf shared by the program (which puts a tenant's target version
// and the set's fingerprint in its TenantMigrations inputs, and plans the rollout) and the
// TenantMigrations provider (which reads the same files from the project it runs in, and refuses
// to run when they are not the ones the fingerprint names).
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

export const MIGRATIONS_DIR = resolve(__dirname, "..", "..", "migrations");

/** One version as the runner and the providers see it. */
export interface Migration {
  version: number;
  name: string;
  /** File name of the up migration, used in every message. */
  file: string;
  sql: string;
  /** sha256 of the up SQL with line endings normalized. */
  checksum: string;
  down?: { file: string; sql: string };
}

export interface MigrationFile {
  name: string;
  text: string;
}

const FILE_PATTERN = /^(\d{4})_([a-z0-9][a-z0-9_]*)(\.down)?\.sql$/;

/** Line endings do not change a checksum: a Windows checkout must not look like an edit. */
export function checksum(sql: string): string {
  return createHash("sha256").update(sql.replace(/\r\n/g, "\n")).digest("hex");
}

/**
 * Identity of the set up to and including `version`: its (version, name, checksum) list. The rows
 * of a target's schema_migrations have the same fields, so refresh computes what a target holds.
 */
export function fingerprint(migrations: readonly Pick<Migration, "version" | "name" | "checksum">[], version: number): string {
  const list = migrations.filter((m) => m.version <= version).map((m) => [m.version, m.name, m.checksum]);
  return createHash("sha256").update(JSON.stringify(list)).digest("hex");
}

/** Validates names and numbering of a migrations directory's files and pairs ups with downs. */
export function parseMigrationFiles(files: readonly MigrationFile[], dirLabel = "migrations"): Migration[] {
  const errors: string[] = [];
  const ups = new Map<number, Migration>();
  const downs = new Map<number, { file: string; name: string; sql: string }>();
  for (const { name, text } of files) {
    const match = FILE_PATTERN.exec(name);
    if (!match) {
      errors.push(`${dirLabel}/${name}: expected NNNN_<name>.sql or NNNN_<name>.down.sql (four digits, lowercase name with _)`);
      continue;
    }
    const version = Number(match[1]);
    if (version === 0) {
      errors.push(`${dirLabel}/${name}: versions start at 0001`);
      continue;
    }
    const into: Map<number, { file: string }> = match[3] ? downs : ups;
    const clash = into.get(version);
    if (clash) {
      errors.push(`${dirLabel}/${name}: version ${match[1]} is also used by ${clash.file}`);
      continue;
    }
    if (text.trim() === "") errors.push(`${dirLabel}/${name}: the file is empty`);
    if (match[3]) downs.set(version, { file: name, name: match[2], sql: text });
    else ups.set(version, { version, name: match[2], file: name, sql: text, checksum: checksum(text) });
  }
  for (const [version, down] of downs) {
    const up = ups.get(version);
    if (!up) errors.push(`${dirLabel}/${down.file}: no up migration ${down.file.replace(".down.sql", ".sql")} for it`);
    else if (up.name !== down.name) errors.push(`${dirLabel}/${down.file}: name differs from ${up.file}`);
    else up.down = { file: down.file, sql: down.sql };
  }
  const versions = [...ups.keys()].sort((a, b) => a - b);
  versions.forEach((v, i) => {
    if (v !== i + 1) errors.push(`${dirLabel}: version ${String(i + 1).padStart(4, "0")} is missing (next is ${ups.get(v)!.file}); versions run 0001, 0002, ... without gaps`);
  });
  if (errors.length > 0) throw new Error(`invalid migrations:\n  ${[...new Set(errors)].join("\n  ")}`);
  return versions.map((v) => ups.get(v)!);
}

/** The files of `dir`, plus `extra` files (tests and benchmarks add their own versions this way). */
export function loadMigrations(dir = MIGRATIONS_DIR, extra: readonly MigrationFile[] = []): Migration[] {
  const names = readdirSync(dir).filter((n) => n.endsWith(".sql"));
  return parseMigrationFiles([...names.map((name) => ({ name, text: readFileSync(join(dir, name), "utf8") })), ...extra]);
}

export interface MigrationSet {
  /** The version a tenant capped at `maxVersion` is migrated to: the cap, or the latest file below it. */
  version: number;
  fingerprint: string;
  /** Every migration, including those above `version`: their down files are needed to lower a tenant. */
  migrations: Migration[];
}

/** What a tenant whose ring allows `maxVersion` receives. */
export function migrationSet(maxVersion: number, migrations: Migration[] = loadMigrations()): MigrationSet {
  if (!Number.isInteger(maxVersion) || maxVersion < 0) {
    throw new Error(`migration cap must be a whole number >= 0, got ${JSON.stringify(maxVersion)}`);
  }
  const version = Math.min(maxVersion, migrations.length);
  return { version, fingerprint: fingerprint(migrations, version), migrations };
}

/** `migrationSet` for one migration set, each cap computed once: a program run asks for it per tenant. */
export type MigrationSets = (maxVersion: number) => MigrationSet;

export function migrationSets(migrations: Migration[] = loadMigrations()): MigrationSets {
  const byCap = new Map<number, MigrationSet>();
  return (maxVersion) => {
    let set = byCap.get(maxVersion);
    if (!set) byCap.set(maxVersion, (set = migrationSet(maxVersion, migrations)));
    return set;
  };
}
