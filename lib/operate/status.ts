// `tenancy status [--cell C] [--format text|json|markdown] [--usage FILE]`: every tenant of the
// catalog (or of one cell) as the live services show it, with its cell's stack config read through
// the Pulumi CLI (tenant-context.ts). The catalog only says where to look and what to expect; every
// figure is read from PostgreSQL, S3 and the identity server. Exit 1 when any tenant is unhealthy.
import { appendFileSync } from "node:fs";
import pLimit = require("p-limit");
import type { Catalog, ResolvedTenant } from "../catalog";
import { loadMigrations, type Migration } from "../database/migrations";
import { naming } from "../naming";
import type { CommandResult } from "../cli/commands";
import { silent, type Progress } from "../cli/progress";
import type { ClientOptions } from "../../providers/identity/client";
import { s3Client, type S3Credentials } from "../../providers/s3/client";
import { cellConfig, currentCatalog, tenantPlaces, type OperateOptions } from "./tenant-context";
import { probeDatabase, probeIdentity, probeStorage } from "./status-probe";
import { formatStatusJson, formatStatusMarkdown, formatStatusText, tenantHealth, usageLines, type TenantExpectation, type TenantStatus } from "./status-rules";

export type StatusFormat = "text" | "json" | "markdown";

export interface StatusOptions extends OperateOptions {
  cell?: string;
  format: StatusFormat;
  /** Appends one JSON line of usage per tenant to this file (billing). */
  usage?: string;
  /** The catalog; the project's tenants/ by default. */
  catalog?: Catalog;
  migrations?: Migration[];
  /** S3 credentials; the AWS SDK's default chain otherwise. */
  s3Credentials?: S3Credentials;
  identityClient?: ClientOptions;
  /** Tenants read at once. */
  concurrency?: number;
  progress?: Progress;
  now?: () => Date;
}

/** What the catalog expects of a tenant, against which the observation is judged. */
export function expectation(t: ResolvedTenant, latestMigration: number): TenantExpectation {
  return {
    id: t.id,
    cell: t.cell,
    plan: t.plan,
    isolation: t.database.isolation,
    storageMode: t.storage.mode,
    status: t.status,
    targetVersion: Math.min(t.max_migration, latestMigration),
    organization: naming.organization(t.id, t.adopt?.organization),
  };
}

/** Every tenant's status, in id order; tenants of a cell whose config cannot be read are reported unreachable. */
export async function tenantStatuses(options: StatusOptions): Promise<TenantStatus[]> {
  const catalog = options.catalog ?? currentCatalog();
  const migrations = options.migrations ?? loadMigrations();
  const progress = options.progress ?? silent;
  if (options.cell !== undefined && !catalog.declarations.cells.has(options.cell)) {
    throw new Error(`no cell ${JSON.stringify(options.cell)} is declared in _cells.yaml (declared: ${[...catalog.declarations.cells.keys()].join(", ")})`);
  }
  const tenants = catalog.tenants.filter((t) => options.cell === undefined || t.cell === options.cell);
  const configs = new Map<string, ReturnType<typeof cellConfig>>();
  const limit = pLimit(options.concurrency ?? 8);
  return Promise.all(
    tenants.map((t) =>
      limit(async () => {
        const expected = expectation(t, migrations.length);
        let config = configs.get(t.cell);
        if (!config) {
          progress(`reading the config of stack ${t.cell}`);
          configs.set(t.cell, (config = cellConfig(t.cell, options)));
        }
        progress(`reading tenant ${t.id}`);
        let places: ReturnType<typeof tenantPlaces>;
        try {
          places = tenantPlaces(t, config);
        } catch (error) {
          const unreachable = { reachable: false as const, error: (error as Error).message };
          return tenantHealth({ expected, database: unreachable, storage: unreachable, identity: unreachable }, migrations);
        }
        const client = s3Client(places.objects, options.s3Credentials);
        try {
          const [database, storage, identity] = await Promise.all([
            probeDatabase(places.target),
            probeStorage(client, places.objects),
            probeIdentity(places.identity, t.id, expected.organization, catalog.controlPlane, options.identityClient),
          ]);
          return tenantHealth({ expected, database, storage, identity }, migrations);
        } finally {
          client.destroy();
        }
      }),
    ),
  );
}

export async function statusCommand(options: StatusOptions): Promise<CommandResult> {
  const statuses = await tenantStatuses(options);
  if (options.usage) appendFileSync(options.usage, usageLines(statuses, (options.now?.() ?? new Date()).toISOString()));
  const format = { text: formatStatusText, json: formatStatusJson, markdown: formatStatusMarkdown }[options.format];
  // The report is the result whatever the health: stdout, exit 1 when a tenant is unhealthy.
  return { output: format(statuses), exitCode: statuses.every((s) => s.healthy) ? 0 : 1, isResult: true };
}
