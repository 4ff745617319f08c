// validate --base: an adopted bucket or organization keeps the name in `adopt:` for the tenant's
// whole life; changing, adding or removing it for a deployed tenant is refused at its line.
import { describe, expect, it } from "vitest";
import { checkAdoptionChanges } from "../../../lib/catalog/adopt";
import { loadCatalog } from "../../../lib/catalog";
import { DEFAULTS, files, tenantText } from "../cells/fixture";

const BUCKET = "storage: { mode: bucket, versioning: false, noncurrent_days: 30 }";

function load(tenants: Record<string, string>) {
  const all = files({ "_defaults.yaml": DEFAULTS, ...tenants });
  const result = loadCatalog(all);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return { catalog: result.catalog, files: all };
}

describe("checkAdoptionChanges", () => {
  const base = load({ "acme.yaml": tenantText("acme", BUCKET, "adopt:", "  bucket: acme-uploads", "  organization: acme-corp"), "beta.yaml": tenantText("beta", BUCKET) });

  it("the same names, or a new tenant adopting, pass", () => {
    const head = load({
      "acme.yaml": tenantText("acme", "plan: pro", BUCKET, "adopt:", "  bucket: acme-uploads", "  organization: acme-corp"),
      "beta.yaml": tenantText("beta", BUCKET),
      "gamma.yaml": tenantText("gamma", BUCKET, "adopt: { bucket: gamma-legacy }"),
    });
    expect(checkAdoptionChanges(base.catalog, head.catalog, head.files)).toEqual([]);
  });

  it("a changed bucket, a removed organization, a bucket adopted by a deployed tenant: each refused at its line", () => {
    const head = load({
      "acme.yaml": tenantText("acme", BUCKET, "adopt:", "  bucket: acme-uploads-2"),
      "beta.yaml": tenantText("beta", BUCKET, "adopt: { bucket: beta-legacy }"),
    });
    const errors = checkAdoptionChanges(base.catalog, head.catalog, head.files);
    expect(errors.map((e) => `${e.file}:${e.line}:${e.col} ${e.path}`)).toEqual([
      "tenants/acme.yaml:5:11 adopt.bucket",
      "tenants/acme.yaml:5:3 adopt.organization",
      "tenants/beta.yaml:4:18 adopt.bucket",
    ]);
    expect(errors[0]!.message).toBe(
      'tenant acme was deployed with adopt.bucket "acme-uploads", now "acme-uploads-2": its bucket is found by that name for as long as the tenant lives, ' +
        'and the stack would replace the bucket it holds (deleting it) with another; keep it as it was (docs/runbooks.md, "Adopting an existing tenant")',
    );
    expect(errors[1]!.message).toContain('was deployed with adopt.organization "acme-corp", now unset: its organization is found by that name');
    expect(errors[2]!.message).toContain("was deployed with adopt.bucket unset, now \"beta-legacy\"");
  });
});
