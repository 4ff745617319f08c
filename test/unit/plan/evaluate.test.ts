import { execFileSync } from "node:child_process";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { TenantPassword } from "../../../components/database";
import { evaluate, plainValue, plaintextOccurrences, secretPaths, serializeState } from "../../../lib/plan/evaluate";

const CANARY = "canary-3f9a1c-never-in-plaintext";

class Thing extends pulumi.CustomResource {
  constructor(name: string, props: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) {
    super("test:index:Thing", name, props, opts);
  }
}

class Box extends pulumi.ComponentResource {
  declare readonly password: pulumi.Output<string>;
  constructor(name: string, args: { secret: pulumi.Input<string>; keep: boolean }, opts?: pulumi.ComponentResourceOptions) {
    super("test:index:Box", name, {}, opts);
    const inner = new Inner(`${name}-inner`, this);
    const pw = new TenantPassword(`${name}-pw`, { length: 20 }, { parent: inner });
    const first = new Thing(`${name}-thing`,
      { token: args.secret, label: "visible", nested: { list: ["a", pulumi.secret("b")] } },
      { parent: this, protect: args.keep, retainOnDelete: args.keep },
    );
    new Thing(`${name}-after`, { password: pw.password }, { parent: this, dependsOn: [first] });
    this.password = pw.password;
    this.registerOutputs({ password: pw.password });
  }
}

class Inner extends pulumi.ComponentResource {
  constructor(name: string, parent: pulumi.Resource) {
    super("test:index:Inner", name, {}, { parent });
    this.registerOutputs({});
  }
}

const program = (secret: string, keep: boolean) => () => {
  const box = new Box("b1", { secret: pulumi.secret(secret), keep });
  return { password: box.password, plain: "hello" };
};

describe("evaluate", () => {
  it("records type, name, URN with the full parent type chain, ancestors and options", async () => {
    const { registrations } = await evaluate(program(CANARY, true), { stack: "s1" });
    const byName = Object.fromEntries(registrations.map((r) => [r.name, r]));
    expect(Object.keys(byName).sort()).toEqual(["b1", "b1-after", "b1-inner", "b1-pw", "b1-thing"]);
    expect(byName["b1-pw"].urn).toBe("urn:pulumi:s1::tenancy::test:index:Box$test:index:Inner$pulumi-nodejs:dynamic/tenancy:TenantPassword::b1-pw");
    expect(byName["b1-pw"].ancestors).toEqual([byName["b1-inner"].urn, byName["b1"].urn]);
    expect(byName["b1"].parent).toBeUndefined();
    expect(byName["b1"].custom).toBe(false);
    expect(byName["b1-thing"]).toMatchObject({ protect: true, retainOnDelete: true, custom: true, parent: byName["b1"].urn });
    expect(byName["b1-after"]).toMatchObject({ protect: false, retainOnDelete: false });
    expect(byName["b1-after"].dependencies).toEqual([byName["b1-pw"].urn, byName["b1-thing"].urn].sort());
  });

  it("resolves inputs, marks which were secret, and keeps generated secrets secret", async () => {
    const evaluation = await evaluate(program(CANARY, false));
    const thing = evaluation.registrations.find((r) => r.name === "b1-thing")!;
    expect(thing.inputs).toEqual({ token: CANARY, label: "visible", nested: { list: ["a", "b"] } });
    expect(thing.secretInputs).toEqual(["nested.list[1]", "token"]);
    // TenantPassword.password is an additional secret output: a dependent's input must arrive secret.
    const after = evaluation.registrations.find((r) => r.name === "b1-after")!;
    expect(after.secretInputs).toEqual(["password"]);
    expect(evaluation.secretExports).toEqual(["password"]);
    expect(evaluation.exports.plain).toBe("hello");
    expect(plaintextOccurrences(evaluation, CANARY)).toEqual([]);
  });

  it("finds a canary that leaked into a plain input", async () => {
    const leaky = () => {
      new Thing("leak", { note: `pw=${CANARY}` });
    };
    const evaluation = await evaluate(leaky);
    expect(plaintextOccurrences(evaluation, CANARY)).toEqual(["urn:pulumi:plan::tenancy::test:index:Thing::leak input note"]);
  });

  it("keeps a dynamic provider's serialized code out of inputs but available for canary checks", async () => {
    const provider: pulumi.dynamic.ResourceProvider = {
      async create(inputs) {
        return { id: "x", outs: inputs };
      },
    };
    class Dyn extends pulumi.dynamic.Resource {
      constructor(name: string, props: { value: pulumi.Input<string> }) {
        super(provider, name, props, undefined, "tenancy", "Dyn");
      }
    }
    const evaluation = await evaluate(() => {
      new Dyn("d", { value: pulumi.secret(CANARY) });
    });
    const [dyn] = evaluation.registrations;
    expect(dyn.type).toBe("pulumi-nodejs:dynamic/tenancy:Dyn");
    expect(dyn.inputs).toEqual({ value: CANARY });
    expect(dyn.secretInputs).toEqual(["value"]);
    expect(dyn.providerCode).toContain("create");
    expect(plaintextOccurrences(evaluation, CANARY)).toEqual([]);
    expect(plaintextOccurrences(evaluation, "outs: inputs")).toEqual([`${dyn.urn} serialized provider code`]);
  });

  it("evaluates twice in one process without leaking registrations between runs", async () => {
    const a = await evaluate(program("one", false), { stack: "base" });
    const b = await evaluate(program("two", true), { stack: "head" });
    expect(a.registrations).toHaveLength(5);
    expect(b.registrations).toHaveLength(5);
    expect(a.registrations.every((r) => r.urn.startsWith("urn:pulumi:base::"))).toBe(true);
    expect(b.registrations.every((r) => r.urn.startsWith("urn:pulumi:head::"))).toBe(true);
    expect(a.registrations.find((r) => r.name === "b1-thing")!.inputs.token).toBe("one");
    expect(b.registrations.find((r) => r.name === "b1-thing")!.protect).toBe(true);
  });

  it("runs concurrent calls one after the other", async () => {
    const [a, b] = await Promise.all([evaluate(program("x", false), { stack: "p" }), evaluate(program("y", false), { stack: "q" })]);
    expect(a.registrations.map((r) => r.urn.split("::")[0])).toEqual(Array(5).fill("urn:pulumi:p"));
    expect(b.registrations.map((r) => r.urn.split("::")[0])).toEqual(Array(5).fill("urn:pulumi:q"));
  });

  it("fails, rather than hangs or crashes, when a registration fails, and still works afterwards", () => {
    // In a process of its own: the failure surfaces as an unhandled rejection, which the test
    // runner would otherwise claim. A bound native function cannot be serialized into provider code.
    const script = `
      const pulumi = require("@pulumi/pulumi");
      const { evaluate } = require(${JSON.stringify(join(__dirname, "../../../lib/plan/evaluate"))});
      const hash = require("node:crypto").createHash("sha256");
      const update = hash.update.bind(hash);
      const provider = { async create(inputs) { update(String(inputs)); return { id: "x", outs: {} }; } };
      class Broken extends pulumi.dynamic.Resource {
        constructor(name) { super(provider, name, {}, undefined, "tenancy", "Broken"); }
      }
      (async () => {
        await evaluate(() => void new Broken("broken")).then(() => console.log("resolved"), (e) => console.log("rejected: " + e.message));
        const after = await evaluate(() => void new pulumi.CustomResource("test:index:Thing", "fine", {}));
        console.log("afterwards: " + after.registrations.map((r) => r.name).join(","));
      })();
    `;
    const out = execFileSync(process.execPath, ["--import", "tsx", "-e", script], { encoding: "utf8", cwd: join(__dirname, "../../..") });
    expect(out).toMatch(/^rejected: the program failed while registering resources: .*__provider/m);
    expect(out).toContain("afterwards: fine\n");
  });

  it("rejects a duplicate URN, which the engine would reject too", async () => {
    await expect(
      evaluate(() => {
        new Thing("same", {});
        new Thing("same", {});
      }),
    ).rejects.toThrow(/duplicate resource URN .*::same/);
  });

  it("passes on what the program throws, and still works afterwards", async () => {
    await expect(
      evaluate(() => {
        throw new Error("bad config");
      }),
    ).rejects.toThrow("bad config");
    const after = await evaluate(program("z", false));
    expect(after.registrations).toHaveLength(5);
  });

  it("records a resource passed as an input by its URN", async () => {
    const { registrations } = await evaluate(() => {
      const target = new Thing("target", {});
      new Thing("pointer", { target, list: [target] });
    });
    const [target, pointer] = registrations;
    expect(pointer.inputs).toEqual({ target: target.urn, list: [target.urn] });
    expect(pointer.dependencies).toEqual([target.urn]);
  });

  it("serializes a mock's output state as the SDK does, secret keys included, without awaiting each property", async () => {
    await pulumi.runtime.setMocks({ newResource: (args) => ({ id: args.name, state: args.inputs }), call: (args) => args.inputs }, "p", "s", false);
    const states: Record<string, unknown>[] = [
      { name: "x", port: 5432, on: true, none: null, gone: undefined, fn: () => 1 },
      { nested: { list: [1, undefined, "a", { deep: [null, { x: undefined }] }], empty: {}, blank: [] } },
      { password: "p", connection: { clientSecret: "c", url: "u" }, missing: undefined },
      { withOutput: pulumi.output("late"), plain: "p" },
      { proto: new Date(0) },
    ];
    const secret = new Set(["password", "connection", "missing", "withOutput"]);
    for (const state of states) {
      const bySdk = await pulumi.runtime.serializeProperties("", Object.fromEntries(Object.entries(state).map(([k, v]) => [k, secret.has(k) ? pulumi.secret(v) : v])));
      expect(await serializeState(state, secret)).toEqual(bySdk);
    }
  });

  it("reports secret paths in a serialized property bag", () => {
    const sig = pulumi.runtime.specialSigKey;
    const secret = (value: unknown) => ({ [sig]: pulumi.runtime.specialSecretSig, value });
    const bag = { a: secret("x"), b: [1, { c: secret(2) }], d: "plain" };
    expect(secretPaths(bag)).toEqual(["a", "b[1].c"]);
    expect(plainValue(bag)).toEqual({ a: "x", b: [1, { c: 2 }], d: "plain" });
  });
});
