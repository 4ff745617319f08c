// Prints, as JSON (kind -> text), each dynamic provider serialized the way the SDK serialized the
// project's providers before the thin loader: the implementation object itself, with everything it
// captures, as `pulumi.dynamic.Resource` does with the provider it is given. The upgrade test puts
// these texts into a stack's state to stand for a stack created by the old code.
// Run: node --import tsx test/engine/fat-providers.ts
import * as pulumi from "@pulumi/pulumi";
import { PROVIDER_KINDS, provider } from "../../providers";

async function main(): Promise<void> {
  const out: Record<string, string> = {};
  for (const kind of PROVIDER_KINDS) {
    const implementation = provider(kind);
    out[kind] = (await pulumi.runtime.serializeFunction(() => implementation, { allowSecrets: true })).text;
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
