// The TenantPrefix resource class. Its provider lives in prefix-provider.ts, a module with no runtime
// import of @pulumi/pulumi: the engine serializes the provider with every module it imports, and this
// class would drag the whole SDK into each tenant's state (see prefix-provider.ts for the resource).
import * as pulumi from "@pulumi/pulumi";
import { tenantPrefixProvider, type TenantPrefixInputs } from "./prefix-provider";

export * from "./prefix-provider";

type Args<T> = { [K in keyof T]: pulumi.Input<T[K]> };

/** `credentials` is wrapped as a secret here and kept secret in the outputs. */
export class TenantPrefix extends pulumi.dynamic.Resource {
  declare readonly bucket: pulumi.Output<string>;
  declare readonly prefix: pulumi.Output<string>;
  constructor(name: string, args: Args<TenantPrefixInputs>, opts?: pulumi.CustomResourceOptions) {
    const props = { ...args, credentials: args.credentials === undefined ? undefined : pulumi.secret(args.credentials) };
    super(tenantPrefixProvider, name, props, {
      ...opts,
      additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "credentials"],
    }, "tenancy", "TenantPrefix");
  }
}
