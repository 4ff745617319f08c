// The destructive-statement lint on its own: what counts, what a comment, literal or quoted name
// hides, and where the marker applies.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { validateCommand } from "../../../lib/cli/commands";
import { destructiveStatements, tokenize, unmarkedDestructive } from "../../../lib/database/migration-lint";

const kinds = (sql: string) => destructiveStatements(sql).map((d) => d.kind);

describe("destructiveStatements", () => {
  it("finds each destructive kind, located at its statement", () => {
    const sql = [
      "CREATE TABLE a (id int);",
      "DROP TABLE invoices;",
      "  drop schema tenant_x cascade;",
      "DROP DATABASE old;",
      "ALTER TABLE projects DROP COLUMN name, ADD COLUMN x int;",
      "ALTER TABLE projects DROP legacy;",
      "ALTER TABLE projects ALTER COLUMN amount TYPE smallint;",
      "ALTER TABLE projects ALTER amount SET DATA TYPE int;",
      "TRUNCATE invoices;",
      "DELETE FROM invoices;",
      "WITH gone AS (SELECT 1) DELETE FROM invoices;",
    ].join("\n");
    expect(destructiveStatements(sql).map((d) => [d.kind, d.line, d.col])).toEqual([
      ["drop table", 2, 1],
      ["drop schema", 3, 3],
      ["drop database", 4, 1],
      ["drop column", 5, 22],
      ["drop column", 6, 22],
      ["column type change", 7, 22],
      ["column type change", 8, 22],
      ["truncate", 9, 1],
      ["delete without where", 10, 1],
      ["delete without where", 11, 25],
    ]);
    expect(destructiveStatements("drop table public.invoices;")[0].text).toBe("drop table public.invoices");
  });

  it("leaves alone what keeps the rows", () => {
    const sql = [
      "DELETE FROM invoices WHERE status = 'void';",
      "DELETE FROM invoices USING projects WHERE invoices.project_id = projects.id;",
      "ALTER TABLE projects DROP CONSTRAINT projects_name_key;",
      "ALTER TABLE projects ALTER COLUMN name DROP NOT NULL, ALTER COLUMN name DROP DEFAULT;",
      "ALTER TABLE projects ALTER COLUMN id DROP IDENTITY IF EXISTS;",
      "ALTER TABLE projects ALTER COLUMN type SET NOT NULL;",
      "DROP INDEX invoices_status;",
      "DROP VIEW v; DROP FUNCTION f(); DROP MATERIALIZED VIEW m;",
      "CREATE TABLE drop_table_log (truncate text);",
      "UPDATE projects SET name = 'DROP TABLE x';",
      "CREATE TABLE c (p bigint REFERENCES projects ON DELETE CASCADE);",
      "ALTER TABLE c ADD COLUMN type text, ADD CONSTRAINT f FOREIGN KEY (p) REFERENCES projects ON DELETE SET NULL;",
      'ALTER TABLE c RENAME COLUMN p TO "drop";',
      "ALTER TABLE c ALTER COLUMN name TYPE text, ALTER COLUMN note SET DATA TYPE varchar COLLATE \"C\";",
    ].join("\n");
    expect(kinds(sql)).toEqual([]);
    expect(kinds("DROP TABLE IF EXISTS a, b CASCADE;\nALTER TABLE IF EXISTS ONLY c DROP COLUMN IF EXISTS d;")).toEqual(["drop table", "drop column"]);
    // To text, only unbounded and without USING: anything else may narrow.
    expect(kinds("ALTER TABLE c ALTER name TYPE varchar(20);\nALTER TABLE c ALTER name TYPE text USING '';\nALTER TABLE c ALTER n TYPE int;")).toEqual([
      "column type change",
      "column type change",
      "column type change",
    ]);
  });

  it("ignores keywords inside comments, literals, quoted names and dollar-quoted bodies", () => {
    const sql = [
      "-- DROP TABLE invoices;",
      "/* TRUNCATE invoices; /* nested: DELETE FROM x; */ still a comment: DROP TABLE y; */",
      "SELECT 'it''s; DROP TABLE z;' AS a, E'\\'; TRUNCATE t;' AS b;",
      'CREATE TABLE "DROP TABLE q;" (id int);',
      "CREATE FUNCTION f() RETURNS void AS $body$ DELETE FROM invoices; $body$ LANGUAGE sql;",
      "DO $$ BEGIN TRUNCATE invoices; END $$;",
      "SELECT 1",
    ].join("\n");
    expect(kinds(sql)).toEqual([]);
    // Five statements: no `;` inside a comment or quoted part split one.
    expect(tokenize(sql)).toHaveLength(5);
    // ... and the statement after them is still seen, at its line.
    expect(destructiveStatements(`${sql};\nDROP TABLE real;`).map((d) => [d.kind, d.line])).toEqual([["drop table", 8]]);
  });

  it("takes the marker from the comment right before the statement, with its reason", () => {
    const sql = [
      "-- the down of 0003",
      "-- tenancy:destructive invoices exist only from 0003 on",
      "DROP TABLE invoices;",
      "DROP TABLE projects; -- tenancy:destructive this trails the statement before, it marks nothing after it",
      "TRUNCATE audit;",
      "/* tenancy:destructive */",
      "DROP TABLE no_reason;",
    ].join("\n");
    expect(destructiveStatements(sql).map((d) => [d.text, d.intended])).toEqual([
      ["DROP TABLE invoices", "invoices exist only from 0003 on"],
      ["DROP TABLE projects", undefined],
      ["TRUNCATE audit", undefined],
      ["DROP TABLE no_reason", undefined],
    ]);
  });
});

describe("validate", () => {
  it("reports a migration file's destructive statement without a marker, located, and passes it with one", () => {
    const root = mkdtempSync(join(tmpdir(), "tenancy-lint-"));
    try {
      cpSync("tenants", join(root, "tenants"), { recursive: true });
      mkdirSync(join(root, "migrations"));
      writeFileSync(join(root, "migrations/0001_a.sql"), "CREATE TABLE a (x int, y int);\n");
      writeFileSync(join(root, "migrations/0002_b.sql"), "-- y is unused\nALTER TABLE a\n  DROP COLUMN y;\n");
      const refused = validateCommand("tenants", "text", { cwd: root });
      expect(refused.exitCode).toBe(1);
      expect(refused.output).toContain(
        "migrations/0002_b.sql:3:3 ALTER TABLE a DROP COLUMN y: drop column destroys data; if that is intended, put a comment on the line before it: -- tenancy:destructive <why it is safe>",
      );
      writeFileSync(join(root, "migrations/0002_b.sql"), "-- tenancy:destructive y was never written since 0001\nALTER TABLE a\n  DROP COLUMN y;\n");
      expect(validateCommand("tenants", "text", { cwd: root }).exitCode).toBe(0);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("finds every destructive statement of the project's own migrations marked", () => {
    expect(unmarkedDestructive(".")).toEqual([]);
    expect(destructiveStatements("DROP TABLE invoices;")).toHaveLength(1);
  });
});
