import { describe, expect, it } from "vitest";
import { checkCellMoves, checkParentCells } from "../../../lib/cells";
import { catalogOf, DEFAULTS, files, tenantText } from "./fixture";

const RUNBOOK = 'docs/runbooks.md, "Moving a tenant between cells"';

describe("checkCellMoves", () => {
  const base = {
    "_defaults.yaml": DEFAULTS,
    "acme.yaml": tenantText("acme", "cell: eu-1"),
    "globex.yaml": tenantText("globex"),
    "initech.yaml": tenantText("initech", "cell: eu-1"),
  };

  it("finds nothing when no tenant changes cell, whatever else changes", () => {
    const head = { ...base, "acme.yaml": tenantText("acme", "plan: pro", "cell: eu-1"), "new-one.yaml": tenantText("new-one", "cell: eu-9") };
    delete (head as Record<string, string>)["initech.yaml"];
    expect(checkCellMoves(catalogOf(base), catalogOf(head), { files: files(head) })).toEqual([]);
  });

  it("refuses a tenant whose file changes its cell, at the cell: line", () => {
    const head = { ...base, "acme.yaml": tenantText("acme", "plan: pro", "cell: eu-2") };
    expect(checkCellMoves(catalogOf(base), catalogOf(head), { files: files(head) })).toEqual([
      {
        file: "tenants/acme.yaml",
        line: 4,
        col: 1,
        path: "cell",
        message: `moving tenant acme from cell "eu-1" to cell "eu-2" would make stack eu-1 delete its database, bucket and every other resource, and stack eu-2 create them empty; keep cell: eu-1, or move its state between the stacks first (${RUNBOOK})`,
      },
    ]);
  });

  it("points at _defaults.yaml when the default cell changes under a tenant that names none", () => {
    const head = { ...base, "_defaults.yaml": DEFAULTS.replace("cell: default", "cell: eu-3") };
    const errors = checkCellMoves(catalogOf(base), catalogOf(head), { files: files(head) });
    expect(errors).toEqual([
      {
        file: "tenants/_defaults.yaml",
        line: 4,
        col: 3,
        path: "tenant.cell",
        message: `moving tenant globex from cell "default" to cell "eu-3" would make stack default delete its database, bucket and every other resource, and stack eu-3 create them empty, because the default cell changed and tenants/globex.yaml names none; set cell: default in tenants/globex.yaml, or move its state first (${RUNBOOK})`,
      },
    ]);
  });

  it("falls back to line 1 of the tenant file without the files", () => {
    const head = { ...base, "initech.yaml": tenantText("initech", "cell: eu-2") };
    const [error] = checkCellMoves(catalogOf(base), catalogOf(head));
    expect(error).toMatchObject({ file: "tenants/initech.yaml", line: 1, col: 1, path: "cell" });
    expect(error.message).toContain('moving tenant initech from cell "eu-1" to cell "eu-2"');
  });

  it("lets an acknowledged move through and still refuses the others", () => {
    const head = { ...base, "acme.yaml": tenantText("acme", "cell: eu-2"), "initech.yaml": tenantText("initech", "cell: eu-2") };
    const errors = checkCellMoves(catalogOf(base), catalogOf(head), { files: files(head), allow: ["acme"] });
    expect(errors.map((e) => e.file)).toEqual(["tenants/initech.yaml"]);
  });
});

describe("checkParentCells", () => {
  it("accepts children in their parent's cell, inherited or explicit", () => {
    const texts = {
      "_defaults.yaml": DEFAULTS,
      "acme.yaml": tenantText("acme"),
      "acme-lab.yaml": tenantText("acme-lab", "parent: acme"),
      "beta.yaml": tenantText("beta", "cell: eu-2"),
      "beta-lab.yaml": tenantText("beta-lab", "parent: beta", "cell: eu-2"),
    };
    expect(checkParentCells(catalogOf(texts), files(texts))).toEqual([]);
  });

  it("refuses a child in another cell than its parent, at its cell: line, or its parent: line", () => {
    const texts = {
      "_defaults.yaml": DEFAULTS,
      "acme.yaml": tenantText("acme", "cell: eu-2"),
      "acme-lab.yaml": tenantText("acme-lab", "parent: acme"),
      "acme-ops.yaml": tenantText("acme-ops", "parent: acme", "cell: eu-3"),
    };
    const errors = checkParentCells(catalogOf(texts), files(texts));
    expect(errors).toEqual([
      {
        file: "tenants/acme-lab.yaml",
        line: 3,
        col: 1,
        path: "cell",
        message:
          'tenant acme-lab is in cell "default" but its parent acme is in cell "eu-2"; a child is created after its parent and deleted before it, which Pulumi can order only within one stack: set cell: eu-2',
      },
      expect.objectContaining({ file: "tenants/acme-ops.yaml", line: 4, col: 1 }),
    ]);
  });
});
