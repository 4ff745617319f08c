// The project's dynamic resources, program side: one base class, and the loader each resource
// carries in its state (`__provider`).
//
// The engine runs check/diff/create/update with the new inputs, but read and delete with the OLD
// outputs, and the dynamic-provider host (@pulumi/pulumi/cmd/dynamic-provider) loads whatever
// `__provider` text those hold. Serializing the implementation would freeze it in state: a fixed
// delete path would never reach a resource created before the fix. So the stored provider is a
// loader that holds nothing but its kind. In the provider host (plain `node`, started with the
// project directory as its working directory) it registers tsx once per process, requires
// providers/index.ts of that directory and hands every call to the CURRENT implementation of its kind.
// Its text (loaderText) holds no path, so it is the same on every machine.
//
// Changing the loader's text: the host loads the provider for check, diff and update from the NEW
// inputs' `__provider`, for read and delete from the stored one. Every resource created before the
// change still stores the old text, so the kit's diff (providers/kit.ts) reports a change whenever
// `olds.__provider !== news.__provider`: the next `pulumi up` updates each dynamic resource once,
// and the host's update writes the new text into its outputs (resultIncludingProvider). Until that
// `up`, a refresh or a delete of such a resource still runs its old text. The same `up` moves a
// stack created with the old, fully serialized providers to this loader, with updates only; every
// update path is idempotent for that reason (a migration update at the same version, the same
// profile upserted again, the same LOGIN state, no webhook unless the tenant changed...), so these
// updates change no data.
import * as pulumi from "@pulumi/pulumi";
import { naming } from "../lib/naming";
import type { ProviderKind } from "../providers";

/**
 * The `__provider` text of a kind: the whole of what the state holds of a provider, a few hundred
 * bytes. It is the CommonJS module the host expects (`requireFromString(text).handler()` must give
 * the provider object), written out here rather than made by the SDK's serializeFunction: that
 * would wrap each method in its closure boilerplate (about 1.9 KB per resource, twice per resource
 * in state), cost CPU for every resource of the program, and depend on how a transpiler prints code.
 */
export function loaderText(kind: ProviderKind): string {
  return `exports.handler = () => {
  const load = () => {
    globalThis.__tenancyTsx ??= require("tsx/cjs/api").register();
    return require(require("path").join(process.cwd(), "providers", "index.ts")).provider(${JSON.stringify(kind)});
  };
  return Object.fromEntries(["check", "diff", "create", "read", "update", "delete"].map((m) => [m, (...a) => load()[m](...a)]));
};
`;
}

/** A resource's args: each input may be an Output. */
export type Args<T> = { [K in keyof T]: pulumi.Input<T[K]> };

/** Wraps the input at `path` (a key, or `key.field` of a plain object) as a secret. */
function wrapSecret(inputs: Record<string, unknown>, path: string): void {
  const [key, field] = path.split(".");
  const value = inputs[key];
  if (value === undefined) return;
  if (field === undefined) inputs[key] = pulumi.secret(value as pulumi.Input<unknown>);
  else inputs[key] = { ...(value as Record<string, unknown>), [field]: pulumi.secret((value as Record<string, pulumi.Input<unknown>>)[field]) };
}

/**
 * A dynamic resource of the project: type `pulumi-nodejs:dynamic/tenancy:<kind>` (the tokens of
 * every existing stack), served by providers/ through the loader. `secrets` are the inputs that are
 * secret (a key, or `key.field`): wrapped as secrets here, and their top-level keys kept secret in
 * the outputs (additionalSecretOutputs), which is where delete finds them.
 */
export abstract class TenancyResource extends pulumi.CustomResource {
  constructor(kind: ProviderKind, name: string, props: Record<string, unknown>, opts: pulumi.CustomResourceOptions = {}, secrets: readonly string[] = []) {
    const inputs: Record<string, unknown> = { ...props, __provider: loaderText(kind) };
    for (const path of secrets) wrapSecret(inputs, path);
    const secretOutputs = [...new Set(secrets.map((path) => path.split(".")[0]))];
    // The type pulumi.dynamic.Resource gives (`pulumi-nodejs:dynamic/<module>:<type>`): the host of
    // Pulumi's Node.js dynamic providers serves it; the token of every existing stack is kept.
    super(`${naming.dynamicTypePrefix}${kind}`, name, inputs, { ...opts, additionalSecretOutputs: [...(opts.additionalSecretOutputs ?? []), ...secretOutputs] });
  }
}
