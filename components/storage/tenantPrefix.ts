// The TenantPrefix resource (providers/s3/prefix.ts has what its delete does).
import type * as pulumi from "@pulumi/pulumi";
import type { TenantPrefixInputs } from "../../providers/s3/prefix";
import { TenancyResource, type Args } from "../dynamic";

/** `credentials` is secret, in and out. */
export class TenantPrefix extends TenancyResource {
  declare readonly bucket: pulumi.Output<string>;
  declare readonly prefix: pulumi.Output<string>;
  constructor(name: string, args: Args<TenantPrefixInputs>, opts?: pulumi.CustomResourceOptions) {
    super("TenantPrefix", name, args, opts, ["credentials"]);
  }
}
