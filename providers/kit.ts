// The one shape of the project's dynamic providers. A provider declares what a change of each of
// its inputs means (keys), a pure check, and create / read / update / delete as plain functions of
// their arguments; `defineProvider` turns that into what Pulumi's dynamic-provider host calls
// (check, diff, create, read, update, delete), and tests call the same functions directly.
//
// Every implementation takes its collaborators (clients' retry timings, a migration set, a trusted
// CA...) as a last `options` parameter with production defaults: the engine never passes one, tests
// pass their own. Nothing test-only ever travels through the inputs.
//
// Runs inside the provider host: no runtime import of @pulumi/pulumi, components/ or the program.
import { canonicalJson } from "../lib/canonical-json";

/** The engine's own key: the serialized loader, which it keeps in inputs and outputs. */
const CODE = "__provider";
/** What the engine sends for a value that is not known yet (an output of a resource still to be made). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export const TENANT_MOVE =
  "moving a tenant between servers, databases or isolation modes is a tenant move, carried out by its TenantMove only for a tenant that was not protected (deletion_protection) before the change: see docs/runbooks.md#moving-a-tenant";

/**
 * The input that says a tenant's TenantMove (providers/move/) guards this resource: the program
 * sets it true on every resource whose place may move, false for a protected tenant. A place change
 * is an update only when the old state and the new inputs both say true: the TenantMove then existed
 * before this update, and it copies the data to the new place before the engine deletes anything of
 * the old one. A state written before TenantMove existed has no guard, and a tenant protected before
 * the change has false (the engine would refuse to delete its old place), so their place changes are
 * still refused as tenant moves, before anything of the tenant's data runs.
 */
export const MOVE_GUARD = "moveGuard";

/** The inputs of a provider whose place a TenantMove may change. */
export interface MoveGuarded {
  [MOVE_GUARD]?: boolean;
}

/**
 * An output a read sets when the real object is damaged in a way the inputs cannot show (a table
 * the migrations made, dropped by hand): a sentence saying what. Refresh shows it; while it is set,
 * diff reports an update, so the next `up` repairs the damage or fails saying why.
 */
export const DRIFT = "drift";

/** A located problem with the inputs: `property` is the input key (dotted for nested ones). */
export interface CheckFailure {
  property: string;
  reason: string;
}

/**
 * What a change of each input means: the smallest identity that is true. Paths may be dotted
 * (`target.database`). Every top-level input key must be declared, or check refuses the inputs.
 */
export interface ProviderKeys {
  /**
   * Where the tenant's data is: database, schema, isolation mode, tenant id, the server's name. A
   * change would need a new object, and the engine would then delete the old one (dropping its
   * data), so diff refuses it as a tenant move. A key the old state does not hold yet (written
   * before the key existed) is recorded by the next update, not refused.
   */
  place?: readonly string[];
  /** A change needs a new object, and replacing destroys nothing (a password rotation). */
  replace?: readonly string[];
  /** A change updates the same object: how a place is reached (host, port, credentials, URLs) and what it holds. */
  update: readonly string[];
  /** Lists whose order means nothing (admins, host names), compared sorted. */
  unordered?: readonly string[];
}

export interface DiffResult {
  changes: boolean;
  replaces: string[];
  deleteBeforeReplace?: boolean;
}

export interface ProviderSpec<I extends object, O extends object, Opt> {
  /** The dynamic resource kind (the type name after `pulumi-nodejs:dynamic/tenancy:`). */
  kind: string;
  keys: ProviderKeys;
  /** Only for a replace key whose old and new object cannot exist at once. */
  deleteBeforeReplace?: boolean;
  /** Pure: every problem with the inputs, located. Also run before create and update. */
  check(inputs: I): CheckFailure[];
  /**
   * What must already exist on the live service before the resource can be created, asked by check
   * for a resource that does not exist yet (the engine's olds are empty) and whose inputs are known,
   * so `pulumi preview` stops with the step to take instead of `up` failing half-way through a
   * tenant. Never for an existing resource: a preview of a running cell does not depend on it.
   */
  checkNew?(inputs: I): Promise<CheckFailure[]>;
  /**
   * A change of an existing resource that this provider cannot carry out, as a sentence; diff throws
   * it, so `pulumi preview` stops there and `up` fails before anything of the update runs.
   */
  refuse?(olds: O, news: I): string | undefined;
  create(inputs: I, options?: Opt): Promise<{ id: string; outs: O }>;
  /** The real object as it is now, for refresh; an empty id when it is gone. */
  read(id: string, props: O, options?: Opt): Promise<{ id: string; props: O }>;
  /** Must be idempotent: an update with unchanged inputs (a new loader text, a re-addressed server) changes no data. */
  update(id: string, olds: O, news: I, options?: Opt): Promise<{ outs: O }>;
  delete(id: string, props: O, options?: Opt): Promise<void>;
}

type WithCode<T> = T & { [CODE]?: unknown };

/** A provider as the host and the tests call it. */
export interface Provider<I extends object, O extends object, Opt> {
  readonly kind: string;
  readonly keys: ProviderKeys;
  check(olds: unknown, news: WithCode<I>): Promise<{ inputs?: WithCode<I>; failures?: CheckFailure[] }>;
  diff(id: string, olds: WithCode<O>, news: WithCode<I>): Promise<DiffResult>;
  create(inputs: WithCode<I>, options?: Opt): Promise<{ id: string; outs: O }>;
  read(id: string, props: WithCode<O>, options?: Opt): Promise<{ id: string; props: O }>;
  update(id: string, olds: WithCode<O>, news: WithCode<I>, options?: Opt): Promise<{ outs: O }>;
  delete(id: string, props: WithCode<O>, options?: Opt): Promise<void>;
}

export type AnyProvider = Provider<any, any, any>;

/** The value at a dotted path. */
export function valueAt(value: unknown, path: string): unknown {
  return path.split(".").reduce<unknown>((v, key) => (v !== null && typeof v === "object" ? (v as Record<string, unknown>)[key] : undefined), value);
}

function withoutCode<T>(value: WithCode<T>): T {
  const { [CODE]: _code, ...rest } = value ?? ({} as WithCode<T>);
  return rest as T;
}

/** The outputs with the inputs' MOVE_GUARD, whatever the implementation returned: the next diff reads it from them. */
function withGuard<O>(outs: O, inputs: object): O {
  const guard = (inputs as Record<string, unknown>)[MOVE_GUARD];
  return guard === undefined ? outs : { ...outs, [MOVE_GUARD]: guard };
}

/** Whether a value is, or holds, an output the engine does not know yet (a preview before its producer ran). */
export function unknownIn(value: unknown): boolean {
  return value === UNKNOWN || canonicalJson(value).includes(UNKNOWN);
}

/** Problems of the kind every provider has: an input key that none of its key lists declares. */
export function undeclaredKeys(keys: ProviderKeys, inputs: object): CheckFailure[] {
  const declared = [...(keys.place ?? []), ...(keys.replace ?? []), ...keys.update].map((p) => p.split(".")[0]);
  return Object.keys(inputs)
    .filter((k) => k !== CODE && k !== MOVE_GUARD && !declared.includes(k))
    .map((k) => ({ property: k, reason: `input ${k} is not declared as a place, replace or update key of this provider` }));
}

/** What a change of inputs means under `keys`: the one rule diff applies, and the offline plan (lib/plan/diff.ts) too. */
export interface KeyChanges {
  /** Place keys that change on a resource no TenantMove guards: a tenant move, which diff refuses. */
  moved: string[];
  /** Place keys that change on a resource a TenantMove guards (MOVE_GUARD): an update of the new place. */
  carried: string[];
  /** Replace keys that change (known values only). */
  replaces: string[];
  /** Every declared key that changes. */
  updates: string[];
}

export function keyChanges(keys: ProviderKeys, olds: object, news: object): KeyChanges {
  const unordered = new Set(keys.unordered ?? []);
  const text = (path: string, v: unknown) =>
    unordered.has(path) && Array.isArray(v) ? canonicalJson([...v].map(canonicalJson).sort()) : canonicalJson(v);
  const changed = (path: string) => text(path, valueAt(olds, path)) !== text(path, valueAt(news, path));
  const known = (path: string) => !unknownIn(valueAt(news, path));
  const placeChanged = (keys.place ?? []).filter((p) => valueAt(olds, p) !== undefined && known(p) && changed(p));
  const guarded = valueAt(olds, MOVE_GUARD) === true && valueAt(news, MOVE_GUARD) === true;
  return {
    moved: guarded ? [] : placeChanged,
    carried: guarded ? placeChanged : [],
    replaces: (keys.replace ?? []).filter((p) => known(p) && changed(p)),
    // The guard itself too: it must reach the outputs, which are the olds the next diff reads.
    updates: [...(keys.place ?? []), ...(keys.replace ?? []), ...keys.update, ...(keys.place ? [MOVE_GUARD] : [])].filter(changed),
  };
}

export function defineProvider<I extends object, O extends object, Opt = undefined>(spec: ProviderSpec<I, O, Opt>): Provider<I, O, Opt> {
  const { kind, keys } = spec;

  const problems = (inputs: I) => [...undeclaredKeys(keys, inputs), ...spec.check(inputs)];
  /** Create and update check too: the engine skips check on some paths (import), and a test may call them directly. */
  const checked = (inputs: WithCode<I>): I => {
    const plain = withoutCode(inputs);
    const failures = problems(plain);
    if (failures.length > 0) throw new Error(`invalid ${kind} inputs: ${failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`);
    return plain;
  };

  return {
    kind,
    keys,
    async check(olds, news) {
      const plain = withoutCode(news);
      const failures = problems(plain);
      const isNew = olds === undefined || olds === null || (typeof olds === "object" && Object.keys(olds).length === 0);
      if (failures.length === 0 && spec.checkNew && isNew && !unknownIn(plain)) failures.push(...(await spec.checkNew(plain)));
      return failures.length > 0 ? { failures } : { inputs: news };
    },
    async diff(id, olds, news) {
      const { moved, replaces, updates } = keyChanges(keys, olds, news);
      if (moved.length > 0) {
        const what = moved.map((p) => `${p} ${JSON.stringify(valueAt(olds, p))} -> ${JSON.stringify(valueAt(news, p))}`).join(", ");
        throw new Error(`${kind} ${id}: ${what}; ${TENANT_MOVE}`);
      }
      const refusal = spec.refuse?.(withoutCode(olds), withoutCode(news));
      if (refusal) throw new Error(`${kind} ${id}: ${refusal}`);
      // A new loader text is an update of its own: it rewrites the stored `__provider` (see components/dynamic.ts).
      // Damage a read found (DRIFT) is one too: the update repairs it, or refuses and says why.
      const changes = updates.length > 0 || olds[CODE] !== news[CODE] || Boolean((olds as Record<string, unknown>)[DRIFT]);
      return { changes, replaces, ...(replaces.length > 0 && spec.deleteBeforeReplace ? { deleteBeforeReplace: true } : {}) };
    },
    async create(inputs, options) {
      const { id, outs } = await spec.create(checked(inputs), options);
      return { id, outs: withGuard(withoutCode(outs), inputs) };
    },
    async read(id, props, options) {
      const found = await spec.read(id, withoutCode(props), options);
      return { id: found.id, props: withoutCode(found.props) };
    },
    async update(id, olds, news, options) {
      const { outs } = await spec.update(id, withoutCode(olds), checked(news), options);
      return { outs: withGuard(withoutCode(outs), news) };
    },
    async delete(id, props, options) {
      await spec.delete(id, withoutCode(props), options);
    },
  };
}
