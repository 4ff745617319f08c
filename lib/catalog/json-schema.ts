// JSON Schemas for editors (yaml-language-server), generated from the zod schemas so they never
// drift: `npm run schema` writes them, and a test fails when the checked-in copies are stale.
import { z } from "zod";
import { PER_TENANT_KEYS } from "./load";
import { CellsSchema, ControlPlaneSchema, DefaultsSchema, RetainedSchema, TenantSchema } from "./schema";

type JsonSchema = { [key: string]: unknown };

function generate(schema: z.ZodType, title: string, description: string): JsonSchema {
  const out = z.toJSONSchema(schema, { io: "input", unrepresentable: "any", target: "draft-2020-12" }) as JsonSchema;
  return { $schema: out.$schema, title, description, ...out };
}

/** A tenant file may leave out anything `_defaults.yaml` supplies, so only `id` and `name` are required at the top. */
function relaxRequired(node: unknown, keep: readonly string[] = []): void {
  if (Array.isArray(node)) return node.forEach((n) => relaxRequired(n));
  if (typeof node !== "object" || node === null) return;
  const record = node as JsonSchema;
  if (Array.isArray(record.required)) {
    const kept = (record.required as string[]).filter((k) => keep.includes(k));
    if (kept.length) record.required = kept;
    else delete record.required;
  }
  for (const [key, value] of Object.entries(record)) if (key !== "required") relaxRequired(value);
}

export function tenantJsonSchema(): JsonSchema {
  const schema = generate(TenantSchema, "tenancy tenant file", "One tenant of the catalog: tenants/<id>.yaml. Fields left out come from _defaults.yaml.");
  relaxRequired(schema, ["id", "name"]);
  return schema;
}

export function defaultsJsonSchema(): JsonSchema {
  const schema = generate(DefaultsSchema, "tenancy catalog defaults", "tenants/_defaults.yaml: defaults, inherited settings, plans, rings, reserved subdomains.");
  const tenant = tenantJsonSchema();
  const properties = { ...(tenant.properties as JsonSchema) };
  for (const key of PER_TENANT_KEYS) delete properties[key];
  delete tenant.required;
  (schema.properties as JsonSchema).tenant = {
    type: "object",
    description: "Values for every tenant field a tenant file leaves out.",
    properties,
    additionalProperties: false,
  };
  return schema;
}

export function controlPlaneJsonSchema(): JsonSchema {
  return generate(ControlPlaneSchema, "tenancy control plane", "tenants/_control-plane.yaml: resource servers and roles synced into every tenant.");
}

/** File name in the catalog directory -> its schema, as written by `npm run schema`. */
export function catalogJsonSchemas(): Record<string, JsonSchema> {
  return {
    "tenant.schema.json": tenantJsonSchema(),
    "defaults.schema.json": defaultsJsonSchema(),
    "control-plane.schema.json": controlPlaneJsonSchema(),
    "cells.schema.json": generate(CellsSchema, "tenancy cells and database servers", "tenants/_cells.yaml: the cells (one Pulumi stack each) and the database servers tenants may name."),
    "retained.schema.json": generate(RetainedSchema, "tenancy retained ids", "tenants/_retained.yaml: ids whose data outlived their tenant; no new tenant takes them without adopt_retained."),
  };
}

export function renderJsonSchema(schema: JsonSchema): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}
