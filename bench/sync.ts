// `npm run bench:sync`: a role of _control-plane.yaml changes (a permission added, the description
// reworded) and EntitySync's update brings it to 100 tenants, against the real AuthHero server in a
// child process (so server and client each get a core). The floor, in the same run: the very HTTP
// calls our update issued for each tenant (recorded at fetch level), replayed by a bare fetch loop,
// one call after another per tenant, as many tenants at once as ours, with one token fetched
// beforehand. Each round applies the change (timed), reverts it (untimed), replays the calls
// (timed), reverts again (untimed); medians of the rounds. Last line: ratio=<ours/floor>.
import { AsyncLocalStorage } from "node:async_hooks";
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import pLimit from "p-limit";
import { parse } from "yaml";
import { ControlPlaneSchema, type ControlPlane } from "../lib/catalog/schema";
import { entityFingerprint } from "../lib/identity/fingerprint";
import { MANAGEMENT_AUDIENCE, type ManagementConnection } from "../providers/identity/client";
import { entitySync, type EntitySyncOutputs } from "../providers/identity/entity-sync";

const TENANTS = 100;
/** Tenants updated at once, like the engine's parallelism. */
const PARALLEL_TENANTS = 8;
const ROUNDS = 3;

interface Call {
  method: string;
  url: string;
  tenant?: string;
  body?: string;
}

/** Child mode: the AuthHero server with `n` tenants, its connection on stdout, alive until stdin closes. */
async function serve(n: number): Promise<void> {
  const { startAuthHero } = await import("../test/harness/authhero");
  const log = console.log;
  // The adapter's migrations talk on stdout, which carries the handshake; the server logs every
  // unique-constraint race between tenants syncing the control plane at once, which the client resolves.
  console.log = () => undefined;
  console.error = () => undefined;
  const ah = await startAuthHero();
  for (let i = 0; i < n; i++) await ah.createTenant(tenantId(i));
  const connection: ManagementConnection = { url: ah.url, clientId: ah.clientId, clientSecret: ah.clientSecret, controlPlaneTenantId: ah.controlPlaneTenantId };
  log(JSON.stringify(connection));
  process.stdin.resume();
  process.stdin.on("end", () => void ah.stop().then(() => process.exit(0)));
}

const tenantId = (i: number) => `bench-${String(i).padStart(3, "0")}`;

async function startServer(): Promise<{ child: ChildProcess; connection: ManagementConnection }> {
  const child = spawn(process.execPath, ["--import", "tsx", __filename, "--serve", String(TENANTS)], { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout! });
  const handshake = await new Promise<string>((resolve, reject) => {
    lines.on("line", (line) => line.startsWith('{"url"') && resolve(line));
    child.once("exit", (code) => reject(new Error(`AuthHero server process exited with ${code}`)));
  });
  return { child, connection: JSON.parse(handshake) as ManagementConnection };
}

/** Which tenant's update a request belongs to (control-plane calls carry no tenant-id header). */
const currentTenant = new AsyncLocalStorage<string>();

/** Records each tenant's API calls (not token requests) and the peak of requests in flight while `fn` runs. */
async function recording<T>(fn: () => Promise<T>): Promise<{ result: T; calls: Map<string, Call[]>; peak: number; tokenRequests: number }> {
  const original = globalThis.fetch;
  const calls = new Map<string, Call[]>();
  let inFlight = 0;
  let peak = 0;
  let tokenRequests = 0;
  globalThis.fetch = async (input, init) => {
    const url = String(input);
    if (url.endsWith("/oauth/token")) tokenRequests++;
    else {
      const headers = (init?.headers ?? {}) as Record<string, string>;
      const owner = currentTenant.getStore() ?? "";
      if (!calls.has(owner)) calls.set(owner, []);
      calls.get(owner)!.push({ method: init?.method ?? "GET", url, tenant: headers["tenant-id"], body: init?.body as string | undefined });
    }
    peak = Math.max(peak, ++inFlight);
    try {
      return await original(input, init);
    } finally {
      inFlight--;
    }
  };
  try {
    return { result: await fn(), calls, peak, tokenRequests };
  } finally {
    globalThis.fetch = original;
  }
}

async function token(connection: ManagementConnection): Promise<string> {
  const response = await fetch(`${connection.url}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ grant_type: "client_credentials", client_id: connection.clientId, client_secret: connection.clientSecret, audience: MANAGEMENT_AUDIENCE }),
  });
  if (!response.ok) throw new Error(`token request failed: HTTP ${response.status}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** The floor: each tenant's recorded calls in order, PARALLEL_TENANTS tenants at once, bare fetch. */
async function replay(calls: Map<string, Call[]>, bearer: string): Promise<void> {
  const limit = pLimit(PARALLEL_TENANTS);
  await Promise.all(
    [...calls.values()].map((tenantCalls) =>
      limit(async () => {
        for (const call of tenantCalls) {
          const headers: Record<string, string> = { authorization: `Bearer ${bearer}`, accept: "application/json" };
          if (call.tenant) headers["tenant-id"] = call.tenant;
          if (call.body !== undefined) headers["content-type"] = "application/json";
          const response = await fetch(call.url, { method: call.method, headers, body: call.body });
          await response.text();
          if (!response.ok) throw new Error(`floor: ${call.method} ${call.url} (${call.tenant ?? "control plane"}) answered ${response.status}`);
        }
      }),
    ),
  );
}

/** `tenant-member` with read:billing added and a new description. */
function changed(entities: ControlPlane): ControlPlane {
  const next = structuredClone(entities);
  const role = next.roles.find((r) => r.name === "tenant-member");
  if (!role) throw new Error("_control-plane.yaml has no tenant-member role to change");
  role.description = `${role.description} (and invoices)`;
  role.permissions[0]!.scopes.push("read:billing");
  return next;
}

async function syncAll(connection: ManagementConnection, states: EntitySyncOutputs[], entities: ControlPlane): Promise<EntitySyncOutputs[]> {
  const limit = pLimit(PARALLEL_TENANTS);
  const news = { connection, entities, fingerprint: entityFingerprint(entities) };
  return Promise.all(
    states.map((olds) =>
      limit(() => currentTenant.run(olds.tenantId, async () => (await entitySync.update(olds.identityTenant, olds, { ...news, tenantId: olds.tenantId })).outs)),
    ),
  );
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

async function main(): Promise<void> {
  if (process.argv[2] === "--serve") return serve(Number(process.argv[3]));
  const base = ControlPlaneSchema.parse(parse(readFileSync("tenants/_control-plane.yaml", "utf8")));
  const next = changed(base);
  const { child, connection } = await startServer();
  try {
    const limit = pLimit(PARALLEL_TENANTS);
    let states = await Promise.all(
      Array.from({ length: TENANTS }, (_, i) =>
        limit(async () => (await entitySync.create({ connection, tenantId: tenantId(i), entities: base, fingerprint: entityFingerprint(base) })).outs),
      ),
    );
    const rows: { round: number; oursMs: number; floorMs: number; calls: number; peak: number; tokens: number }[] = [];
    const bearer = await token(connection);
    for (let round = 1; round <= ROUNDS; round++) {
      let start = process.hrtime.bigint();
      const ours = await recording(() => syncAll(connection, states, next));
      const oursMs = ms(start);
      states = await syncAll(connection, ours.result, base);
      start = process.hrtime.bigint();
      await replay(ours.calls, bearer);
      const floorMs = ms(start);
      states = await syncAll(connection, states, base);
      const calls = [...ours.calls.values()].reduce((n, c) => n + c.length, 0);
      if (ours.calls.has("")) throw new Error("a request was issued outside any tenant's update");
      rows.push({ round, oursMs, floorMs, calls, peak: ours.peak, tokens: ours.tokenRequests });
    }
    console.log(`sync of a changed role to ${TENANTS} tenants (${PARALLEL_TENANTS} tenants at once), AuthHero in a child process on 127.0.0.1`);
    console.log("round  ours ms  floor ms  API calls  peak in flight (ours)  token requests (ours)");
    for (const r of rows) {
      console.log(`${String(r.round).padStart(5)}  ${r.oursMs.toFixed(0).padStart(7)}  ${r.floorMs.toFixed(0).padStart(8)}  ${String(r.calls).padStart(9)}  ${String(r.peak).padStart(21)}  ${String(r.tokens).padStart(21)}`);
    }
    const ours = median(rows.map((r) => r.oursMs));
    const floor = median(rows.map((r) => r.floorMs));
    console.log(`median: ours ${ours.toFixed(0)} ms (${(ours / TENANTS).toFixed(1)} ms/tenant), floor ${floor.toFixed(0)} ms (${(floor / TENANTS).toFixed(1)} ms/tenant)`);
    console.log(`ratio=${(ours / floor).toFixed(2)}`);
  } finally {
    child.stdin!.end();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : String(error));
  process.exitCode = 1;
});
