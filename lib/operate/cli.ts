// The operator's commands of `tenancy`: status, backup, restore (and clone), export, forget. Each reads the
// stack config of the tenant's cell through the Pulumi CLI (`pulumi` on PATH, logged in to the
// backend, PULUMI_CONFIG_PASSPHRASE or the stack's KMS key in reach), as the deploy job has it.
// Modules are loaded when a command runs: the AWS SDK and pg are not for `validate` to pay.
import { resolve } from "node:path";
import { Option, type Command } from "commander";
import type { CommandResult } from "../cli/commands";
import type { OperateOptions } from "./tenant-context";

/**
 * A command's module, loaded when the command runs. require(), not import(): bin/tenancy.js runs the
 * TypeScript through tsx's CommonJS hook, and a native import() of an extensionless .ts path fails
 * there ("Cannot find module .../lib/operate/backup"), which test/engine/operate-cli.test.ts caught.
 */
function load<T>(path: string): T {
  return require(path) as T;
}

/** `--stack-prefix`: the stack of a cell is `<prefix><cell>` (Pulumi Cloud: `<org>/tenancy/`). */
function operate(opts: { stackPrefix?: string }): OperateOptions {
  const prefix = opts.stackPrefix ?? process.env.PULUMI_STACK_PREFIX ?? "";
  return prefix ? { stackOf: (cell) => `${prefix}${cell}` } : {};
}

const stackPrefix = () => new Option("--stack-prefix <prefix>", "the stacks' names before the cell, such as acme/tenancy/ on Pulumi Cloud (default: $PULUMI_STACK_PREFIX)");

export function registerOperateCommands(program: Command, emit: (result: CommandResult) => void, startDir: string): void {
  program
    .command("status")
    .description("every tenant as the live services show it (database, storage, identity, suspension), a summary per cell; exit 1 when any is unhealthy")
    .option("--cell <cell>", "only the tenants of this cell")
    .addOption(new Option("--format <format>", "output format").choices(["text", "json", "markdown"]).default("text"))
    .option("--usage <file>", "append one JSON line of usage per tenant (database and storage bytes, members) to this file, for billing")
    .option("--quiet", "no progress lines (they go to stderr, and only when it is a terminal)")
    .addOption(stackPrefix())
    .action(async (opts: { cell?: string; format: "text" | "json" | "markdown"; usage?: string; quiet?: boolean; stackPrefix?: string }) => {
      const { statusCommand } = load<typeof import("./status")>("./status");
      const { progressReporter } = load<typeof import("../cli/progress")>("../cli/progress");
      emit(
        await statusCommand({
          ...operate(opts),
          cell: opts.cell,
          format: opts.format,
          usage: opts.usage === undefined ? undefined : resolve(startDir, opts.usage),
          progress: progressReporter("status", process.stderr, { quiet: opts.quiet }),
        }),
      );
    });

  program
    .command("backup")
    .description("whole-tenant backup (database, objects, configuration, identity), verified, in the backups bucket of the tenant's region; then its retention")
    .argument("[ids...]", "tenant ids")
    .option("--cell <cell>", "every tenant of this cell (the scheduled backup)")
    .addOption(new Option("--reason <reason>", "recorded in the manifest").choices(["on-demand", "scheduled"]).default("on-demand"))
    .addOption(stackPrefix())
    .action(async (ids: string[], opts: { cell?: string; reason: "on-demand" | "scheduled"; stackPrefix?: string }) => {
      const { backupCommand } = load<typeof import("./backup")>("./backup");
      emit(await backupCommand(ids, { ...operate(opts), cell: opts.cell, reason: opts.reason }));
    });

  program
    .command("restore")
    .description("restore a backup of <id> into its current place, or --as a new tenant (a clone): writes the tenant file first when the destination is not in the catalog")
    .argument("<id>", "the tenant the backup is of")
    .requiredOption("--from <backup>", "a backup key (backups/<id>/<time>/) or latest")
    .option("--as <new-id>", "restore as a new tenant with this id (a clone)")
    .option("--replace", "replace what the destination holds (a backup of it is taken first)")
    .option("--cell <cell>", "the cell <id> was in, when it is no longer in the catalog")
    .option("--region <region>", "the region <id> was in, when it is no longer in the catalog")
    .addOption(stackPrefix())
    .action(async (id: string, opts: { from: string; as?: string; replace?: boolean; cell?: string; region?: string; stackPrefix?: string }) => {
      const { restoreCommand } = load<typeof import("./restore")>("./restore");
      emit(await restoreCommand(id, { ...operate(opts), from: opts.from, as: opts.as, replace: opts.replace, cell: opts.cell, region: opts.region }));
    });

  program
    .command("export")
    .description("everything a tenant owns as a portable .tar.gz (rows per table, objects, settings, identity, manifest with checksums), for a GDPR request")
    .argument("<id>", "tenant id")
    .requiredOption("--out <file>", "the archive to write (.tar.gz)")
    .addOption(new Option("--rows <format>", "rows as").choices(["csv", "json"]).default("csv"))
    .addOption(stackPrefix())
    .action(async (id: string, opts: { out: string; rows: "csv" | "json"; stackPrefix?: string }) => {
      const { exportCommand } = load<typeof import("./export")>("./export");
      emit(await exportCommand(id, { ...operate(opts), out: resolve(startDir, opts.out), rows: opts.rows }));
    });

  program
    .command("forget")
    .description("after offboarding with on_delete: delete, check every place the tenant had data in is empty (the forgotten report); exit 1 otherwise")
    .argument("<id>", "tenant id (no longer in the catalog)")
    .requiredOption("--cell <cell>", "the cell it was in")
    .requiredOption("--region <region>", "the region it was in")
    .option("--delete-backups", "delete its backups first")
    .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
    .addOption(stackPrefix())
    .action(async (id: string, opts: { cell: string; region: string; deleteBackups?: boolean; format: "text" | "json"; stackPrefix?: string }) => {
      const { forgetCommand } = load<typeof import("./forget")>("./forget");
      emit(await forgetCommand(id, { ...operate(opts), cell: opts.cell, region: opts.region, deleteBackups: opts.deleteBackups, format: opts.format }));
    });
}
