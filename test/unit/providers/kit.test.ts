// The one provider shape (providers/kit.ts): the diff it computes from declared keys, the checks it
// runs, and the engine's `__provider` key kept out of what implementations see and return.
import { describe, expect, test } from "vitest";
import { defineProvider, TENANT_MOVE } from "../../../providers/kit";

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
    expect(TENANT_MOVE).toBe("moving a tenant between servers, databases or isolation modes is a tenant move: see docs/runbooks.md#moving-a-tenant");
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
