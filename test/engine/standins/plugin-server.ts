// The gRPC ResourceProvider server shared by the stand-in provider plugins (aws.ts, cloudflare.ts,
// postgresql.ts): the plugin side of Pulumi's provider protocol, built on @grpc/grpc-js and the
// stubs generated into @pulumi/pulumi/proto. Not @pulumi/pulumi/provider's `main`: its Configure
// drops the provider config, which the PostgreSQL stand-in needs to reach its server.
//
// Protocol (see @pulumi/pulumi/proto/provider_pb.d.ts): the engine starts the plugin, reads the
// port it prints on stdout, then calls CheckConfig/DiffConfig/Configure for each provider resource
// and Check/Diff/Create/Read/Update/Delete for each resource. Configure answers acceptSecrets=false,
// so the engine hands over plain values and marks outputs secret wherever the input was;
// supportsPreview=false, so Create and Update only run for real. Methods not served here answer
// UNIMPLEMENTED (grpc-js's default handler), which the engine treats as "not supported".
import { createHash } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { PluginInfo } from "@pulumi/pulumi/proto/plugin_pb";
import { ResourceProviderService, type IResourceProviderServer } from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as proto from "@pulumi/pulumi/proto/provider_pb";

export type Props = Record<string, any>;

/** What the engine sends in place of a value it does not know yet (during preview). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

function containsUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (value && typeof value === "object") return Object.values(value).some(containsUnknown);
  return false;
}

/** Provider config from Configure, by short key (`postgresql:config:host` → `host`); every value a string. */
type ProviderConfig = Record<string, string>;

export interface Context {
  urn: string;
  config: ProviderConfig;
}

/** One resource type of a stand-in. */
export interface ResourceType {
  /** Input properties whose change replaces the resource: what the real schema marks force-new. */
  forceNew: readonly string[];
  /** Defaults of the real schema, applied in Check where an input is absent. */
  defaults?: Props;
  /** Set-typed inputs (order-insensitive upstream): Check sorts them, so reordering is no change. */
  sets?: readonly string[];
  /** Inputs the stand-in can honour; any other input is refused in Check rather than silently ignored. */
  supported?: readonly string[];
  /** Further problems with the inputs, as Check failures; asked once every value is known (Check runs again then). */
  check?(inputs: Props): string[];
  create(inputs: Props, ctx: Context): Promise<{ id: string; outs: Props }>;
  /** The object as it is now (its id may have changed, e.g. by a rename), or undefined when it is gone. */
  read(id: string, state: Props, ctx: Context): Promise<{ id: string; outs: Props } | undefined>;
  /** Absent when every input is force-new: the engine then replaces and never updates. */
  update?(id: string, olds: Props, news: Props, ctx: Context): Promise<Props>;
  delete(id: string, state: Props, ctx: Context): Promise<void>;
}

export interface StandIn {
  /** The provider package, e.g. "aws": the plugin's name and where its version is read. */
  pkg: string;
  resources: Record<string, ResourceType>;
}

/**
 * The version the SDK package asks the engine for (`pulumi.version` in its package.json), so the
 * plugin answers for exactly the version the program requests.
 */
function sdkPluginVersion(pkg: string): string {
  return require(`@pulumi/${pkg}/package.json`).pulumi.version;
}

/** A stable stand-in for an id the real service picks at random: a hash of what identifies the object. */
export function stableHash(...parts: unknown[]): string {
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex");
}

/** The same, shaped like a UUID. */
export function stableUuid(...parts: unknown[]): string {
  const h = stableHash(...parts);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** An echo resource: no object behind it; outputs are the inputs plus what `computed` derives from them. */
export function echoResource(table: {
  forceNew: readonly string[];
  defaults?: Props;
  sets?: readonly string[];
  /** The id and the computed outputs. */
  computed(inputs: Props, ctx: Context): { id: string } & Props;
}): ResourceType {
  const outputs = (inputs: Props, ctx: Context) => {
    const { id, ...extra } = table.computed(inputs, ctx);
    return { id, outs: { ...inputs, ...extra } };
  };
  return {
    forceNew: table.forceNew,
    defaults: table.defaults,
    sets: table.sets,
    async create(inputs, ctx) {
      return outputs(inputs, ctx);
    },
    // Nothing exists out of band that could have drifted: the state is the truth.
    async read(id, state) {
      return { id, outs: state };
    },
    async update(_id, _olds, news, ctx) {
      return outputs(news, ctx).outs;
    },
    async delete() {},
  };
}

/** The input keys whose values differ; an unknown value always counts as a change. */
function changedKeys(olds: Props, news: Props): string[] {
  const keys = [...new Set([...Object.keys(olds), ...Object.keys(news)])].sort();
  return keys.filter((k) => containsUnknown(news[k]) || !isDeepStrictEqual(olds[k], news[k]));
}

function checkInputs(type: ResourceType, news: Props): { inputs: Props; failures: string[] } {
  const inputs: Props = { ...type.defaults, ...news };
  for (const key of type.sets ?? []) {
    if (Array.isArray(inputs[key])) inputs[key] = [...inputs[key]].sort();
  }
  const failures = Object.keys(news)
    .filter((k) => type.supported && !type.supported.includes(k))
    .map((k) => `${k}: not supported by the stand-in provider (only ${type.supported!.join(", ")})`);
  const more = containsUnknown(inputs) ? [] : (type.check?.(inputs) ?? []);
  return { inputs, failures: [...failures, ...more] };
}

/**
 * The inputs after a read: an input whose output the read found changed takes the value read, so the
 * next update sees the drift; the others stay as they were (an output may legitimately differ from
 * its input, e.g. with a default filled in).
 */
function inputsFromRead(oldInputs: Props, oldOutputs: Props, outs: Props): Props {
  return Object.fromEntries(Object.entries(oldInputs).map(([k, v]) => [k, isDeepStrictEqual(outs[k], oldOutputs[k]) ? v : outs[k]]));
}

/** Runs `fn` and answers with its result, or with its error's message. */
function answer<T>(callback: grpc.sendUnaryData<T>, fn: () => Promise<T>): void {
  fn().then(
    (value) => callback(null, value),
    (error: Error) => callback(Object.assign(new Error(error.message), { code: grpc.status.UNKNOWN, details: error.message })),
  );
}

const struct = (props: Props) => Struct.fromJavaScript(props);
const props = (s: Struct | undefined): Props => (s ? (s.toJavaScript() as Props) : {});
/** The inputs a diff compares against: the old checked inputs, or the old outputs from an engine that sends none. */
const oldInputs = (req: proto.DiffRequest): Props => props(req.hasOldInputs() ? req.getOldInputs() : req.getOlds());

/** Starts the plugin: serves `standIn` on a loopback port, printed on stdout, until killed or cancelled. */
export function serve(standIn: StandIn): void {
  const version = sdkPluginVersion(standIn.pkg);
  let config: ProviderConfig = {};
  const typeOf = (urn: string): ResourceType => {
    const token = urn.split("::")[2]?.split("$").pop() ?? "";
    const type = standIn.resources[token];
    if (!type) throw new Error(`the ${standIn.pkg} stand-in provider does not implement ${token}`);
    return type;
  };
  const ctx = (urn: string): Context => ({ urn, config });
  const server = new grpc.Server({ "grpc.max_receive_message_length": 400 * 1024 * 1024 });

  const impl: Partial<IResourceProviderServer> = {
    getPluginInfo: (_call, callback) => callback(null, new PluginInfo().setVersion(version)),
    getSchema: (_call, callback) => callback(null, new proto.GetSchemaResponse().setSchema("{}")),
    checkConfig: (call, callback) => callback(null, new proto.CheckResponse().setInputs(call.request.getNews())),
    diffConfig: (call, callback) => {
      const req = call.request;
      const changed = changedKeys(oldInputs(req), props(req.getNews()));
      const resp = new proto.DiffResponse().setDiffsList(changed);
      callback(null, resp.setChanges(changed.length ? proto.DiffResponse.DiffChanges.DIFF_SOME : proto.DiffResponse.DiffChanges.DIFF_NONE));
    },
    configure: (call, callback) =>
      answer(callback, async () => {
        config = {};
        call.request.getVariablesMap().forEach((value, key) => (config[key.slice(key.lastIndexOf(":") + 1)] = value));
        return new proto.ConfigureResponse().setAcceptsecrets(false).setSupportspreview(false);
      }),
    check: (call, callback) =>
      answer(callback, async () => {
        const { inputs, failures } = checkInputs(typeOf(call.request.getUrn()), props(call.request.getNews()));
        const list = failures.map((reason) => new proto.CheckFailure().setReason(reason));
        return new proto.CheckResponse().setInputs(struct(inputs)).setFailuresList(list);
      }),
    diff: (call, callback) =>
      answer(callback, async () => {
        const req = call.request;
        const type = typeOf(req.getUrn());
        const changed = changedKeys(oldInputs(req), props(req.getNews()));
        const resp = new proto.DiffResponse().setDiffsList(changed).setDeletebeforereplace(false);
        resp.setReplacesList(changed.filter((k) => type.forceNew.includes(k)));
        return resp.setChanges(changed.length ? proto.DiffResponse.DiffChanges.DIFF_SOME : proto.DiffResponse.DiffChanges.DIFF_NONE);
      }),
    create: (call, callback) =>
      answer(callback, async () => {
        const urn = call.request.getUrn();
        const { id, outs } = await typeOf(urn).create(props(call.request.getProperties()), ctx(urn));
        return new proto.CreateResponse().setId(id).setProperties(struct(outs));
      }),
    read: (call, callback) =>
      answer(callback, async () => {
        const req = call.request;
        const state = props(req.getProperties());
        const found = await typeOf(req.getUrn()).read(req.getId(), state, ctx(req.getUrn()));
        // An empty id tells the engine the object is gone.
        if (!found) return new proto.ReadResponse().setId("");
        const { id, outs } = found;
        const resp = new proto.ReadResponse().setId(id).setProperties(struct(outs));
        return req.hasInputs() ? resp.setInputs(struct(inputsFromRead(props(req.getInputs()), state, outs))) : resp;
      }),
    update: (call, callback) =>
      answer(callback, async () => {
        const req = call.request;
        const type = typeOf(req.getUrn());
        if (!type.update) throw new Error(`${req.getUrn()}: every input is force-new, so it is replaced, never updated`);
        const outs = await type.update(req.getId(), props(req.getOlds()), props(req.getNews()), ctx(req.getUrn()));
        return new proto.UpdateResponse().setProperties(struct(outs));
      }),
    delete: (call, callback) =>
      answer(callback, async () => {
        const req = call.request;
        await typeOf(req.getUrn()).delete(req.getId(), props(req.getProperties()), ctx(req.getUrn()));
        return new Empty();
      }),
    attach: (_call, callback) => callback(null, new Empty()),
    cancel: (_call, callback) => {
      callback(null, new Empty());
      server.tryShutdown(() => process.exit(0));
    },
  };

  server.addService(ResourceProviderService, impl as grpc.UntypedServiceImplementation);
  server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, port) => {
    if (error) {
      process.stderr.write(`${standIn.pkg} stand-in provider: ${error.message}\n`);
      process.exit(1);
    }
    process.stdout.write(`${port}\n`);
  });
}
