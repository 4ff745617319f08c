// The migration set and the argument checks of the runner and providers: pure functions, no database.
import { expect, test } from "vitest";
import { checksum, fingerprint, loadMigrations, migrationSet, migrationSets, parseMigrationFiles } from "../../../lib/database/migrations";
import { canonicalJson } from "../../../lib/canonical-json";
import { checkMigrationSet } from "../../../providers/postgres/migrations";
import { seedProblems } from "../../../providers/postgres/seed";
import { migrationProblems } from "../../../providers/postgres/runner";
import { targetProblems, type Target } from "../../../providers/postgres/target";
import { targetFor } from "../../../lib/database/layout";

const file = (name: string, text = "SELECT 1;") => ({ name, text });

test("the shipped migrations parse, pair every up with its down, and number 1..N", () => {
  const migrations = loadMigrations();
  expect(migrations.map((m) => [m.version, m.file, m.down?.file])).toEqual([
    [1, "0001_tenant_profile.sql", "0001_tenant_profile.down.sql"],
    [2, "0002_projects.sql", "0002_projects.down.sql"],
    [3, "0003_invoices.sql", "0003_invoices.down.sql"],
  ]);
});

test("bad migration files are refused with every problem named", () => {
  expect(() =>
    parseMigrationFiles([
      file("0001_a.sql"),
      file("0001_b.sql"),
      file("0003_c.sql"),
      file("4_d.sql"),
      file("0005_e.down.sql"),
      file("0006_Upper.sql"),
      file("0000_zero.sql"),
      file("0007_empty.sql", "  \n"),
      file("0001_x.down.sql"),
    ]),
  ).toThrow(
    new RegExp(
      [
        "0001_b\\.sql: version 0001 is also used by 0001_a\\.sql",
        "4_d\\.sql: expected NNNN_<name>\\.sql",
        "0006_Upper\\.sql: expected NNNN_<name>\\.sql",
        "0000_zero\\.sql: versions start at 0001",
        "0007_empty\\.sql: the file is empty",
        "0005_e\\.down\\.sql: no up migration 0005_e\\.sql for it",
        "0001_x\\.down\\.sql: name differs from 0001_a\\.sql",
        "version 0002 is missing \\(next is 0003_c\\.sql\\)",
      ].join("[\\s\\S]*"),
    ),
  );
});

test("checksums ignore line endings; fingerprints cover version, name and checksum up to the version", () => {
  expect(checksum("a\r\nb")).toBe(checksum("a\nb"));
  expect(checksum("a\nb")).not.toBe(checksum("a\nb "));
  const set = parseMigrationFiles([file("0001_a.sql", "A"), file("0002_b.sql", "B")]);
  const renamed = parseMigrationFiles([file("0001_a.sql", "A"), file("0002_c.sql", "B")]);
  expect(fingerprint(set, 1)).toBe(fingerprint(renamed, 1));
  expect(fingerprint(set, 2)).not.toBe(fingerprint(renamed, 2));
  expect(fingerprint(set, 2)).not.toBe(fingerprint(set, 1));
  expect(migrationSet(5, set)).toMatchObject({ version: 2, fingerprint: fingerprint(set, 2) });
  expect(() => migrationSet(1.5, set)).toThrow(/migration cap must be a whole number >= 0, got 1.5/);
});

test("migrationSets gives migrationSet's answer, computed once per cap; a bad cap still throws", () => {
  const set = parseMigrationFiles([file("0001_a.sql", "A"), file("0002_b.sql", "B")]);
  const sets = migrationSets(set);
  expect(sets(1)).toEqual(migrationSet(1, set));
  expect(sets(5)).toEqual(migrationSet(5, set));
  expect(sets(1)).toBe(sets(1));
  expect(sets(5)).not.toBe(sets(2));
  expect(sets(5).fingerprint).toBe(sets(2).fingerprint);
  expect(() => sets(-1)).toThrow(/migration cap must be a whole number >= 0, got -1/);
  expect(migrationSets()(99)).toEqual(migrationSet(99));
});

test("target and version checks say what is wrong and what would be right", () => {
  const good = targetFor({ host: "127.0.0.1", port: 5432, user: "admin", password: "pw", sslmode: "require" }, "schema", "acme");
  expect(targetProblems(good)).toEqual([]);
  const bad = { ...good, port: 70000, isolation: "rows", role: "Tenant-Acme", password: "" } as unknown as Target;
  expect(targetProblems(bad)).toEqual([
    "password must be a non-empty string",
    "port must be a whole number 1-65535, got 70000",
    'isolation must be one of database, schema, shared, got "rows"',
    'role must be a lowercase PostgreSQL identifier (letters, digits, _; at most 63), got "Tenant-Acme"',
  ]);
  const migrations = loadMigrations();
  expect(migrationProblems(migrations, 3)).toEqual([]);
  expect(migrationProblems([migrations[0], migrations[2]], 1)).toEqual([
    "migration 0003_invoices.sql has version 3 at position 2; versions run 1, 2, ... without gaps",
  ]);
  expect(migrationProblems(migrations, -1)).toEqual(["target version must be a whole number from 0 to 3 (the migrations given), got -1"]);
});

test("provider inputs: texts must match checksums and fingerprint; seed fields are checked", () => {
  const target = targetFor({ host: "127.0.0.1", port: 5432, user: "admin", password: "pw", sslmode: "disable" }, "shared", "acme");
  const migrations = loadMigrations();
  const inputs = { ...target, targetVersion: 2, fingerprint: fingerprint(migrations, 2) };
  expect(() => checkMigrationSet(inputs, migrations)).not.toThrow();
  expect(() => checkMigrationSet({ ...inputs, targetVersion: 3 }, migrations)).toThrow(/is not the fingerprint of the migrations up to version 3/);
  expect(seedProblems({ name: "", friendlyName: "x".repeat(101), settings: [] as never })).toEqual([
    "name must be 1-200 characters",
    "friendlyName must be 1-100 characters",
    "settings must be a JSON object",
  ]);
  expect(canonicalJson({ b: [1, { d: 1, c: 2 }], a: null })).toBe('{"a":null,"b":[1,{"c":2,"d":1}]}');
});
