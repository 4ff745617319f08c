// The project's dynamic resources, program side: one base class, and the loader that the Pulumi SDK
// serializes into each resource's state (`__provider`).
//
// The engine runs check/diff/create/update with the new inputs, but read and delete with the OLD
// outputs, and the dynamic-provider host (@pulumi/pulumi/cmd/dynamic-provider) loads whatever
// `__provider` text those hold. Serializing the implementation would freeze it in state: a fixed
// delete path would never reach a resource created before the fix. So the serialized provider is a
// loader that captures nothing but its kind. In the provider host (plain `node`, started with the
// project directory as its working directory) it registers tsx once per process, requires
// providers/index.ts of that directory and hands every call to the CURRENT implementation of its kind.
//
// The loader is written as text and made into a function with `new Function`: that text is part of
// every resource's state, so it must not depend on how a transpiler happens to print it (tsx and
// vitest print TypeScript differently), and it holds no path, so it is the same on every machine.
// Serialized it is about 1.9 KB, nearly all of it the SDK's closure scaffolding (some 170 bytes
// around each of the six methods, the loading function and the handler); its own code is ~450 bytes.
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
import type { ProviderKind } from "../providers";

const LOADER = `const load = () => {
  globalThis.__tenancyTsx ??= require("tsx/cjs/api").register();
  return require(require("path").join(process.cwd(), "providers", "index.ts")).provider(kind);
};
return {
  check: (...a) => load().check(...a),
  diff: (...a) => load().diff(...a),
  create: (...a) => load().create(...a),
  read: (...a) => load().read(...a),
  update: (...a) => load().update(...a),
  delete: (...a) => load().delete(...a),
};`;

const makeLoader = new Function("kind", LOADER) as (kind: ProviderKind) => pulumi.dynamic.ResourceProvider;
const loaders = new Map<ProviderKind, pulumi.dynamic.ResourceProvider>();

/** The loader of a kind; one object per kind, so the SDK serializes it once per program run. */
export function loaderFor(kind: ProviderKind): pulumi.dynamic.ResourceProvider {
  let loader = loaders.get(kind);
  if (!loader) loaders.set(kind, (loader = makeLoader(kind)));
  return loader;
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
export abstract class TenancyResource extends pulumi.dynamic.Resource {
  constructor(kind: ProviderKind, name: string, props: Record<string, unknown>, opts: pulumi.CustomResourceOptions = {}, secrets: readonly string[] = []) {
    const inputs = { ...props };
    for (const path of secrets) wrapSecret(inputs, path);
    const secretOutputs = [...new Set(secrets.map((path) => path.split(".")[0]))];
    super(loaderFor(kind), name, inputs, { ...opts, additionalSecretOutputs: [...(opts.additionalSecretOutputs ?? []), ...secretOutputs] }, "tenancy", kind);
  }
}
