// Runs a Pulumi program under Pulumi's own mocks and records every resource it registers, with
// what the engine would see: parent, options (protect, retainOnDelete, dependencies) and which
// inputs were secret. Mock args lose all of that (no parent, secrets unwrapped, no options), and
// transforms are disabled under mocks, so the recording happens one level down, on the
// RegisterResourceRequest that the SDK sends to the (mock) resource monitor.
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import * as resproto from "@pulumi/pulumi/proto/resource_pb";
import * as runtimeState from "@pulumi/pulumi/runtime/state";
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
  /** The `import` option: the id of an existing object the engine reads instead of creating (`adopt:`). */
  importId?: string;
  /** URNs this resource depends on: explicit dependsOn and those implied by its inputs. */
  dependencies: string[];
  /** URNs it had before (its `aliases`): the engine takes a resource stored under one of them for this one. */
  aliases?: string[];
  deletedWith?: string;
  additionalSecretOutputs: string[];
  /** What the checkpoint would hold of it; only with `EvaluateOptions.recordState`. */
  state?: RecordedState;
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
  /**
   * Also keep what the engine would write to the checkpoint for each resource (`Registration.state`):
   * off by default, since a plan never needs it and it doubles what an evaluation holds.
   */
  recordState?: boolean;
}

/**
 * A resource's entry in the checkpoint as far as the mocks know it: inputs (with `__provider`) and
 * outputs in their serialized form (secrets as the SDK's secret signature with the plaintext inside,
 * where the engine would store ciphertext), and the property dependencies. Recorded on request only.
 */
export interface RecordedState {
  id: string | null;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
  propertyDependencies: Record<string, string[]>;
}

type Recorded = Omit<Registration, "ancestors"> & { state?: RecordedState };

/**
 * The SDK's mock monitor with two changes: it records each request, and it marks the outputs listed
 * in `additionalSecretOutputs` secret (the engine does that in a real run; the stock mock does not,
 * so a generated password would otherwise leak into dependents as plaintext).
 *
 * Each request is reduced to its registration (plain inputs, secret paths, options) as it arrives,
 * and the request itself is dropped: a request carries the SDK's stack trace of the registration and
 * the inputs as protobuf values, which held most of an evaluation's memory once it was over.
 */
class RecordingMonitor extends MockMonitor {
  readonly recorded: Recorded[] = [];

  constructor(
    mocks: pulumi.runtime.Mocks,
    private readonly project: string,
    private readonly stack: string,
    private readonly recordState: boolean,
  ) {
    super(mocks);
  }

  private urnOf(parent: string, type: string, name: string): string {
    // Like the engine: the parent's qualified type chain, not only its last type, precedes ours.
    const qualified = parent ? `${parent.split("::")[2]}$${type}` : type;
    return `urn:pulumi:${this.stack}::${this.project}::${qualified}::${name}`;
  }

  /** The URNs of the request's aliases, as the engine resolves them: an alias spec leaves out what stays the same. */
  private aliasUrns(req: resproto.RegisterResourceRequest, parent: string, type: string, name: string): string[] {
    const urns = [...req.getAliasurnsList()];
    for (const alias of req.getAliasesList()) {
      if (alias.getUrn()) urns.push(alias.getUrn());
      const spec = alias.getSpec();
      if (!spec) continue;
      const aliasParent = spec.getNoparent() ? "" : spec.getParenturn() || parent;
      urns.push(this.urnOf(aliasParent, spec.getType() || type, spec.getName() || name));
    }
    return [...new Set(urns)].sort();
  }

  override async registerResource(req: resproto.RegisterResourceRequest, callback: (err: unknown, response?: unknown) => void): Promise<void> {
    try {
      const type = req.getType();
      const name = req.getName();
      const serialized = req.getObject()!.toJavaScript() as Record<string, unknown>;
      // Read once: the mocks get these inputs (with `__provider`, as the stock mocks give them), the
      // registration keeps them (without); mocks must not change them in place.
      const inputs = plainValue(serialized) as Record<string, unknown>;
      const secretInputs = secretPaths(serialized).filter((p) => p !== "__provider");
      const result = await this.mocks.newResource({
        type,
        name,
        inputs,
        provider: req.getProvider(),
        custom: req.getCustom(),
        id: req.getImportid(),
      });
      // An output echoing a secret input stays secret, as the engine keeps it.
      const secretKeys = new Set([...req.getAdditionalsecretoutputsList(), ...secretInputs.map((p) => p.split(/[.[]/)[0])]);
      const parent = req.getParent();
      const urn = this.urnOf(parent, type, name);
      const serializedState = (await serializeState(result.state, secretKeys)) as Record<string, unknown>;
      this.resources.set(urn, { urn, id: result.id ?? null, state: serializedState });
      const { __provider: providerCode, ...ownInputs } = inputs;
      const dependencies = [...req.getDependenciesList()].sort();
      const aliases = this.aliasUrns(req, parent, type, name);
      this.recorded.push({
        type,
        name,
        urn,
        custom: req.getCustom(),
        ...(parent ? { parent } : {}),
        inputs: ownInputs,
        secretInputs,
        ...(typeof providerCode === "string" ? { providerCode } : {}),
        ...(req.getProvider() ? { provider: req.getProvider() } : {}),
        protect: req.getProtect() ?? false,
        retainOnDelete: req.getRetainondelete() ?? false,
        ...(req.getImportid() ? { importId: req.getImportid() } : {}),
        dependencies,
        ...(aliases.length > 0 ? { aliases } : {}),
        ...(req.getDeletedwith() ? { deletedWith: req.getDeletedwith() } : {}),
        additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
        ...(this.recordState ? { state: recordedState(result.id ?? null, serialized, serializedState, req) } : {}),
      });
      // The SDK reads an answer through these five methods only (runtime/resource.js, which answers
      // itself with such an object when it has no monitor), and the outputs through toJavaScript():
      // handed over as they are, they are not made into protobuf values and back again.
      const response = {
        getUrn: () => urn,
        getId: () => result.id || "",
        getObject: () => ({ toJavaScript: () => serializedState }),
        getPropertydependenciesMap: () => undefined,
        getResult: () => resproto.Result.SUCCESS,
      };
      callback(null, response);
    } catch (err) {
      callback(err, undefined);
    }
  }
}

function recordedState(id: string | null, inputs: Record<string, unknown>, outputs: Record<string, unknown>, req: resproto.RegisterResourceRequest): RecordedState {
  const propertyDependencies: Record<string, string[]> = {};
  req.getPropertydependenciesMap().forEach((deps, key) => {
    const urns = deps.getUrnsList();
    if (urns.length > 0) propertyDependencies[key] = [...urns].sort();
  });
  return { id, inputs, outputs, propertyDependencies };
}

/** Marks a value that the synchronous serializer leaves to the SDK's. */
const NOT_PLAIN = Symbol("not plain");

/**
 * A mock's output state serialized as the SDK's serializeProperties would serialize it, with the
 * keys in `secretKeys` secret. The state the default mocks produce is plain data (the inputs echoed,
 * strings and numbers computed from them), which this serializes directly; anything else (an Output,
 * a resource, an asset a custom mock returned) goes through the SDK, which awaits every property.
 */
export async function serializeState(state: Record<string, unknown>, secretKeys: ReadonlySet<string>): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(state)) {
    const plain = serializePlain(value);
    if (plain === NOT_PLAIN) {
      const secret = Object.fromEntries(Object.entries(state).map(([k, v]) => [k, secretKeys.has(k) ? pulumi.secret(v) : v]));
      return pulumi.runtime.serializeProperties("", secret);
    }
    // A secret of nothing is still a secret (of null), as serializeSecretValue makes it.
    if (secretKeys.has(key)) out[key] = { [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig, value: plain === undefined ? null : plain };
    else if (plain !== undefined) out[key] = plain;
  }
  return out;
}

/** serializeProperty of plain data: functions and undefined dropped from objects, undefined in arrays as null. */
function serializePlain(value: unknown): unknown {
  if (value === undefined || value === null || typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
  if (typeof value === "function") return undefined;
  if (Array.isArray(value)) {
    const items: unknown[] = [];
    for (const item of value) {
      const plain = serializePlain(item);
      if (plain === NOT_PLAIN) return NOT_PLAIN;
      items.push(plain === undefined ? null : plain);
    }
    return items;
  }
  if (typeof value !== "object") return NOT_PLAIN;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return NOT_PLAIN;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    // The SDK's own markers (outputs, resources, assets, secrets already serialized) are its to handle.
    if (key.startsWith("__pulumi") || key === pulumi.runtime.specialSigKey) return NOT_PLAIN;
    const plain = serializePlain(item);
    if (plain === NOT_PLAIN) return NOT_PLAIN;
    if (plain !== undefined) out[key] = plain;
  }
  return out;
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

/** The registration with its ancestors, nearest first, from the parents of every recorded resource. */
function withAncestors(recorded: Recorded, parents: ReadonlyMap<string, string>): Registration {
  const ancestors: string[] = [];
  for (let p = parents.get(recorded.urn); p; p = parents.get(p)) ancestors.push(p);
  return { ...recorded, ancestors };
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

/** The mocks of a run, built apart from evaluateNow so their closures hold nothing of the run itself. */
function mocksOf(options: EvaluateOptions): pulumi.runtime.Mocks {
  const outputs = options.outputs ?? mockOutputs;
  return { newResource: (args) => outputs(args), call: options.call ?? ((args) => args.inputs) };
}

async function evaluateNow(program: () => unknown, options: EvaluateOptions): Promise<Evaluation> {
  const project = options.project ?? "tenancy";
  const stack = options.stack ?? "plan";
  const mocks = mocksOf(options);
  // setMocks switches on the monitor features mocks support (secrets, resource references, ...);
  // replacing its monitor with ours resets them, so they are carried over.
  await pulumi.runtime.setMocks(mocks, project, stack, false);
  // getStore is internal to the SDK (missing from its typings) but is where the feature flags live.
  const store = (runtimeState as unknown as { getStore(): Record<string, unknown> & { settings: { monitor?: unknown } } }).getStore();
  const features = Object.fromEntries(Object.keys(store).filter((k) => k.startsWith("supports")).map((k) => [k, store[k]]));
  let monitor: RecordingMonitor | undefined = new RecordingMonitor(mocks, project, stack, options.recordState ?? false);
  pulumi.runtime.setMockOptions(monitor, project, stack, false);
  Object.assign(store, features);
  let returned: unknown;
  let serializedExports: Record<string, unknown> = {};
  let failure: unknown;
  // The SDK records a stack trace for every internal promise (runtime/debuggable.js: `new
  // Error().stack` for each of them, unconditionally; PULUMI_DEBUG_PROMISE_LEAKS only decides what
  // a leak report prints, and there is no switch for the capture) and one for every resource (the
  // source position it sends the engine, which the mocks drop; Resource.callsites raises the limit
  // for it itself). With source maps on (tsx, vitest) that was most of an evaluation's time (50
  // tenants, ~1,100 resources: 5.2 s CPU with, 1.9 s without, under tsx). A limit of 0 empties the
  // promises' traces; the resources' traces are still taken, and formatting them into text (each
  // frame mapped back to the TypeScript, then parsed again by the SDK) cost 5-8% of an evaluation's
  // CPU at 200-500 tenants, so while the program runs a trace is not formatted at all. Errors keep
  // their messages; their stack is empty, as the limit of 0 already left it.
  const stackTraceLimit = Error.stackTraceLimit;
  const prepareStackTrace = Error.prepareStackTrace;
  Error.stackTraceLimit = 0;
  Error.prepareStackTrace = () => "";
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
    Error.prepareStackTrace = prepareStackTrace;
  }
  // disconnect() forgets its own handle on the monitor but leaves it in the runtime's settings, and
  // with it everything the program registered (the monitor's state of each resource) until the next
  // run replaces it: a plan's base evaluation would stay in memory all through the head's.
  const recorded = monitor.recorded;
  if (store.settings.monitor === monitor) store.settings.monitor = undefined;
  monitor = undefined;
  returned = undefined;
  if (rejections.length > 0) {
    // The registrations of this run will never finish: forget them, so the SDK's exit check does
    // not report them as leaked promises; the next run starts from a fresh runtime state.
    store.leakCandidates = new Set();
    const messages = [...new Set(rejections.map((r) => (r instanceof Error ? r.message : String(r))))];
    throw new Error(`the program failed while registering resources: ${messages.join("; ")}`);
  }
  if (failure !== undefined) throw failure;

  const parents = new Map(recorded.filter((r) => r.parent).map((r) => [r.urn, r.parent!]));
  const registrations = recorded.map((r) => withAncestors(r, parents));
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
