// The plan printed three ways: text for a terminal, markdown for a pull-request comment, json for
// machines. Input values appear only as an update's old → new (lib/plan/values.ts), masked wherever
// they are or may be secret, so no secret can reach a plan.
import type { Action, ResourceChange } from "./diff";
import type { MigrationStep, Plan, TenantPlan } from "./plan";
import { moveText, oldPlaceOfMove, type PlacementMove } from "./safety";
import { valueChanges } from "./values";

export const FORMATS = ["text", "markdown", "json"] as const;
export type Format = (typeof FORMATS)[number];

const SIGN: Record<Action, string> = { create: "+", update: "~", delete: "-", same: "=" };

/** Like Pulumi's own preview: a replacement is "+-". */
function sign(change: ResourceChange): string {
  return change.replace ? "+-" : SIGN[change.action];
}

/** Short words for the resources a reviewer cares about, in the order the summary lists them. */
const LABELS: { match: (type: string) => boolean; label: (c: ResourceChange) => string }[] = [
  { match: (t) => t === "postgresql:index/database:Database", label: () => "database" },
  { match: (t) => t === "postgresql:index/schema:Schema", label: () => "schema" },
  { match: (t) => t === "postgresql:index/role:Role", label: () => "role" },
  { match: (t) => t === "aws:s3/bucket:Bucket", label: () => "bucket" },
  { match: (t) => t === "aws:iam/policy:Policy", label: () => "storage policy" },
  { match: (t) => t === "cloudflare:index/dnsRecord:DnsRecord", label: () => "DNS" },
  { match: (t) => t === "aws:acm/certificate:Certificate", label: () => "certificate" },
  {
    match: (t) => t === "cloudflare:index/customHostname:CustomHostname",
    label: (c) => `custom domain ${String(c.registration.inputs.hostname ?? c.name)}`,
  },
  { match: (t) => t.endsWith(":Organization"), label: () => "organization" },
  { match: (t) => t.endsWith(":TenantMigrations"), label: () => "migrations" },
  { match: (t) => t.endsWith(":TenantSeed"), label: () => "seed" },
];

function labelOf(change: ResourceChange): { rank: number; text: string } | undefined {
  const rank = LABELS.findIndex((l) => l.match(change.type));
  return rank < 0 ? undefined : { rank, text: LABELS[rank].label(change) };
}

/** The physical name of a data resource when the inputs carry it, else its logical name. */
function physicalName(change: ResourceChange): string {
  const inputs = change.registration.inputs;
  const name = inputs.bucket ?? inputs.name;
  return typeof name === "string" ? name : change.name;
}

function dataLossText(change: ResourceChange): string {
  // The migrations resource's delete removes what it migrated: the schema's tables, or the rows.
  if (change.type.endsWith(":TenantMigrations")) return `the tenant's ${change.registration.inputs.isolation === "shared" ? "rows in the shared tables" : "tables"} (${change.name})`;
  return `${labelOf(change)?.text ?? change.type} ${physicalName(change)}`;
}

/** The moves `pulumi up` carries out: a refused one (an error says why) deletes nothing of an old place after a copy. */
function carried(tenant: TenantPlan): PlacementMove[] {
  return tenant.moveRefusals.length > 0 ? [] : tenant.moves;
}

/**
 * A move's MOVE line after `MOVE `: what it copies, and for the tenant's first move the maintenance,
 * which is one for all of them (one TenantMove carries every key of the tenant at once).
 */
function moveLine(move: PlacementMove, first: boolean): string {
  return `${moveText(move)}: copies ${move.copies}${first ? `; maintenance: ${move.maintenance}` : ""}`;
}

/** What the deletion flow does with the data first, from the removed file's `lifecycle.on_delete`. */
const ON_DELETE_NOTE: Record<string, string> = {
  backup: "a backup is taken first (lifecycle.on_delete: backup)",
  delete: "no backup is taken (lifecycle.on_delete: delete)",
  retain: "data resources are kept (lifecycle.on_delete: retain)",
};

function destructiveText(d: TenantPlan["destructive"][number]): string {
  return `${d.file}:${d.line} ${d.text} (${d.kind}${d.intended ? `; intended: ${d.intended}` : ""})`;
}

function migrationText(step: MigrationStep): string {
  if (step.held) return `migrations held at ${step.from} (the shared schema does not move down)`;
  if (step.from === 0) return step.to === 0 ? "no migrations" : `migrations 1-${step.to}`;
  return `migrations ${step.from}→${step.to}${step.direction === "down" ? " (down)" : ""}`;
}

/** The words after `+ acme:`: the labelled resources that change, deduplicated, in label order. */
export function summaryWords(tenant: TenantPlan): string[] {
  const changed = tenant.resources.filter((c) => c.action !== "same");
  const labelled = changed
    .map((c) => ({ c, l: labelOf(c) }))
    .filter((x): x is { c: ResourceChange; l: { rank: number; text: string } } => x.l !== undefined)
    .sort((a, b) => a.l.rank - b.l.rank || (a.l.text < b.l.text ? -1 : a.l.text > b.l.text ? 1 : 0));
  const words: string[] = [];
  for (const { c, l } of labelled) {
    let text = l.text === "migrations" && tenant.migration ? migrationText(tenant.migration) : l.text;
    if (c.action === "update" && tenant.action === "update" && l.text !== "migrations") text += ` (${c.changedKeys.join(", ")})`;
    if (!words.includes(text)) words.push(text);
  }
  // A ring raise may show up only as changed inputs of an unlabelled resource; the step is what matters.
  if (tenant.migration && !words.some((w) => w.startsWith("migrations"))) words.push(migrationText(tenant.migration));
  const others = shown(changed).filter((c) => !labelOf(c)).length;
  if (others > 0 && words.length === 0) words.push(`${others} other resource${others === 1 ? "" : "s"}`);
  return words;
}

function countsText(plan: Plan): string {
  const c = plan.counts;
  return `${c.create} to create, ${c.update} to update, ${c.delete} to delete, ${c.same} unchanged`;
}

/** Unchanged tenants are counted, never listed: a cell has hundreds, and a review wants what changes. */
function unchangedText(plan: Plan): string {
  return `${plan.unchanged} tenant${plan.unchanged === 1 ? "" : "s"} unchanged`;
}

function title(plan: Plan): string {
  return plan.base === null ? "(no --base: everything is new)" : `against ${plan.base}`;
}

/** What the details list: changed custom resources (components are not objects anywhere). */
function shown(changes: readonly ResourceChange[]): ResourceChange[] {
  return changes.filter((c) => c.action !== "same" && c.registration.custom);
}

export function formatText(plan: Plan): string {
  const lines: string[] = [`Tenancy plan ${title(plan)}; cells: ${plan.cells.join(", ") || "none"}`, countsText(plan), ""];
  if (plan.baseCode) lines.splice(2, 0, `base ${plan.baseCode}`);
  for (const error of plan.errors) lines.push(`ERROR: ${error}`);
  if (plan.errors.length > 0) lines.push("");
  for (const t of plan.tenants) {
    lines.push(`${SIGN[t.action]} ${t.id}: ${summaryWords(t).join(", ")}`);
    if (t.movedFrom) lines.push(`    moves from cell ${t.movedFrom} to ${t.cell}: deleted by the ${t.movedFrom} stack, created anew by the ${t.cell} stack`);
    t.moves.forEach((m, i) => lines.push(`    MOVE ${moveLine(m, i === 0)}`));
    if (t.migration && t.migration.files.length > 0) lines.push(`    runs ${t.migration.files.join(", ")}`);
    for (const d of t.destructive) lines.push(`    destructive: ${destructiveText(d)}`);
    for (const loss of t.dataLoss) {
      const verb = loss.replace ? "replaces" : "deletes";
      lines.push(oldPlaceOfMove(loss, carried(t)) ? `    old place: ${verb} ${dataLossText(loss)} once the move has copied its data` : `    !!! DATA LOSS: ${verb} ${dataLossText(loss)}`);
    }
    if (t.onDelete && t.dataLoss.length > 0) lines.push(`    ${ON_DELETE_NOTE[t.onDelete]}`);
  }
  if (plan.unchanged > 0) lines.push(`= ${unchangedText(plan)}`);
  for (const a of plan.acknowledged) lines.push(`acknowledged (${a.acknowledged}): ${a.message}`);
  const sharedChanged = shown(plan.shared).length;
  if (sharedChanged > 0) lines.push(`${sharedChanged} shared resource change(s)`);

  const detail = (heading: string, changes: ResourceChange[], moves: readonly PlacementMove[] = []) => {
    const rows = shown(changes);
    if (rows.length === 0) return;
    lines.push("", heading);
    const width = Math.max(...rows.map((c) => c.type.length));
    for (const c of rows) {
      let line = `  ${sign(c)} ${c.type.padEnd(width)}  ${c.name}`;
      if (c.action === "update") line += `  ${c.replace ? "replaced, " : ""}changed: ${c.changedKeys.join(", ")}`;
      if (c.refused.length > 0) line += `  REFUSED by the provider (tenant move): ${c.refused.join(", ")}`;
      for (const v of valueChanges(c)) line += `\n      ${v.key}: ${v.from} → ${v.to}`;
      if (c.dataLoss) line += oldPlaceOfMove(c, moves) ? "  (old place: deleted once the move has copied its data)" : "  !!! DATA LOSS";
      else if ((c.action === "delete" || c.replace) && c.data) line += "  (removed from the stack; data retained)";
      lines.push(line);
    }
  };
  for (const t of plan.tenants) detail(`${t.id} (cell ${t.cell}): ${t.action}`, t.resources, carried(t));
  detail("shared resources", plan.shared);
  if (plan.errors.length > 0) lines.push("", `${plan.errors.length} error(s); this change cannot be applied as it is.`);
  return `${lines.join("\n")}\n`;
}

/** Escapes what would break a table cell or inline code. */
function md(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function formatMarkdown(plan: Plan): string {
  const out: string[] = [`## Tenancy plan ${md(title(plan))}`, "", `Cells: ${plan.cells.map((c) => `\`${c}\``).join(", ") || "none"}. ${countsText(plan)}.`, ""];
  if (plan.baseCode) out.push(`The base was ${md(plan.baseCode)}.`, "");
  if (plan.errors.length > 0) {
    out.push("> [!CAUTION]", "> **This change cannot be applied:**");
    for (const e of plan.errors) out.push(`> - ${md(e)}`);
    out.push("");
  }
  if (plan.acknowledged.length > 0) {
    out.push("> [!IMPORTANT]", "> **Acknowledged by this change:**");
    for (const a of plan.acknowledged) out.push(`> - \`${md(a.acknowledged!)}\`: ${md(a.message)}`);
    out.push("");
  }
  const moves = plan.tenants.flatMap((t) => t.moves.map((m) => ({ t, m })));
  if (moves.length > 0) {
    out.push("> [!WARNING]", `> **Tenant moves (${moves.length}):** pulumi up copies the data; the tenant's logins are refused during its maintenance.`);
    for (const { t, m } of moves) out.push(`> - **${md(t.id)}: ${md(moveText(m))}**: copies ${md(m.copies)}; maintenance: ${md(m.maintenance)}`);
    for (const t of plan.tenants) {
      for (const c of t.dataLoss.filter((x) => oldPlaceOfMove(x, carried(t)))) out.push(`> - ${md(t.id)}: old place: ${md(dataLossText(c))} ${c.replace ? "replaced" : "deleted"} once the move has copied its data`);
    }
    out.push("");
  }
  const destructive = plan.tenants.flatMap((t) => t.destructive.map((d) => ({ t, d })));
  if (destructive.length > 0) {
    out.push("> [!WARNING]", `> **Destructive migration statements (${destructive.length}):**`);
    for (const { t, d } of destructive) out.push(`> - ${md(t.id)}: ${md(destructiveText(d))}`);
    out.push("");
  }
  const losses = plan.tenants.flatMap((t) => t.dataLoss.filter((c) => !oldPlaceOfMove(c, carried(t))).map((c) => ({ t, c })));
  if (losses.length > 0) {
    out.push("> [!WARNING]", `> **⚠️ DATA LOSS: ${losses.length} data resource(s) would be deleted or replaced:**`);
    for (const { t, c } of losses) out.push(`> - **${md(t.id)}: ${md(dataLossText(c))}${c.replace ? " (replaced)" : ""}**`);
    for (const t of plan.tenants.filter((x) => x.onDelete && x.dataLoss.length > 0)) out.push(`> - ${md(t.id)}: ${md(ON_DELETE_NOTE[t.onDelete!])}`);
    out.push("");
  }
  const changed = plan.tenants;
  if (changed.length === 0) out.push("No tenant changes.", "");
  else {
    out.push("| | Tenant | Cell | Summary | + | ~ | - |", "|---|---|---|---|---|---|---|");
    for (const t of changed) {
      const n = (a: Action) => shown(t.resources).filter((c) => c.action === a).length;
      const moved = t.movedFrom ? ` (moves from cell ${md(t.movedFrom)})` : "";
      const lost = t.dataLoss.some((c) => !oldPlaceOfMove(c, carried(t)));
      const summary = md(summaryWords(t).join(", ")) + moved + (lost ? " **⚠️ DATA LOSS**" : "");
      out.push(`| ${SIGN[t.action]} | \`${md(t.id)}\` | ${md(t.cell)} | ${summary} | ${n("create")} | ${n("update")} | ${n("delete")} |`);
    }
    out.push("");
  }
  if (plan.unchanged > 0) out.push(`Unchanged tenants: ${plan.unchanged}.`, "");

  const detail = (summary: string, changes: ResourceChange[], moves: readonly PlacementMove[] = []) => {
    const rows = shown(changes);
    if (rows.length === 0) return;
    out.push("<details>", `<summary>${summary}</summary>`, "", "| | Type | Name | Changed inputs |", "|---|---|---|---|");
    for (const c of rows) {
      const oldPlace = c.dataLoss && oldPlaceOfMove(c, moves);
      const name = c.dataLoss && !oldPlace ? `**\`${md(c.name)}\` ⚠️ DATA LOSS**` : `\`${md(c.name)}\`${oldPlace ? " (old place, after the move's copy)" : ""}`;
      const refused = c.refused.length > 0 ? ` **refused by the provider (tenant move): ${md(c.refused.join(", "))}**` : "";
      const values = valueChanges(c).map((v) => `${md(v.key)}: ${md(v.from)} → ${md(v.to)}`);
      const keys = values.length > 0 ? values.join("<br>") : md(c.changedKeys.join(", "));
      out.push(`| ${sign(c)} | \`${md(c.type)}\` | ${name} | ${c.replace ? "replaced: " : ""}${keys}${refused} |`);
    }
    out.push("", "</details>", "");
  };
  for (const t of changed) detail(`${md(t.id)}: ${t.action} (${shown(t.resources).length} resources)`, t.resources, carried(t));
  detail("shared resources", plan.shared);
  return `${out.join("\n").trimEnd()}\n`;
}

/** Stack (cell) of a URN: `urn:pulumi:<stack>::...`. */
function stackOf(urn: string): string {
  return urn.slice("urn:pulumi:".length).split("::")[0];
}

export function formatJson(plan: Plan): string {
  const resources = [...plan.shared, ...plan.tenants.flatMap((t) => t.resources)].map((c) => ({
    tenant: c.tenant,
    cell: stackOf(c.urn),
    type: c.type,
    name: c.name,
    urn: c.urn,
    action: c.action,
    changedKeys: c.changedKeys,
    changes: valueChanges(c),
    replace: c.replace,
    refused: c.refused,
    data: c.data,
    dataLoss: c.dataLoss,
    protect: c.registration.protect,
    retainOnDelete: c.registration.retainOnDelete,
  }));
  resources.sort((a, b) => ((a.tenant ?? "") < (b.tenant ?? "") ? -1 : (a.tenant ?? "") > (b.tenant ?? "") ? 1 : a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0));
  const doc = {
    base: plan.base,
    baseCode: plan.baseCode ?? null,
    cells: plan.cells,
    errors: plan.errors,
    counts: plan.counts,
    unchanged: plan.unchanged,
    tenants: plan.tenants.map((t) => ({
      id: t.id,
      action: t.action,
      cell: t.cell,
      summary: summaryWords(t),
      migration: t.migration ?? null,
      dataLoss: t.dataLoss.map((c) => c.urn),
      movedFrom: t.movedFrom ?? null,
      onDelete: t.onDelete ?? null,
      moves: t.moves,
      moveRefusals: t.moveRefusals,
      destructive: t.destructive,
    })),
    acknowledged: plan.acknowledged,
    resources,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

export function formatPlan(plan: Plan, format: Format): string {
  switch (format) {
    case "text":
      return formatText(plan);
    case "markdown":
      return formatMarkdown(plan);
    case "json":
      return formatJson(plan);
  }
}
