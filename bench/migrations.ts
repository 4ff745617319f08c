// Benchmark: one new migration reaching 200 tenant databases through our runner (advisory lock,
// checksums, bookkeeping, grants; bounded concurrency), against the floor: the same SQL run by one
// plain session per database, one database after another, as `psql -c` in a loop would.
// Also: provisioning a tenant database by cloning a migrated template vs migrating an empty one.
import { Client } from "pg";
import { provisionSql, serverProvisionSql, targetFor, type ServerConnection } from "../lib/database/layout";
import { loadMigrations, MIGRATIONS_DIR } from "../lib/database/migrations";
import { migrate } from "../providers/postgres/runner";
import { ensureTemplate } from "../providers/postgres/template";
import { naming } from "../lib/naming";
import { startPostgres } from "../test/harness/postgres";

const TENANTS = Number(process.env.BENCH_TENANTS ?? 200);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const PROVISION_SAMPLES = Number(process.env.BENCH_PROVISION ?? 20);
const NEW_MIGRATION = {
  name: "0004_project_archive.sql",
  text: "ALTER TABLE projects ADD COLUMN archived_at timestamptz;\nCREATE INDEX projects_active ON projects (tenant_id, name) WHERE archived_at IS NULL;\n",
};

async function pool<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function ms(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function main() {
  const pg = await startPostgres();
  const server: ServerConnection = { host: pg.host, port: pg.port, user: pg.user, password: pg.password, sslmode: "disable" };
  const admin = await pg.adminClient();
  // The server stops under it at the end, or after a failure that is reported below.
  admin.on("error", () => undefined);
  try {
    for (const sql of serverProvisionSql(pg.user)) await admin.query(sql);
    const current = loadMigrations();
    const withNew = loadMigrations(MIGRATIONS_DIR, [NEW_MIGRATION]);
    const version = current.length;

    // Provisioning: an empty database migrated to the current version, against a clone of a template.
    const template = await ensureTemplate(server, current, version);
    const provision = async (prefix: string, i: number, fromTemplate: boolean) => {
      const id = `${prefix}-${String(i).padStart(4, "0")}`;
      for (const sql of provisionSql("database", id, "bench-password", fromTemplate ? { template } : {})) await admin.query(sql);
      const result = await migrate(targetFor(server, "database", id), current, version);
      if (result.to !== version) throw new Error(`${id} is at ${result.to}, expected ${version}`);
      return id;
    };
    // Interleaved, and compared by median, so a change in the machine's load hits both alike.
    const emptyTimes: number[] = [];
    const cloneTimes: number[] = [];
    for (let i = 0; i < PROVISION_SAMPLES; i++) {
      let t = process.hrtime.bigint();
      await provision("empty", i, false);
      emptyTimes.push(ms(t));
      t = process.hrtime.bigint();
      await provision("clone", i, true);
      cloneTimes.push(ms(t));
    }
    const emptyMs = median(emptyTimes);
    const cloneMs = median(cloneTimes);

    // A cloned database must be indistinguishable from a migrated one: same tables, the tenant's
    // own id in current_tenant_id(), and the tenant role able to use its tables.
    const schema = naming.schema("clone-0000");
    const check = await pg.adminClient(naming.database("clone-0000"));
    const { rows } = await check
      .query(`SELECT ${schema}.current_tenant_id() AS id, has_table_privilege($1, '${schema}.invoices', 'INSERT') AS can`, [naming.role("clone-0000")])
      .finally(() => check.end());
    if (rows[0].id !== "clone-0000" || !rows[0].can) throw new Error(`cloned database is not the tenant's: ${JSON.stringify(rows[0])}`);

    // 2 x TENANTS databases at the current version (cloned: setup, not measured).
    const ours: string[] = [];
    const floor: string[] = [];
    for (let i = 0; i < TENANTS; i++) {
      ours.push(await provision("ours", i, true));
      floor.push(await provision("floor", i, true));
    }

    let start = process.hrtime.bigint();
    await pool(ours, CONCURRENCY, async (id) => {
      const result = await migrate(targetFor(server, "database", id), withNew, version + 1);
      if (result.applied.join() !== String(version + 1)) throw new Error(`${id}: applied ${result.applied.join()}`);
    });
    const oursMs = ms(start);

    start = process.hrtime.bigint();
    for (const id of floor) {
      const client = new Client(pg.config(naming.database(id)));
      await client.connect();
      await client.query(`SET search_path TO ${naming.schema(id)};\n${NEW_MIGRATION.text}`).finally(() => client.end());
    }
    const floorMs = ms(start);

    const row = (what: string, total: number, per: number) => console.log(`| ${what.padEnd(58)} | ${total.toFixed(0).padStart(9)} | ${per.toFixed(1).padStart(9)} |`);
    console.log(`PostgreSQL 15.18 (embedded, started in ${pg.startMs} ms), ${TENANTS} tenant databases, concurrency ${CONCURRENCY}`);
    console.log(`| ${"what".padEnd(58)} | ${"total ms".padStart(9)} | ${"per db ms".padStart(9)} |`);
    console.log(`|${"-".repeat(60)}|${"-".repeat(11)}|${"-".repeat(11)}|`);
    row(`ours: runner, 1 new migration, ${CONCURRENCY} at a time`, oursMs, oursMs / TENANTS);
    row("floor: same SQL, one plain session per database, in turn", floorMs, floorMs / TENANTS);
    row(`provision: empty database + migrate to ${version} (median of ${PROVISION_SAMPLES})`, sum(emptyTimes), emptyMs);
    row(`provision: clone of template + runner (median of ${PROVISION_SAMPLES})`, sum(cloneTimes), cloneMs);
    console.log(`template clone is ${(emptyMs / cloneMs).toFixed(2)}x the speed of migrating an empty database`);
    console.log(`ratio=${(oursMs / floorMs).toFixed(3)}`);
  } finally {
    await admin.end();
    await pg.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
