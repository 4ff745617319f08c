// Attack: a tenant lists the others through PostgreSQL's catalogs and statistics: every session's
// role, database and application (pg_stat_activity), every lock (pg_locks), every table's row
// counts (pg_stat_user_tables, pg_stat_get_*), and the whole server from the `postgres` and
// `template1` databases, which PUBLIC may connect to by default.
// Held, where the admin is a superuser: those views and functions are closed to PUBLIC in every
// database a tenant can reach, and `postgres`/`template1` are closed to PUBLIC.
// The limit (SECURITY.md): the system catalogs themselves stay readable, as PostgreSQL needs them
// to be: role and database names, in schema mode the other tenants' schema and table names, and in
// shared mode the shared tables' identity sequences, whose values advance with every tenant's rows.
import { beforeAll, describe, expect, it } from "vitest";
import { loadMigrations } from "../../lib/database/migrations";
import { naming } from "../../lib/naming";
import { migrate } from "../../providers/postgres/runner";
import type { Target } from "../../providers/postgres/target";
import { useServer } from "../integration/postgres/setup";
import { asTenant, DENIED } from "./tenant-session";

const server = useServer();

describe.each(["shared", "schema"] as const)("%s mode", (mode) => {
  let a: { target: Target; password: string };
  let b: { target: Target; password: string };
  const A = `peek-${mode}-a`;
  const B = `peek-${mode}-b`;
  beforeAll(async () => {
    a = await server().tenant(mode, A);
    b = await server().tenant(mode, B);
    for (const t of [a, b]) await migrate(t.target, loadMigrations(), 3);
  });

  it("statistics, sessions and locks of other tenants are closed, and so are postgres and template1", async () => {
    const attempts: Record<string, [string, string]> = {
      "sessions (pg_stat_activity)": [a.target.database, `SELECT usename, datname, application_name FROM pg_stat_activity`],
      "the session function itself": [a.target.database, `SELECT * FROM pg_stat_get_activity(NULL)`],
      "locks (pg_locks)": [a.target.database, `SELECT * FROM pg_locks`],
      "row counts (pg_stat_user_tables)": [a.target.database, `SELECT relname, n_live_tup FROM pg_stat_user_tables`],
      "row counts (pg_stat_get_live_tuples)": [a.target.database, `SELECT pg_stat_get_live_tuples('${b.target.schema}.projects'::regclass)`],
      "I/O counters (pg_statio_user_tables)": [a.target.database, `SELECT * FROM pg_statio_user_tables`],
      "the postgres database": ["postgres", `SELECT 1`],
      "the template1 database": ["template1", `SELECT 1`],
    };
    const open: string[] = [];
    for (const [name, [database, sql]] of Object.entries(attempts)) {
      const outcome = await asTenant(server(), A, a.password, database, [sql]);
      if (outcome.code !== DENIED) open.push(`${name}: ${outcome.code ?? `succeeded ${JSON.stringify(outcome.rows).slice(0, 120)}`}`);
    }
    expect(open).toEqual([]);
  });

  it("the limit: names in the system catalogs stay visible", async () => {
    const seen = await asTenant(server(), A, a.password, a.target.database, [
      `SELECT (SELECT count(*) FROM pg_roles WHERE rolname = '${naming.role(B)}')::int AS other_role,
              (SELECT count(*) FROM pg_namespace WHERE nspname = '${b.target.schema}')::int AS other_schema,
              (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '${b.target.schema}' AND c.relname = 'projects')::int AS other_table`,
    ]);
    // Role names, always; in schema mode B's schema and its tables too (in shared mode the schema is everyone's).
    expect(seen.rows).toEqual([{ other_role: 1, other_schema: 1, other_table: 1 }]);
    if (mode !== "shared") return;
    // Shared mode: the identity sequence is everyone's, so A's ids show how many rows B added in between.
    const insert = (id: string, password: string) =>
      asTenant(server(), id, password, a.target.database, [`INSERT INTO ${naming.sharedSchema}.projects (name) VALUES ('p' || random()) RETURNING id`]);
    const first = Number((await insert(A, a.password)).rows[0].id);
    for (let i = 0; i < 5; i++) await insert(B, b.password);
    const second = Number((await insert(A, a.password)).rows[0].id);
    expect(second - first).toBe(6);
  });
});
