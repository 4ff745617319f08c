// Attack: in shared mode every tenant's rows sit in one set of tables, kept apart by row-level
// security. A migration that puts a SECURITY DEFINER function or a view outside the shared schema
// (in `public`, where functions are executable by PUBLIC by default, or in a schema of its own)
// would hand every shared tenant every other tenant's rows; so would PUBLIC's CREATE or USAGE on
// `public`, or EXECUTE on a function defined later.
// Held: the runner compares the whole catalog of the shared database before and after each
// migration and refuses any object, grant or default privilege it adds outside the shared schema;
// `public` is closed to PUBLIC in the shared databases; functions in the shared schema are
// executable by the tenants' group role only.
import { describe, expect, it } from "vitest";
import { naming } from "../../lib/naming";
import { migrate } from "../../providers/postgres/runner";
import { migrationsWith, useServer } from "../integration/postgres/setup";
import { asTenant, DENIED } from "./tenant-session";

const server = useServer();
const S = naming.sharedSchema;

/** Each migration is tried on its own after the three real ones; each must be refused. */
const HOSTILE: Record<string, string> = {
  "a SECURITY DEFINER function in public": `CREATE FUNCTION public.peek() RETURNS SETOF text LANGUAGE sql SECURITY DEFINER AS $$ SELECT name FROM ${S}.projects $$;`,
  "a view in public": `CREATE VIEW public.every_project AS SELECT * FROM ${S}.projects; GRANT SELECT ON public.every_project TO ${naming.sharedAppRole};`,
  "a function in a schema of its own": `CREATE SCHEMA helpers; CREATE FUNCTION helpers.peek() RETURNS bigint LANGUAGE sql SECURITY DEFINER AS $$ SELECT count(*) FROM ${S}.projects $$;`,
  "CREATE on public for the tenants": `GRANT CREATE ON SCHEMA public TO ${naming.sharedAppRole};`,
  "CREATE on the shared schema for PUBLIC": `GRANT CREATE ON SCHEMA ${S} TO PUBLIC;`,
  "default EXECUTE for PUBLIC on later functions": `ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO PUBLIC;`,
  "a table in public": `CREATE TABLE public.side (tenant_id text, secret text);`,
};

/** A function in the shared schema: accepted (and executable by the tenants' group only). */
const HELPER = `CREATE FUNCTION project_count() RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT count(*) FROM projects $$;`;
/** The shared schema serves every shared tenant of the server: once the helper is applied, every run names it. */
const withHelper = () => migrationsWith({ "0004_helper.sql": HELPER });

describe("the shared-mode migration guard", () => {
  it("refuses, and rolls back, a migration that adds anything outside the shared schema", async () => {
    const { target } = await server().tenant("shared", "guard-a");
    await migrate(target, migrationsWith(), 3);
    const accepted: string[] = [];
    for (const [name, sql] of Object.entries(HOSTILE)) {
      const error = await migrate(target, migrationsWith({ "0004_hostile.sql": sql }), 4).catch((e: Error) => e);
      if (!(error instanceof Error) || !/outside the shared schema/.test(error.message)) accepted.push(`${name}: ${error instanceof Error ? error.message : "applied"}`);
    }
    expect(accepted).toEqual([]);
    const [state] = await server().query(
      `SELECT (SELECT max(version) FROM ${S}.schema_migrations) AS version,
              to_regprocedure('public.peek()') AS peek, to_regclass('public.every_project') AS view, to_regnamespace('helpers') AS helpers`,
      [],
      target.database,
    );
    expect(state).toEqual({ version: 3, peek: null, view: null, helpers: null });
  });

  it("names what it refused", async () => {
    const { target } = await server().tenant("shared", "guard-b");
    const error = await migrate(target, migrationsWith({ "0004_hostile.sql": HOSTILE["a SECURITY DEFINER function in public"] }), 4).catch((e: Error) => e);
    expect((error as Error).message).toBe(
      "migration 0004_hostile.sql adds objects or privileges outside the shared schema tenancy_shared, where row-level security does not guard them: function public.peek(); nothing of it was applied",
    );
  });

  it("a function in the shared schema is executable by the tenants' group, not by PUBLIC", async () => {
    const { target } = await server().tenant("shared", "guard-c");
    await migrate(target, withHelper(), 4);
    const [acl] = await server().query(
      `SELECT has_function_privilege('public', $1, 'EXECUTE') AS public, has_function_privilege($2, $1, 'EXECUTE') AS app`,
      [`${S}.project_count()`, naming.sharedAppRole],
      target.database,
    );
    expect(acl).toEqual({ public: false, app: true });
  });

  it.each(["shared", "schema"] as const)("%s mode: public is closed to every tenant", async (mode) => {
    const id = `closed-${mode}`;
    const { target, password } = await server().tenant(mode, id);
    await migrate(target, mode === "shared" ? withHelper() : migrationsWith(), 3);
    const refused: string[] = [];
    for (const sql of [
      `CREATE TABLE public.t (x int)`,
      `CREATE FUNCTION public.f() RETURNS int LANGUAGE sql AS 'SELECT 1'`,
      `SELECT * FROM public.nothing_here`,
    ]) {
      const outcome = await asTenant(server(), id, password, target.database, [sql]);
      if (outcome.code !== DENIED) refused.push(`${sql}: ${outcome.code ?? "succeeded"}`);
    }
    expect(refused).toEqual([]);
    const [acl] = await server().query(`SELECT has_schema_privilege('public', 'public', 'USAGE') AS usage, has_schema_privilege('public', 'public', 'CREATE') AS create`, [], target.database);
    expect(acl).toEqual({ usage: false, create: false });
  });
});
