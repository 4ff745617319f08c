// The one provider shape (providers/kit.ts): the diff it computes from declared keys, the checks it
// runs, and the engine's `__provider` key kept out of what implementations see and return.
import { describe, expect, test } from "vitest";
import { defineProvider, keyChanges, MOVE_GUARD, TENANT_MOVE, type MoveGuarded } from "../../../providers/kit";

interface Inputs {
  target: { server: string; database: string; host: string; port: number };
  rotation?: number;
  admins: string[];
  note?: string | null;
}
type Outputs = Inputs & { made: number };

const seen: unknown[] = [];
const example = defineProvider<Inputs, Outputs, { tag: string }>({
  kind: "Example",
  keys: { place: ["target.server", "target.database"], replace: ["rotation"], update: ["target.host", "target.port", "admins", "note"], unordered: ["admins"] },
  deleteBeforeReplace: true,
  check: (inputs) => (inputs.admins?.every((a) => a.includes("@")) ? [] : [{ property: "admins", reason: "admins must be e-mail addresses" }]),
  create: async (inputs, options) => {
    seen.push({ create: inputs, options });
    return { id: "x", outs: { ...inputs, made: 1, __provider: "leaked" } as Outputs };
  },
  read: async (id, props) => ({ id, props }),
  update: async (_id, olds, news) => {
    seen.push({ update: { olds, news } });
    return { outs: { ...news, made: olds.made + 1 } };
  },
  delete: async (_id, props) => void seen.push({ delete: props }),
});

const inputs: Inputs = { target: { server: "main", database: "tenant_a", host: "db", port: 5432 }, admins: ["a@x.io", "b@x.io"] };
const olds: Outputs = { ...inputs, made: 1 };

describe("diff", () => {
  test("no change, an update, a harmless replacement", async () => {
    expect(await example.diff("x", olds, { ...inputs })).toEqual({ changes: false, replaces: [] });
    expect(await example.diff("x", olds, { ...inputs, target: { ...inputs.target, host: "db-2", port: 6432 } })).toEqual({ changes: true, replaces: [] });
    expect(await example.diff("x", olds, { ...inputs, rotation: 1 })).toEqual({ changes: true, replaces: ["rotation"], deleteBeforeReplace: true });
  });

  test("a changed place is refused as a tenant move, naming the key and both values", async () => {
    await expect(example.diff("x", olds, { ...inputs, target: { ...inputs.target, server: "other" } })).rejects.toThrow(
      `Example x: target.server "main" -> "other"; ${TENANT_MOVE}`,
    );
    expect(TENANT_MOVE).toBe(
      "moving a tenant between servers, databases or isolation modes is a tenant move, carried out by its TenantMove only for a tenant that was not protected (deletion_protection) before the change: see docs/runbooks.md#moving-a-tenant",
    );
  });

  test("a place key the old state does not hold yet is recorded by an update, not refused", async () => {
    const { server: _server, ...oldTarget } = inputs.target;
    expect(await example.diff("x", { ...olds, target: oldTarget } as unknown as Outputs, inputs)).toEqual({ changes: true, replaces: [] });
  });

  test("a place or replace key not known yet (a preview) is a change, decided when it is known", async () => {
    const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    expect(await example.diff("x", olds, { ...inputs, target: { ...inputs.target, database: unknown } })).toEqual({ changes: true, replaces: [] });
    expect(await example.diff("x", olds, { ...inputs, rotation: unknown as unknown as number })).toEqual({ changes: true, replaces: [] });
  });

  test("unordered lists ignore order; absent and null are the same", async () => {
    expect((await example.diff("x", olds, { ...inputs, admins: ["b@x.io", "a@x.io"] })).changes).toBe(false);
    expect((await example.diff("x", { ...olds, note: null }, { ...inputs })).changes).toBe(false);
  });

  test("a new loader text alone is an update", async () => {
    expect(await example.diff("x", { ...olds, __provider: "old" }, { ...inputs, __provider: "new" })).toEqual({ changes: true, replaces: [] });
    expect(await example.diff("x", { ...olds, __provider: "same" }, { ...inputs, __provider: "same" })).toEqual({ changes: false, replaces: [] });
  });
});

describe("check, create, update", () => {
  test("check returns located failures, including inputs no key declares", async () => {
    expect(await example.check({}, { ...inputs, __provider: "code" })).toEqual({ inputs: { ...inputs, __provider: "code" } });
    const bad = { ...inputs, admins: ["nobody"], extra: 1 } as Inputs;
    expect((await example.check({}, bad)).failures).toEqual([
      { property: "extra", reason: "input extra is not declared as a place, replace or update key of this provider" },
      { property: "admins", reason: "admins must be e-mail addresses" },
    ]);
  });

  test("create and update refuse what check refuses, before doing anything", async () => {
    seen.length = 0;
    await expect(example.create({ ...inputs, admins: ["nobody"] })).rejects.toThrow("invalid Example inputs: admins: admins must be e-mail addresses");
    await expect(example.update("x", olds, { ...inputs, admins: ["nobody"] })).rejects.toThrow(/invalid Example inputs/);
    expect(seen).toEqual([]);
  });

  test("implementations never see the engine's __provider, and never return it; options pass through", async () => {
    seen.length = 0;
    const created = await example.create({ ...inputs, __provider: "code" }, { tag: "test" });
    expect(created.outs).toEqual({ ...inputs, made: 1 });
    await example.update("x", { ...created.outs, __provider: "old" }, { ...inputs, __provider: "new" });
    await example.delete("x", { ...created.outs, __provider: "old" });
    expect(seen).toEqual([{ create: inputs, options: { tag: "test" } }, { update: { olds: created.outs, news: inputs } }, { delete: created.outs }]);
  });
});

// A provider whose place a TenantMove may change (MOVE_GUARD), and which refuses one change of its
// own (refuse). Its implementation builds its outputs field by field and so drops the guard: the
// kit must put it back, since the outputs are the olds the next diff reads.
interface GuardedInputs extends MoveGuarded {
  target: { server: string; database: string; host: string };
  note?: string;
}
type GuardedOutputs = GuardedInputs & { made: number };

const refused: unknown[] = [];
const guarded = defineProvider<GuardedInputs, GuardedOutputs, undefined>({
  kind: "Guarded",
  keys: { place: ["target.server", "target.database"], update: ["target.host", "note"] },
  check: () => [],
  refuse: (olds, news) => {
    refused.push({ olds, news });
    return news.note === "forbidden" ? `note ${JSON.stringify(olds.note)} cannot become forbidden` : undefined;
  },
  create: async (inputs) => ({ id: "g", outs: { target: inputs.target, ...(inputs.note === undefined ? {} : { note: inputs.note }), made: 1 } }),
  read: async (id, props) => ({ id, props }),
  update: async (_id, olds, news) => ({ outs: { target: news.target, ...(news.note === undefined ? {} : { note: news.note }), made: olds.made + 1 } }),
  delete: async () => undefined,
});

const place = { server: "main", database: "tenant_a", host: "db" };
const moved = { ...place, server: "other", database: "tenancy_schemas" };
const guardedOlds: GuardedOutputs = { target: place, made: 1, moveGuard: true };

describe("MOVE_GUARD: a place change a TenantMove carries out", () => {
  test("the guard's input name", () => {
    expect(MOVE_GUARD).toBe("moveGuard");
  });

  test("an unguarded place change is moved, and diff refuses it as a tenant move", async () => {
    const { moveGuard: _guard, ...olds } = guardedOlds;
    expect(keyChanges(guarded.keys, olds, { target: moved })).toMatchObject({ moved: ["target.server", "target.database"], carried: [] });
    await expect(guarded.diff("g", olds, { target: moved })).rejects.toThrow(
      `Guarded g: target.server "main" -> "other", target.database "tenant_a" -> "tenancy_schemas"; ${TENANT_MOVE}`,
    );
  });

  test("a guarded place change (olds and news both true) is carried: an update of the new place, not refused", async () => {
    const news = { target: moved, moveGuard: true };
    expect(keyChanges(guarded.keys, guardedOlds, news)).toEqual({
      moved: [],
      carried: ["target.server", "target.database"],
      replaces: [],
      updates: ["target.server", "target.database"],
    });
    expect(await guarded.diff("g", guardedOlds, news)).toEqual({ changes: true, replaces: [] });
    // The update runs with the new place, and the outputs keep the guard for the next diff.
    const { outs } = await guarded.update("g", guardedOlds, news);
    expect(outs).toEqual({ target: moved, made: 2, moveGuard: true });
  });

  test("a guard in the new inputs only (state written before the guard) still refuses a place change", async () => {
    const { moveGuard: _guard, ...olds } = guardedOlds;
    const news = { target: moved, moveGuard: true };
    expect(keyChanges(guarded.keys, olds, news)).toMatchObject({ moved: ["target.server", "target.database"], carried: [] });
    await expect(guarded.diff("g", olds, news)).rejects.toThrow(TENANT_MOVE);
    // Nor a guard true in the state that the new inputs take away (the tenant protected in the same change).
    await expect(guarded.diff("g", guardedOlds, { target: moved, moveGuard: false })).rejects.toThrow(TENANT_MOVE);
    await expect(guarded.diff("g", { ...guardedOlds, moveGuard: false }, news)).rejects.toThrow(TENANT_MOVE);
  });

  test("a place key changing while unknown (a preview) is neither moved nor carried", () => {
    const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    expect(keyChanges(guarded.keys, guardedOlds, { target: { ...place, server: unknown }, moveGuard: true })).toMatchObject({ moved: [], carried: [] });
  });

  test("the guard reaches the outputs of create and update, even when the implementation drops it", async () => {
    const created = await guarded.create({ target: place, moveGuard: true, __provider: "code" } as GuardedInputs);
    expect(created.outs).toEqual({ target: place, made: 1, moveGuard: true });
    const updated = await guarded.update("g", { ...created.outs, __provider: "old" } as GuardedOutputs, { target: place, note: "n", moveGuard: true, __provider: "new" } as GuardedInputs);
    expect(updated.outs).toEqual({ target: place, note: "n", made: 2, moveGuard: true });
    // A false guard (a protected tenant) is kept as false; no guard in the inputs adds none.
    expect((await guarded.update("g", created.outs, { target: place, moveGuard: false })).outs.moveGuard).toBe(false);
    expect((await guarded.create({ target: place })).outs).toEqual({ target: place, made: 1 });
  });

  test("a new guard (undefined -> true) is an update, so the state records it; an unchanged one is no change", async () => {
    const { moveGuard: _guard, ...olds } = guardedOlds;
    expect(keyChanges(guarded.keys, olds, { target: place, moveGuard: true })).toEqual({ moved: [], carried: [], replaces: [], updates: [MOVE_GUARD] });
    expect(await guarded.diff("g", olds, { target: place, moveGuard: true })).toEqual({ changes: true, replaces: [] });
    expect(await guarded.diff("g", guardedOlds, { target: place, moveGuard: true })).toEqual({ changes: false, replaces: [] });
    // Lifting it (the tenant protected) is an update too.
    expect(await guarded.diff("g", guardedOlds, { target: place, moveGuard: false })).toEqual({ changes: true, replaces: [] });
  });

  test("the guard is no undeclared input", async () => {
    expect(await guarded.check({}, { target: place, moveGuard: true })).toEqual({ inputs: { target: place, moveGuard: true } });
    expect(await example.check({}, { ...inputs, moveGuard: true } as Inputs)).toEqual({ inputs: { ...inputs, moveGuard: true } });
  });
});

describe("refuse", () => {
  test("diff throws the provider's sentence with the kind and id, only when it returns one", async () => {
    refused.length = 0;
    await expect(guarded.diff("g-1", { ...guardedOlds, note: "old" }, { target: place, note: "forbidden", moveGuard: true })).rejects.toThrow(
      'Guarded g-1: note "old" cannot become forbidden',
    );
    // Undefined: an ordinary diff.
    expect(await guarded.diff("g-1", { ...guardedOlds, note: "old" }, { target: place, note: "allowed", moveGuard: true })).toEqual({ changes: true, replaces: [] });
    expect(await guarded.diff("g-1", guardedOlds, { target: place, moveGuard: true })).toEqual({ changes: false, replaces: [] });
    expect(refused).toHaveLength(3);
  });

  test("refuse never sees the engine's __provider", async () => {
    refused.length = 0;
    await guarded.diff("g", { ...guardedOlds, __provider: "old" } as GuardedOutputs, { target: place, moveGuard: true, __provider: "new" } as GuardedInputs);
    expect(refused).toEqual([{ olds: guardedOlds, news: { target: place, moveGuard: true } }]);
  });

  test("a tenant move is refused before refuse is asked", async () => {
    refused.length = 0;
    const { moveGuard: _guard, ...olds } = guardedOlds;
    await expect(guarded.diff("g", olds, { target: moved, note: "forbidden" })).rejects.toThrow(TENANT_MOVE);
    expect(refused).toEqual([]);
  });
});
