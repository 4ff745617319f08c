// The AWS regions a tenant or a stack may name. Apart from formats.ts because it loads
// @pulumi/aws's enums, which the engine-side providers (through lib/naming.ts -> formats.ts) must not.
import { Region } from "@pulumi/aws/types/enums";

/** The regions the AWS provider itself knows, so the list moves with the provider version. */
export const AWS_REGIONS: readonly string[] = Object.values(Region).sort();
