// The seed's deletion flow, expressed as Pulumi dependencies, and a check that a resource graph
// really produces it.
//
// Mechanism: plain dependencies (`dependsOn`) between the stages, plus dynamic resources whose
// delete does the work (LifecycleHook sends `deleting`, TenantBackup dumps, DeletedHook sends
// `deleted`). The engine deletes a resource before everything it depends on and never deletes a
// resource whose dependents' deletion failed, so one chain
//
//   LifecycleHook -> TenantBackup -> identity (Organization, EntitySync, IdentitySeed)
//     -> data (role, database/schema, grants, migrations, seed) -> storage (bucket, policy, TenantPrefix)
//     -> domain (DNS records, certificate, custom hostnames) -> DeletedHook
//
// (each arrow: "depends on") is deleted left to right and created right to left. The backup comes
// first, as the seed's onTenantDeleting "perform backups": it is of the whole tenant (its organization
// and members, its rows, its objects), so it runs while all of them are there. Chosen over
// resource hooks because dependencies are stored in state: the order also holds when the tenant's
// file is gone from the program (so nothing of it is registered any more), for `pulumi destroy`,
// and for a rerun after a failed delete; and because a failed delete of a dynamic resource stops
// everything to its right, which is exactly "a failed backup (or deleting hook) drops nothing".
// The price: creation runs the stages one after another instead of in parallel.
//
// Wiring: every custom resource of a stage must depend on the next stage. `dependsOn` on a
// component does NOT reach its children (the engine orders a child after its parent, not after its
// parent's dependencies), so each component must hand the stage's dependency to every child
// (components/options.ts childOptions with `after`); depending ON a component is fine (the SDK
// expands it to the component's custom children). deletionOrderProblems checks the real graph.

import { naming } from "../naming";

export const DELETION_STAGES = ["deleting-webhook", "backup", "identity", "data", "storage", "domain", "deleted-webhook"] as const;
export type DeletionStage = (typeof DELETION_STAGES)[number];

const DYNAMIC = naming.dynamicTypePrefix;

/** The stage a resource type belongs to; undefined for components and anything outside the flow. */
export function stageOf(type: string): DeletionStage | undefined {
  const kind = type.startsWith(DYNAMIC) ? type.slice(DYNAMIC.length) : undefined;
  if (type === `${DYNAMIC}LifecycleHook`) return "deleting-webhook";
  if (type === `${DYNAMIC}DeletedHook`) return "deleted-webhook";
  if (type === `${DYNAMIC}TenantBackup`) return "backup";
  if (["Organization", "EntitySync", "IdentitySeed"].includes(kind ?? "")) return "identity";
  if (type.startsWith("postgresql:") || ["TenantMigrations", "TenantSeed", "TenantSuspension", "TenantMove"].includes(kind ?? "")) return "data";
  if (type.startsWith("aws:s3/") || type.startsWith("aws:iam/") || type === `${DYNAMIC}TenantPrefix`) return "storage";
  if (type.startsWith("cloudflare:") || type.startsWith("aws:acm/")) return "domain";
  return undefined;
}

export interface GraphNode {
  urn: string;
  type: string;
  /** Direct dependencies (explicit dependsOn and those implied by inputs), as URNs. */
  dependencies: string[];
}

function closure(nodes: readonly GraphNode[]): Map<string, Set<string>> {
  const direct = new Map(nodes.map((n) => [n.urn, n.dependencies]));
  const memo = new Map<string, Set<string>>();
  const visit = (urn: string, path: Set<string>): Set<string> => {
    const known = memo.get(urn);
    if (known) return known;
    if (path.has(urn)) throw new Error(`dependency cycle through ${urn}`);
    path.add(urn);
    const all = new Set<string>();
    for (const dep of direct.get(urn) ?? []) {
      all.add(dep);
      for (const d of visit(dep, path)) all.add(d);
    }
    path.delete(urn);
    memo.set(urn, all);
    return all;
  };
  for (const n of nodes) visit(n.urn, new Set());
  return memo;
}

/**
 * Every pair of one tenant's resources that the engine could delete out of the seed's order: a
 * resource of an earlier stage that does not (transitively) depend on one of a later stage. Empty
 * when the graph guarantees the order. Pass one tenant's resources only.
 */
export function deletionOrderProblems(nodes: readonly GraphNode[]): string[] {
  const deps = closure(nodes);
  const staged = nodes.map((n) => ({ node: n, stage: stageOf(n.type) })).filter((s) => s.stage !== undefined);
  const index = (s: DeletionStage | undefined) => DELETION_STAGES.indexOf(s!);
  const problems: string[] = [];
  for (const a of staged) {
    for (const b of staged) {
      if (index(a.stage) < index(b.stage) && !deps.get(a.node.urn)!.has(b.node.urn)) {
        problems.push(`${a.stage} ${a.node.urn} does not depend on ${b.stage} ${b.node.urn}, so the engine may delete them in either order`);
      }
    }
  }
  return problems;
}

/** Waves of deletion as the engine schedules them: each wave only waits for earlier waves. */
export function deletionWaves(nodes: readonly GraphNode[]): string[][] {
  const remaining = new Map(nodes.map((n) => [n.urn, n]));
  // Who depends on whom, restricted to the given nodes: a resource can go once all its dependents are gone.
  const dependents = new Map<string, Set<string>>(nodes.map((n) => [n.urn, new Set<string>()]));
  for (const n of nodes) for (const d of n.dependencies) dependents.get(d)?.add(n.urn);
  const waves: string[][] = [];
  while (remaining.size > 0) {
    const wave = [...remaining.keys()].filter((urn) => [...dependents.get(urn)!].every((d) => !remaining.has(d))).sort();
    if (wave.length === 0) throw new Error(`dependency cycle among ${[...remaining.keys()].join(", ")}`);
    for (const urn of wave) remaining.delete(urn);
    waves.push(wave);
  }
  return waves;
}
