// Hands the project's program to the Pulumi CLI through @pulumi/pulumi's own language server, the
// one the Automation API uses for inline programs (`pulumi up --client=<address>`).
//
// Why: the CLI normally starts `pulumi-language-nodejs`, which runs `node <nodeargs> <main>`. That
// host is a Go module the module proxy does not serve (see ensure.ts), so on these machines the
// harness starts this file instead, with the same node arguments Pulumi.yaml gives the host
// (`--import tsx`) and the project directory as working directory, and passes its address to the
// CLI. The program is the project's `main`, loaded inside Pulumi's stack callback exactly as the
// host's `run` would load it; its export becomes the stack outputs.
//
// Prints the port on stdout, then serves until stdin closes (the harness ends it with the command).
import * as grpc from "@grpc/grpc-js";
import * as langrpc from "@pulumi/pulumi/proto/language_grpc_pb";
import { resolve } from "node:path";

// Marked @internal in the SDK's typings (the Automation API constructs it), so typed here.
const { LanguageServer } = require("@pulumi/pulumi/automation/server") as {
  LanguageServer: new (program: () => Promise<unknown>) => grpc.UntypedServiceImplementation;
};
const main = resolve(process.cwd(), process.argv[2] ?? "index.ts");

async function serve(): Promise<void> {
  const server = new grpc.Server({ "grpc.max_receive_message_length": 400 * 1024 * 1024 });
  server.addService(langrpc.LanguageRuntimeService, new LanguageServer(async () => require(main)));
  const port = await new Promise<number>((done, fail) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? fail(e) : done(p))),
  );
  process.stdout.write(`${port}\n`);
  process.stdin.resume();
  process.stdin.on("end", () => {
    server.forceShutdown();
    process.exit(0);
  });
}

serve().catch((e) => {
  process.stderr.write(`program server: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
