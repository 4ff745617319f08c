// Options shared by every component of a tenant.
import * as pulumi from "@pulumi/pulumi";
import type { ResolvedTenant } from "../lib/catalog";

/**
 * `protect` and `retainOnDelete` of the resources that hold a tenant's data (database, schema,
 * bucket, the migrations and seed whose delete empties a shared place).
 * - deletion_protection: the engine refuses to delete them, so removing the tenant file by mistake
 *   fails the update instead of dropping data; the flag must be turned off in a change of its own.
 *   The Tenant component carries it too (components/tenant.ts), so every resource of the tenant
 *   inherits it: see there why protecting the data resources alone is not enough.
 * - on_delete: retain: removing the tenant removes it from the stack but leaves the data where it is.
 */
export interface DataProtection {
  protect: boolean;
  retainOnDelete: boolean;
}

export function dataProtection(lifecycle: ResolvedTenant["lifecycle"]): DataProtection {
  return { protect: lifecycle.deletion_protection, retainOnDelete: lifecycle.on_delete === "retain" };
}

/**
 * Options for a custom resource inside a tenant component: parented to it, and ordered after the
 * component's own dependencies. Children do not inherit `dependsOn` from their component, so a child
 * tenant's resources would otherwise be created alongside, and deleted after, its parent's.
 */
export function childOptions(
  parent: pulumi.Resource,
  after: readonly pulumi.Resource[],
  extra: pulumi.CustomResourceOptions = {},
): pulumi.CustomResourceOptions {
  const all = [...after, ...dependencyList(extra.dependsOn)];
  return { ...extra, parent, ...(all.length ? { dependsOn: all } : {}) };
}

/** `dependsOn` as a list, whichever of its accepted shapes it was given in. */
export function dependencyList(dependsOn: pulumi.ResourceOptions["dependsOn"]): pulumi.Input<pulumi.Resource>[] {
  if (dependsOn === undefined) return [];
  return Array.isArray(dependsOn) ? dependsOn : [dependsOn as pulumi.Input<pulumi.Resource>];
}

/** Throws one error listing every problem, so a caller fixes them all in one go. */
export function assertNoProblems(component: string, name: string, problems: readonly string[]): void {
  if (problems.length > 0) throw new Error(`${component} ${name}: invalid arguments:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
}

/**
 * `map` of an object of inputs, as an input: applied at once when no value is an Output or a promise
 * (the stack config's connection settings are plain), else when they resolve. Both register the same
 * value; the first makes no Output, and a program makes these once or twice per tenant.
 */
export function mapInputs<T extends Record<string, unknown>, U>(inputs: { [K in keyof T]: pulumi.Input<T[K]> }, map: (values: T) => U): pulumi.Input<U> {
  const plain = Object.values(inputs).every((v) => !pulumi.Output.isInstance(v) && !(v instanceof Promise));
  return plain ? map(inputs as T) : pulumi.output(inputs).apply((values) => map(values as T));
}
