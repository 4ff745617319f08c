// Runs a Pulumi program under Pulumi's own mocks and records every resource it registers, with
// what the engine would see: parent, options (protect, retainOnDelete, dependencies) and which
// inputs were secret. Mock args lose all of that (no parent, secrets unwrapped, no options), and
// transforms are disabled under mocks, so the recording happens one level down, on the
// RegisterResourceRequest that the SDK sends to the (mock) resource monitor.
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import * as resproto from "@pulumi/pulumi/proto/resource_pb";
import * as runtimeState from "@pulumi/pulumi/runtime/state";
import * as structproto from "google-protobuf/google/protobuf/struct_pb";
import { formatPath } from "../catalog/errors";
import { mockOutputs, type MockOutputs } from "./mock-outputs";

export interface Registration {
  /** Type token, such as `aws:s3/bucket:Bucket` or `tenancy:index:Tenant`. */
  type: string;
  /** Logical name. */
  name: string;
  urn: string;
  /** false for component resources. */
  custom: boolean;
  /** URN of the parent, or undefined for a top-level resource. */
  parent?: string;
  /** URNs of every ancestor, nearest first. */
  ancestors: string[];
  /** Inputs as the provider would receive them, secrets unwrapped, without a dynamic provider's `__provider`. */
  inputs: Record<string, unknown>;
  /** Paths (`password`, `ssl.settings[0]`) of inputs that were secret. */
  secretInputs: string[];
  /** Serialized code of a dynamic provider (`inputs.__provider`); kept apart so no plan prints it. */
  providerCode?: string;
  /** Reference of the explicit provider (`<provider urn>::<id>`), if any. */
  provider?: string;
  protect: boolean;
  retainOnDelete: boolean;
  /** URNs this resource depends on: explicit dependsOn and those implied by its inputs. */
  dependencies: string[];
  deletedWith?: string;
  additionalSecretOutputs: string[];
}

export interface Evaluation {
  /** In registration order. */
  registrations: Registration[];
  /** What the program returned (its stack outputs), resolved; secrets unwrapped. */
  exports: Record<string, unknown>;
  /** Paths of exports that were secret. */
  secretExports: string[];
}

export interface EvaluateOptions {
  project?: string;
  stack?: string;
  /** Output state for a resource beyond its inputs; defaults to realistic values for the types we use. */
  outputs?: MockOutputs;
  /** Answers provider function calls (invokes); defaults to echoing the call's inputs. */
  call?: pulumi.runtime.Mocks["call"];
}

interface RawRegistration {
  req: resproto.RegisterResourceRequest;
  urn: string;
}

/**
 * The SDK's mock monitor with two changes: it records each request, and it marks the outputs listed
 * in `additionalSecretOutputs` secret (the engine does that in a real run; the stock mock does not,
 * so a generated password would otherwise leak into dependents as plaintext).
 */
class RecordingMonitor extends MockMonitor {
  readonly recorded: RawRegistration[] = [];

  constructor(
    mocks: pulumi.runtime.Mocks,
    private readonly project: string,
    private readonly stack: string,
  ) {
    super(mocks);
  }

  private urnOf(parent: string, type: string, name: string): string {
    // Like the engine: the parent's qualified type chain, not only its last type, precedes ours.
    const qualified = parent ? `${parent.split("::")[2]}$${type}` : type;
    return `urn:pulumi:${this.stack}::${this.project}::${qualified}::${name}`;
  }

  override async registerResource(req: resproto.RegisterResourceRequest, callback: (err: unknown, response?: unknown) => void): Promise<void> {
    try {
      const type = req.getType();
      const name = req.getName();
      const serialized = req.getObject()!.toJavaScript();
      const inputs = plainValue(serialized);
      const result = await this.mocks.newResource({
        type,
        name,
        inputs,
        provider: req.getProvider(),
        custom: req.getCustom(),
        id: req.getImportid(),
      });
      // An output echoing a secret input stays secret, as the engine keeps it.
      const secretKeys = new Set([...req.getAdditionalsecretoutputsList(), ...secretPaths(serialized).map((p) => p.split(/[.[]/)[0])]);
      const state = Object.fromEntries(
        Object.entries(result.state).map(([key, value]) => [key, secretKeys.has(key) ? pulumi.secret(value) : value]),
      );
      const urn = this.urnOf(req.getParent(), type, name);
      const serializedState = await pulumi.runtime.serializeProperties("", state);
      this.resources.set(urn, { urn, id: result.id ?? null, state: serializedState });
      this.recorded.push({ req, urn });
      const response = new resproto.RegisterResourceResponse();
      response.setUrn(urn);
      response.setId(result.id || "");
      response.setObject(structproto.Struct.fromJavaScript(serializedState));
      callback(null, response);
    } catch (err) {
      callback(err, undefined);
    }
  }
}

/**
 * Plain data from a serialized property bag: secrets unwrapped, resource references as their URN.
 * Used instead of `deserializeProperties`, which would turn a resource reference back into a
 * resource object (and so register a lookup) in the middle of the recording.
 */
export function plainValue(serialized: unknown): any {
  if (Array.isArray(serialized)) return serialized.map(plainValue);
  if (typeof serialized !== "object" || serialized === null) return serialized;
  const obj = serialized as Record<string, unknown>;
  const sig = obj[pulumi.runtime.specialSigKey];
  if (sig === pulumi.runtime.specialSecretSig) return plainValue(obj.value);
  if (sig === pulumi.runtime.specialResourceSig) return obj.urn;
  return Object.fromEntries(
    Object.entries(obj)
      .filter(([k]) => k !== pulumi.runtime.specialSigKey)
      .map(([k, v]) => [k, plainValue(v)]),
  );
}

/** Paths of secret values inside a serialized (not yet deserialized) property bag. */
export function secretPaths(serialized: unknown, path: PropertyKey[] = []): string[] {
  if (Array.isArray(serialized)) return serialized.flatMap((item, i) => secretPaths(item, [...path, i]));
  if (typeof serialized !== "object" || serialized === null) return [];
  const obj = serialized as Record<string, unknown>;
  if (obj[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig) return [formatPath(path)];
  return Object.keys(obj)
    .sort()
    .flatMap((key) => secretPaths(obj[key], [...path, key]));
}

function toRegistration(raw: RawRegistration, parents: Map<string, string>): Registration {
  const { req, urn } = raw;
  const serialized = req.getObject()!.toJavaScript();
  const inputs = plainValue(serialized) as Record<string, unknown>;
  const providerCode = typeof inputs.__provider === "string" ? inputs.__provider : undefined;
  delete inputs.__provider;
  const ancestors: string[] = [];
  for (let p = parents.get(urn); p; p = parents.get(p)) ancestors.push(p);
  return {
    type: req.getType(),
    name: req.getName(),
    urn,
    custom: req.getCustom(),
    ...(req.getParent() ? { parent: req.getParent() } : {}),
    ancestors,
    inputs,
    secretInputs: secretPaths(serialized).filter((p) => p !== "__provider"),
    ...(providerCode !== undefined ? { providerCode } : {}),
    ...(req.getProvider() ? { provider: req.getProvider() } : {}),
    protect: req.getProtect() ?? false,
    retainOnDelete: req.getRetainondelete() ?? false,
    dependencies: [...req.getDependenciesList()].sort(),
    ...(req.getDeletedwith() ? { deletedWith: req.getDeletedwith() } : {}),
    additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
  };
}

/** Evaluations share Pulumi's global runtime state, so they run one at a time. */
let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs `program` under Pulumi's mocks and returns every resource it registered. Safe to call
 * repeatedly in one process (for example base then head): each run gets a fresh monitor and is
 * disconnected before the next starts. Throws what the program throws, and on a duplicate URN
 * (which the engine rejects but the mocks do not).
 */
export function evaluate(program: () => unknown, options: EvaluateOptions = {}): Promise<Evaluation> {
  const run = queue.then(() => evaluateNow(program, options));
  queue = run.catch(() => undefined);
  return run;
}

async function evaluateNow(program: () => unknown, options: EvaluateOptions): Promise<Evaluation> {
  const project = options.project ?? "tenancy";
  const stack = options.stack ?? "plan";
  const outputs = options.outputs ?? mockOutputs;
  const mocks: pulumi.runtime.Mocks = {
    newResource: (args) => outputs(args),
    call: options.call ?? ((args) => args.inputs),
  };
  // setMocks switches on the monitor features mocks support (secrets, resource references, ...);
  // replacing its monitor with ours resets them, so they are carried over.
  await pulumi.runtime.setMocks(mocks, project, stack, false);
  // getStore is internal to the SDK (missing from its typings) but is where the feature flags live.
  const store = (runtimeState as unknown as { getStore(): Record<string, unknown> }).getStore();
  const features = Object.fromEntries(Object.keys(store).filter((k) => k.startsWith("supports")).map((k) => [k, store[k]]));
  const monitor = new RecordingMonitor(mocks, project, stack);
  pulumi.runtime.setMockOptions(monitor, project, stack, false);
  Object.assign(store, features);
  let returned: unknown;
  let serializedExports: Record<string, unknown> = {};
  let failure: unknown;
  // The SDK records a stack trace for every internal promise and resource; with source maps on
  // (tsx, vitest) that was most of an evaluation's time (50 tenants, ~1,100 resources: 5.2 s CPU
  // with, 1.9 s without, under tsx). Errors keep their messages; the engine's source positions,
  // which nothing here shows, are lost.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  // A registration that fails (an input that cannot be serialized, such as a dynamic provider
  // capturing something it cannot) rejects a promise nobody awaits, and the SDK then waits forever
  // for that registration. Pulumi's language host ends the run on such a rejection; so does this,
  // with an error, instead of hanging or ending the process.
  const rejections: unknown[] = [];
  let abort: (reason: unknown) => void = () => undefined;
  const aborted = new Promise<never>((_, reject) => (abort = reject));
  aborted.catch(() => undefined);
  const onRejection = (reason: unknown) => {
    rejections.push(reason);
    abort(reason);
  };
  process.on("unhandledRejection", onRejection);
  try {
    await Promise.race([
      (async () => {
        try {
          returned = await program();
          serializedExports = await pulumi.runtime.serializeProperties("exports", (returned ?? {}) as pulumi.Inputs);
        } catch (err) {
          failure = err;
        }
        // Drains every pending registration (awaiting the program does not), then detaches the
        // monitor so nothing of this run leaks into the next.
        await pulumi.runtime.disconnect();
      })(),
      aborted,
    ]);
    // A rejection is reported a turn of the event loop after the promise rejected.
    await new Promise((done) => setImmediate(done));
  } catch {
    // Reported below, from `rejections`.
  } finally {
    process.off("unhandledRejection", onRejection);
    Error.stackTraceLimit = stackTraceLimit;
  }
  if (rejections.length > 0) {
    // The registrations of this run will never finish: forget them, so the SDK's exit check does
    // not report them as leaked promises; the next run starts from a fresh runtime state.
    store.leakCandidates = new Set();
    const messages = [...new Set(rejections.map((r) => (r instanceof Error ? r.message : String(r))))];
    throw new Error(`the program failed while registering resources: ${messages.join("; ")}`);
  }
  if (failure !== undefined) throw failure;

  const parents = new Map(monitor.recorded.filter((r) => r.req.getParent()).map((r) => [r.urn, r.req.getParent()]));
  const registrations = monitor.recorded.map((raw) => toRegistration(raw, parents));
  const seen = new Set<string>();
  for (const r of registrations) {
    if (seen.has(r.urn)) throw new Error(`duplicate resource URN ${r.urn}: two resources of type ${r.type} are both named "${r.name}"`);
    seen.add(r.urn);
  }
  return {
    registrations,
    exports: plainValue(serializedExports),
    secretExports: secretPaths(serializedExports),
  };
}

/**
 * Where `needle` (a canary secret) appears in plaintext: in an input that was not secret, in a
 * dynamic provider's serialized code, or in an export that was not secret. Empty means no leak.
 */
export function plaintextOccurrences(evaluation: Evaluation, needle: string): string[] {
  const found: string[] = [];
  const scan = (value: unknown, path: PropertyKey[], secret: readonly string[], where: string) => {
    if (typeof value === "string") {
      const p = formatPath(path);
      if (value.includes(needle) && !secret.some((s) => p === s || p.startsWith(`${s}.`) || p.startsWith(`${s}[`))) found.push(`${where} ${p}`);
    } else if (Array.isArray(value)) value.forEach((v, i) => scan(v, [...path, i], secret, where));
    else if (typeof value === "object" && value !== null) for (const [k, v] of Object.entries(value)) scan(v, [...path, k], secret, where);
  };
  for (const r of evaluation.registrations) {
    scan(r.inputs, [], r.secretInputs, `${r.urn} input`);
    if (r.providerCode?.includes(needle)) found.push(`${r.urn} serialized provider code`);
  }
  scan(evaluation.exports, [], evaluation.secretExports, "stack output");
  return found;
}
