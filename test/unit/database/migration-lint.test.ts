// The destructive-statement lint on its own: what counts, what a comment, literal or quoted name
// hides, and where the marker applies.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { validateCommand } from "../../../lib/cli/commands";
import {
  columnTypesAfter,
  destructiveStatements,
  destructiveStatementsByFile,
  unmarkedDestructive,
} from "../../../lib/database/migration-lint";
import { tokenize } from "../../../lib/database/sql-tokens";

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

describe("column type changes against the types of earlier migrations", () => {
  const created = columnTypesAfter(
    [
      "CREATE TABLE billing.invoices (",
      "  id bigint, small smallint, n int4, big int8, price numeric(10, 2), total numeric, ratio real,",
      "  code varchar(20), currency char(3), label character varying(40), issued_at timestamptz, note text, tags int[],",
      "  PRIMARY KEY (id), UNIQUE (code), CONSTRAINT positive CHECK (price >= 0), FOREIGN KEY (n) REFERENCES x (id)",
      ");",
    ].join("\n"),
  );
  const texts = (sql: string) => destructiveStatements(sql, created).map((d) => d.text);

  it("tracks the columns a CREATE TABLE defines, not its constraint lines", () => {
    expect([...created.keys()]).toEqual(["billing.invoices"]);
    expect([...created.get("billing.invoices")!.keys()]).toEqual(
      ["id", "small", "n", "big", "price", "total", "ratio", "code", "currency", "label", "issued_at", "note", "tags"],
    );
    // CREATE TABLE IF NOT EXISTS of a table there already is changes nothing.
    expect(destructiveStatements("CREATE TABLE t (a int);\nCREATE TABLE IF NOT EXISTS t (a text);\nALTER TABLE t ALTER a TYPE bigint;")).toEqual([]);
  });

  it("passes a lossless widening from the tracked type", () => {
    const widenings = [
      "ALTER TABLE invoices ALTER COLUMN code TYPE varchar(20), ALTER code TYPE varchar(64), ALTER label TYPE character varying, ALTER currency SET DATA TYPE varchar(3);",
      "ALTER TABLE billing.invoices ALTER small TYPE integer, ALTER n TYPE bigint, ALTER big TYPE numeric;",
      "ALTER TABLE invoices ALTER small TYPE bigint;",
      "ALTER TABLE invoices ALTER small TYPE numeric;",
      "ALTER TABLE invoices ALTER n TYPE numeric(12, 2);",
      "ALTER TABLE invoices ALTER ratio TYPE double precision;",
      "ALTER TABLE invoices ALTER price TYPE numeric(12, 2), ALTER total TYPE numeric;",
      "ALTER TABLE invoices ALTER price TYPE numeric(14, 4);",
      "ALTER TABLE invoices ALTER price TYPE numeric;",
      "ALTER TABLE invoices ALTER issued_at TYPE text, ALTER tags TYPE text;",
      "ALTER TABLE invoices ALTER big TYPE bigint USING big::bigint, ALTER code TYPE text USING CAST(code AS text), ALTER n TYPE bigint USING (n)::int8;",
    ];
    for (const sql of widenings) expect(texts(sql), sql).toEqual([]);
  });

  it("flags a narrowing or cross-family change, saying the old type", () => {
    expect(texts("ALTER TABLE invoices ALTER COLUMN big TYPE integer;")).toEqual(["ALTER TABLE invoices ALTER COLUMN big TYPE integer (was int8)"]);
    expect(texts("ALTER TABLE invoices ALTER code TYPE varchar(10);")).toEqual(["ALTER TABLE invoices ALTER code TYPE varchar(10) (was varchar(20))"]);
    const narrowings = [
      "ALTER TABLE invoices ALTER label TYPE char(40);",
      "ALTER TABLE invoices ALTER n TYPE smallint;",
      "ALTER TABLE invoices ALTER big TYPE numeric(18, 0);",
      "ALTER TABLE invoices ALTER ratio TYPE numeric;",
      "ALTER TABLE invoices ALTER price TYPE numeric(11, 4);",
      "ALTER TABLE invoices ALTER price TYPE numeric(10, 1);",
      "ALTER TABLE invoices ALTER total TYPE numeric(30, 10);",
      "ALTER TABLE invoices ALTER issued_at TYPE date;",
      "ALTER TABLE invoices ALTER note TYPE integer;",
      "ALTER TABLE invoices ALTER tags TYPE bigint[];",
    ];
    for (const sql of narrowings) expect(destructiveStatements(sql, created).map((d) => d.kind), sql).toEqual(["column type change"]);
  });

  it("flags a change whose old type it does not know", () => {
    expect(texts("ALTER TABLE invoices ALTER COLUMN missing TYPE bigint;")).toEqual(["ALTER TABLE invoices ALTER COLUMN missing TYPE bigint (old type unknown)"]);
    expect(destructiveStatements("ALTER TABLE elsewhere ALTER code TYPE varchar(64);", created)).toHaveLength(1);
    // Another schema's table of the same name is another table.
    expect(destructiveStatements("ALTER TABLE audit.invoices ALTER code TYPE varchar(64);", created)).toHaveLength(1);
    // ... and unbounded text still needs no old type.
    expect(destructiveStatements("ALTER TABLE elsewhere ALTER code TYPE text;", created)).toEqual([]);
  });

  it("flags a USING clause that computes the new values, unless it only casts the column", () => {
    expect(texts("ALTER TABLE invoices ALTER code TYPE varchar(64) USING upper(code);")).toEqual([
      "ALTER TABLE invoices ALTER code TYPE varchar(64) USING … (was varchar(20))",
    ]);
    expect(texts("ALTER TABLE invoices ALTER n TYPE bigint USING n::smallint;")).toHaveLength(1);
    expect(texts("ALTER TABLE invoices ALTER n TYPE bigint USING big::bigint;")).toHaveLength(1);
    expect(texts("ALTER TABLE invoices ALTER n TYPE bigint USING n::bigint;")).toEqual([]);
  });

  it("follows renames, drops and earlier type changes, in order within a file", () => {
    const sql = [
      "CREATE TABLE t (a integer, b varchar(10), \"Mixed\" smallint);",
      "ALTER TABLE t RENAME COLUMN a TO c;",
      "ALTER TABLE t ALTER c TYPE bigint;",
      "ALTER TABLE t ALTER a TYPE bigint;",
      "ALTER TABLE t RENAME TO u;",
      "ALTER TABLE u ALTER c TYPE integer;",
      "ALTER TABLE u ALTER b TYPE varchar(20), ALTER \"Mixed\" TYPE integer;",
      "ALTER TABLE u ALTER b TYPE varchar(15);",
      "ALTER TABLE u DROP COLUMN b, ADD COLUMN b varchar(5);",
      "ALTER TABLE u ALTER b TYPE varchar(8);",
      "ALTER TABLE u DROP \"Mixed\";",
      "ALTER TABLE u ALTER \"Mixed\" TYPE bigint;",
      "DROP TABLE u;",
      "CREATE TABLE IF NOT EXISTS u (c text);",
      "ALTER TABLE u ALTER c TYPE numeric;",
      "DO $$ BEGIN ALTER TABLE u ALTER c TYPE smallint; END $$;",
      "ALTER TABLE u ALTER c TYPE numeric(12, 2);",
      "ALTER TABLE t ALTER c TYPE bigint;",
    ].join("\n");
    expect(destructiveStatements(sql).map((d) => [d.kind, d.line, d.text])).toEqual([
      ["column type change", 4, "ALTER TABLE t ALTER a TYPE bigint (old type unknown)"],
      ["column type change", 6, "ALTER TABLE u ALTER c TYPE integer (was bigint)"],
      ["column type change", 8, "ALTER TABLE u ALTER b TYPE varchar(15) (was varchar(20))"],
      ["drop column", 9, "ALTER TABLE u DROP COLUMN b, ADD …"],
      ["drop column", 11, 'ALTER TABLE u DROP "Mixed"'],
      ["column type change", 12, 'ALTER TABLE u ALTER "Mixed" TYPE bigint (old type unknown)'],
      ["drop table", 13, "DROP TABLE u"],
      ["column type change", 15, "ALTER TABLE u ALTER c TYPE numeric (was text)"],
      // Not smallint: the DO block's statement is not looked into.
      ["column type change", 17, "ALTER TABLE u ALTER c TYPE numeric(12,2) (was numeric)"],
      ["column type change", 18, "ALTER TABLE t ALTER c TYPE bigint (old type unknown)"],
    ]);
  });

  it("judges an up against the ups before it and a down against the ups through its version", () => {
    const found = destructiveStatementsByFile([
      { name: "0002_widen.down.sql", text: "ALTER TABLE invoices ALTER COLUMN amount_cents TYPE integer;" },
      { name: "0002_widen.sql", text: "ALTER TABLE invoices ALTER COLUMN amount_cents TYPE bigint;" },
      { name: "0001_invoices.down.sql", text: "ALTER TABLE invoices ALTER COLUMN amount_cents TYPE bigint;" },
      { name: "0001_invoices.sql", text: "CREATE TABLE invoices (amount_cents integer);" },
      { name: "0003_text.sql", text: "ALTER TABLE invoices ALTER COLUMN amount_cents TYPE numeric(12, 0);" },
      { name: "0004_nothing.down.sql", text: "ALTER TABLE invoices ALTER COLUMN amount_cents TYPE numeric(30, 0);" },
    ]);
    const texts = (file: string) => found.get(file)!.map((d) => d.text);
    expect(texts("0001_invoices.sql")).toEqual([]);
    expect(texts("0002_widen.sql")).toEqual([]);
    expect(texts("0001_invoices.down.sql")).toEqual([]);
    expect(texts("0002_widen.down.sql")).toEqual(["ALTER TABLE invoices ALTER COLUMN amount_cents TYPE integer (was bigint)"]);
    // The down of 0002 does not change what 0003 sees: the ups are applied in order.
    expect(texts("0003_text.sql")).toEqual(["ALTER TABLE invoices ALTER COLUMN amount_cents TYPE numeric(12,0) (was bigint)"]);
    expect(texts("0004_nothing.down.sql")).toEqual([]);
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
      // A widening of a column an earlier file created passes; its down, narrowing back, does not.
      writeFileSync(join(root, "migrations/0003_c.sql"), "ALTER TABLE a ALTER COLUMN x TYPE bigint;\n");
      expect(validateCommand("tenants", "text", { cwd: root }).exitCode).toBe(0);
      writeFileSync(join(root, "migrations/0003_c.down.sql"), "ALTER TABLE a ALTER COLUMN x TYPE int;\n");
      const narrowing = validateCommand("tenants", "text", { cwd: root });
      expect(narrowing.exitCode).toBe(1);
      expect(narrowing.output).toContain("migrations/0003_c.down.sql:1:15 ALTER TABLE a ALTER COLUMN x TYPE int (was bigint): column type change destroys data");
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("finds every destructive statement of the project's own migrations marked", () => {
    expect(unmarkedDestructive(".")).toEqual([]);
    expect(destructiveStatements("DROP TABLE invoices;")).toHaveLength(1);
  });
});
