// `tenancy export <id> --out <file> [--rows csv|json]`: everything tenant <id> owns, as a portable
// archive for a GDPR access or portability request (a .tar.gz any tar reads):
//   tenant.json                 its configuration as the catalog resolves it; settings.json its effective settings
//   identity.json               its organization, members and roles (no secret)
//   tables/<table>.csv|.json    its rows, table by table (shared mode: its own rows only)
//   objects/<key>               the current version of each of its objects
//   manifest.json               every file above with its length and sha256 (and an object's original key)
// Rows are read from the live place in one read-only, repeatable-read transaction, as the admin (in
// shared mode as the tables' owner, filtered on tenant_id); tables come from the place's own catalog.
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { once } from "node:events";
import { Readable } from "node:stream";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import type { CommandResult } from "../cli/commands";
import { backupConfiguration } from "../lifecycle/places";
import { quoteIdent as q } from "../database/sql";
import { readIdentity } from "../../providers/backup/identity";
import { currentObjects } from "../../providers/backup/objects";
import { hashing } from "../../providers/backup/parts";
import { readRows, tablesInOrder, type TableShape } from "../../providers/backup/rows";
import { connect } from "../../providers/postgres/connection";
import type { Target } from "../../providers/postgres/target";
import { s3Client } from "../../providers/s3/client";
import { TarWriter } from "./tar";
import { currentCatalog, locateTenant, type OperateOptions, type TenantPlaces } from "./tenant-context";

export const ROW_FORMATS = ["csv", "json"] as const;
export type RowFormat = (typeof ROW_FORMATS)[number];

export interface ExportCommandOptions extends OperateOptions {
  out: string;
  rows?: RowFormat;
}

interface ExportedFile {
  path: string;
  size: number;
  sha256: string;
  /** For an object: its key, which the path may spell differently. */
  key?: string;
}

/** A CSV field: NULL is an empty field, an empty string a quoted one, anything else quoted when it must be. */
function csvField(value: string | null): string {
  if (value === null) return "";
  return value === "" || /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Writes one table's rows to a scratch file (so the archive can announce its size), returning its path. */
async function tableFile(client: Awaited<ReturnType<typeof connect>>, target: Target, table: TableShape, format: RowFormat, dir: string): Promise<string> {
  const path = join(dir, `${table.name}.${format}`);
  const out = createWriteStream(path);
  const put = async (text: string) => {
    if (!out.write(text)) await once(out, "drain");
  };
  await put(format === "csv" ? `${table.columns.map(csvField).join(",")}\r\n` : "[");
  let first = true;
  for await (const rows of readRows(client, target.schema, table, target.isolation === "shared" ? target.tenantId : undefined)) {
    for (const row of rows) {
      if (format === "csv") await put(`${row.map(csvField).join(",")}\r\n`);
      else await put(`${first ? "\n" : ",\n"}${JSON.stringify(Object.fromEntries(table.columns.map((c, i) => [c, row[i]])))}`);
      first = false;
    }
  }
  await put(format === "csv" ? "" : "\n]\n");
  out.end();
  await once(out, "finish");
  return path;
}

/** A path inside the archive for an object key: no segment may climb out of objects/ when extracted. */
export function objectPath(key: string): string {
  return `objects/${key.split("/").map((seg) => (seg === "" || seg === "." || seg === ".." ? `%${Buffer.from(seg || "/").toString("hex")}` : seg)).join("/")}`;
}

async function addHashed(tar: TarWriter, files: ExportedFile[], path: string, size: number, body: Buffer | Readable, key?: string): Promise<void> {
  const counted = hashing();
  await tar.add(path, size, (Buffer.isBuffer(body) ? Readable.from([body]) : body).pipe(counted.stream));
  files.push({ path, ...counted.digest(), ...(key === undefined ? {} : { key }) });
}

async function addJson(tar: TarWriter, files: ExportedFile[], path: string, value: unknown): Promise<void> {
  const body = Buffer.from(`${JSON.stringify(value, null, 2)}\n`);
  await addHashed(tar, files, path, body.length, body);
}

async function addRows(tar: TarWriter, files: ExportedFile[], places: TenantPlaces, format: RowFormat, scratch: string): Promise<number> {
  const { target } = places;
  const client = await connect(target, "tenancy-export");
  try {
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    if (target.isolation === "shared") await client.query(`SET LOCAL ROLE ${q(target.ownerRole)}`);
    const tables = await tablesInOrder(client, target.schema);
    for (const table of tables) {
      const path = await tableFile(client, target, table, format, scratch);
      await addHashed(tar, files, `tables/${table.name}.${format}`, statSync(path).size, createReadStream(path));
    }
    await client.query("COMMIT");
    return tables.length;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function addObjects(tar: TarWriter, files: ExportedFile[], places: TenantPlaces): Promise<number> {
  const client = s3Client(places.objects);
  try {
    const objects = await currentObjects(client, places.objects);
    for (const o of objects) {
      const got = await client.send(new GetObjectCommand({ Bucket: places.objects.bucket, Key: `${places.objects.prefix}${o.key}` }));
      await addHashed(tar, files, objectPath(o.key), got.ContentLength ?? o.size, got.Body as Readable, o.key);
    }
    return objects.length;
  } catch (error) {
    if ((error as { name?: string }).name === "NoSuchBucket") return 0;
    throw error;
  } finally {
    client.destroy();
  }
}

export async function exportCommand(id: string, options: ExportCommandOptions): Promise<CommandResult> {
  const places = locateTenant(currentCatalog(options.cwd), id, options);
  const format = options.rows ?? "csv";
  const out = resolve(options.cwd ?? process.cwd(), options.out);
  const scratch = mkdtempSync(join(tmpdir(), "tenancy-export-"));
  const tar = new TarWriter(out);
  const files: ExportedFile[] = [];
  try {
    await addJson(tar, files, "tenant.json", backupConfiguration(places.tenant));
    await addJson(tar, files, "settings.json", places.tenant.settings);
    await addJson(tar, files, "identity.json", await readIdentity(places.identity, id, undefined, { organization: places.organization }));
    const tables = await addRows(tar, files, places, format, scratch);
    const objects = await addObjects(tar, files, places);
    await addJson(tar, files, "manifest.json", { format: "tenancy-export/1", tenant: id, exportedAt: new Date().toISOString(), rows: format, files });
    await tar.finish();
    return { output: `exported tenant ${id} to ${out}: ${tables} table(s), ${objects} object(s), ${files.length} file(s), each in manifest.json with its sha256`, exitCode: 0, isResult: true };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
