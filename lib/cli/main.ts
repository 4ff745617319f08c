// `tenancy`: argument parsing only; every command is a function in commands.ts (or its own module).
import { Command, Option } from "commander";
import { listCommand, newCommand, validateCommand, type CommandResult, type ErrorFormat } from "./commands";

export function buildCli(emit: (result: CommandResult) => void): Command {
  const program = new Command("tenancy")
    .description("Validate, list, scaffold and plan the tenant catalog of a multi-tenant SaaS")
    .showHelpAfterError()
    .exitOverride();
  const dirOption = () => new Option("--dir <dir>", "catalog directory").default("tenants");

  program
    .command("validate")
    .description("validate the whole catalog; exit 0 when valid, 1 with every error located otherwise")
    .addOption(dirOption())
    .addOption(new Option("--format <format>", "output format").choices(["text", "json", "github"]).default("text"))
    .action((opts: { dir: string; format: ErrorFormat }) => emit(validateCommand(opts.dir, opts.format)));

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
    .option("--cell <cell>", "cell (stack); default: the least-loaded cell of the region")
    .action((id: string, opts: { dir: string; name?: string; plan?: string; region?: string; cell?: string }) =>
      emit(newCommand({ ...opts, id })),
    );

  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  let exitCode = 0;
  const emit = (result: CommandResult) => {
    if (result.output) (result.exitCode === 0 ? process.stdout : process.stderr).write(`${result.output}\n`);
    exitCode = result.exitCode;
  };
  try {
    await buildCli(emit).parseAsync(argv, { from: "user" });
  } catch (error) {
    // commander has printed its own message for usage errors and --help/--version.
    const code = (error as { exitCode?: number }).exitCode;
    if (typeof code === "number") return code === 0 ? 0 : 2;
    throw error;
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
