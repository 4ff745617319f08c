// `tenancy`: argument parsing only; every command is a function in commands.ts (or its own module).
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { Command, Option } from "commander";
import { CATALOG_DIR } from "../naming";
import { readFileSync } from "node:fs";
import { affectedFromGit, deployFailures, formatDeployReport, leastLoadedCell, parseEventLog } from "../cells";
import { FORMATS, type Format } from "../plan/format";
import { registerOperateCommands } from "../operate/cli";
import { cellsCommand, listCommand, newCommand, validateCommand, type CellsFormat, type CommandResult, type ErrorFormat } from "./commands";
import { progressReporter } from "./progress";

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** The project's root: the nearest directory from `from` upwards that holds Pulumi.yaml. */
export function findProjectRoot(from: string): string | undefined {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "Pulumi.yaml"))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

/** The version of this tool, from its package.json. */
export function toolVersion(): string {
  return (require("../../package.json") as { version: string }).version;
}

/**
 * `startDir`: where the user ran the command; a `--dir` given there is resolved against it, while
 * the commands themselves run from the project's root (the default catalog, git, stack files).
 */
export function buildCli(emit: (result: CommandResult) => void, startDir = process.cwd()): Command {
  const program = new Command("tenancy")
    .description("Validate, list, scaffold and plan the tenant catalog of a multi-tenant SaaS")
    .version(toolVersion(), "-V, --version", "print the version of tenancy")
    .showHelpAfterError()
    .exitOverride();
  const dirOption = () => new Option("--dir <dir>", "catalog directory").default(CATALOG_DIR).argParser((dir) => resolve(startDir, dir));

  program
    .command("validate")
    .description("validate the whole catalog; exit 0 when valid, 1 with every error located otherwise")
    .addOption(dirOption())
    .addOption(new Option("--format <format>", "output format").choices(["text", "json", "github"]).default("text"))
    .option("--base <ref>", "also compare with the catalog at this git ref (refuses moving a tenant between cells)")
    .option("--allow-cell-move <id>", "a tenant whose state was moved between stacks already (repeatable)", collect, [])
    .option("--strict", "also fail on warnings (a cell past its resource budget)")
    .action((opts: { dir: string; format: ErrorFormat; base?: string; allowCellMove: string[]; strict?: boolean }) =>
      emit(validateCommand(opts.dir, opts.format, { base: opts.base, allowCellMoves: opts.allowCellMove, strict: opts.strict })),
    );

  program
    .command("list")
    .description("list tenants: id, status, plan, cell, isolation, subdomain")
    .addOption(dirOption())
    .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
    .action((opts: { dir: string; format: "text" | "json" }) => emit(listCommand(opts.dir, opts.format)));

  program
    .command("new")
    .description("scaffold tenants/<id>.yaml; refuses an existing or invalid id and never writes an invalid file")
    .argument("<id>", "tenant id")
    .addOption(dirOption())
    .option("--name <name>", "display name (default: from the id)")
    .option("--plan <plan>", "plan (default: from _defaults.yaml)")
    .option("--region <region>", "AWS region of the tenant's data (default: from _defaults.yaml)")
    .option("--cell <cell>", "a cell declared in _cells.yaml; default: the least-loaded declared cell of the region")
    .action((id: string, opts: { dir: string; name?: string; plan?: string; region?: string; cell?: string }) =>
      emit(newCommand({ ...opts, id, placeCell: leastLoadedCell })),
    );

  program
    .command("plan")
    .description("what the program would create, change or delete, evaluated offline under Pulumi's mocks")
    // No --dir: the program deploys tenants/ (CATALOG_DIR) and nothing else, so the plan reads that.
    .option("--base <ref>", "compare with the catalog at this git ref (default: everything is a creation)")
    .addOption(new Option("--format <format>", "output format").choices([...FORMATS]).default("text"))
    .option("--quiet", "no progress lines (they go to stderr, and only when it is a terminal)")
    .option("--allow-data-loss <id>", "a tenant whose offboarding without backup, refused place change or lowered migrations the change accepts (repeatable)", collect, [])
    .option("--allow-cell-move <id>", "a tenant whose state was moved between stacks already (repeatable)", collect, [])
    // Resolved where the user ran the command: the plan itself runs from the project's root.
    .option("--sizes <file.json>", 'tenant sizes in bytes, { "<tenant id>": <bytes> } or `tenancy status --format json` output, to estimate the maintenance of a tenant move', (file: string) => resolve(startDir, file))
    .action(async ({ quiet, ...opts }: { base?: string; format: Format; quiet?: boolean; allowDataLoss: string[]; allowCellMove: string[]; sizes?: string }) => {
      // Loaded on demand, with require so it stays synchronous CommonJS under tsx: the program and
      // the provider SDKs take seconds to import, which the other commands should not pay.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { runPlan } = require("../plan") as typeof import("../plan");
      const result = await runPlan({ ...opts, dir: CATALOG_DIR, progress: progressReporter("plan", process.stderr, { quiet }) });
      emit({ output: result.output.trimEnd(), exitCode: result.exitCode, isResult: result.planned });
    });

  program
    .command("affected")
    .description("the stacks (cells) a change touches, as a JSON matrix for GitHub Actions")
    .requiredOption("--base <ref>", "git ref the change is compared with, such as origin/main")
    .option("--explain", "print the reasons per cell instead of the matrix")
    .action((opts: { base: string; explain?: boolean }) => {
      const result = affectedFromGit({ base: opts.base, dir: CATALOG_DIR });
      emit({ output: opts.explain ? JSON.stringify(result.cells, null, 2) : JSON.stringify(result.matrix), exitCode: 0 });
    });

  program
    .command("deploy-report")
    .description("the tenants a deploy failed, from the engine's event log (pulumi up --event-log), as markdown for the job summary")
    .requiredOption("--events <file>", "the event log of `pulumi up --continue-on-error --event-log <file>`")
    .requiredOption("--stack <cell>", "the stack (cell) that was deployed")
    .action((opts: { events: string; stack: string }) => {
      const failures = deployFailures(parseEventLog(readFileSync(resolve(startDir, opts.events), "utf8")));
      emit({ output: formatDeployReport(opts.stack, failures).trimEnd(), exitCode: 0 });
    });

  program
    .command("cells")
    .description("tenants and estimated resources per cell, with a warning past the resource budget")
    .addOption(dirOption())
    .option("--budget <n>", "resources per stack, for every cell (default: each cell's resource_budget in _cells.yaml)", (v) => Number(v))
    .addOption(new Option("--format <format>", "output format; matrix: the cells holding tenants, for GitHub Actions").choices(["text", "json", "matrix"]).default("text"))
    .action((opts: { dir: string; budget?: number; format: CellsFormat }) => emit(cellsCommand(opts.dir, opts.budget, opts.format)));

  // status, backup, restore, export, forget: lib/operate/cli.ts.
  registerOperateCommands(program, emit, startDir);

  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  let exitCode = 0;
  const emit = (result: CommandResult) => {
    if (result.messages) process.stderr.write(`${result.messages}\n`);
    if (result.output) (result.exitCode === 0 || result.isResult ? process.stdout : process.stderr).write(`${result.output}\n`);
    exitCode = result.exitCode;
  };
  const startDir = process.cwd();
  const root = findProjectRoot(startDir);
  const informational = argv.some((a) => ["-h", "--help", "-V", "--version"].includes(a)) || argv.length === 0;
  if (!root && !informational) {
    process.stderr.write(`tenancy: no Pulumi.yaml in ${startDir} or any directory above it; run tenancy inside the project (the directory of Pulumi.yaml and tenants/, or below it)\n`);
    return 2;
  }
  // The commands read tenants/, stack files and git from the project's root, wherever they were started.
  if (root) process.chdir(root);
  try {
    await buildCli(emit, startDir).parseAsync(argv, { from: "user" });
  } catch (error) {
    // commander has printed its own message for usage errors and --help/--version.
    const code = (error as { exitCode?: number }).exitCode;
    if (typeof code === "number") return code === 0 ? 0 : 2;
    throw error;
  } finally {
    process.chdir(startDir);
  }
  return exitCode;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      process.stderr.write(`tenancy: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 2;
    },
  );
}
