// A loopback HTTP proxy that injects faults in front of a real server: a dropped connection before
// or after the request reached the server, a delay, an error status with or without the request
// having been processed, a 429 with Retry-After. Which request gets which fault is the test's choice.
import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export type Fault =
  /** Close the connection without forwarding. */
  | { kind: "drop" }
  /** Forward, let the server do it, then close the connection instead of answering. */
  | { kind: "drop-after" }
  | { kind: "delay"; ms: number }
  /** Answer this status without forwarding (429 with `retryAfter` seconds). */
  | { kind: "status"; status: number; retryAfter?: number }
  /** Forward, let the server do it, then answer this status instead. */
  | { kind: "status-after"; status: number };

export interface ProxiedRequest {
  method: string;
  path: string;
  /** 0-based count of requests seen by the proxy. */
  index: number;
}

export interface FaultProxy {
  url: string;
  /** Requests seen, and faults injected, since start. */
  stats: { requests: number; faults: Record<Fault["kind"], number> };
  setPlan(plan: (req: ProxiedRequest) => Fault | undefined): void;
  stop(): Promise<void>;
}

/** A deterministic generator (mulberry32), so a failing fault sequence can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Each request gets a fault with probability `rate`, the kind drawn evenly from `kinds`. */
export function randomFaults(rate: number, seed: number, kinds: Fault[]): (req: ProxiedRequest) => Fault | undefined {
  const random = seededRandom(seed);
  return () => (random() < rate ? kinds[Math.floor(random() * kinds.length)] : undefined);
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  let plan: (req: ProxiedRequest) => Fault | undefined = () => undefined;
  const stats: FaultProxy["stats"] = { requests: 0, faults: { drop: 0, "drop-after": 0, delay: 0, status: 0, "status-after": 0 } };

  const forward = (req: IncomingMessage, body: Buffer) =>
    new Promise<{ status: number; headers: IncomingMessage["headers"]; body: Buffer }>((resolve, reject) => {
      const out = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
          res.on("error", reject);
        },
      );
      out.on("error", reject);
      out.end(body);
    });

  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const fault = plan({ method: req.method ?? "GET", path: req.url ?? "/", index: stats.requests++ });
    if (fault) stats.faults[fault.kind]++;
    try {
      if (fault?.kind === "drop") return void req.socket.destroy();
      if (fault?.kind === "status") {
        res.writeHead(fault.status, { "content-type": "application/json", ...(fault.retryAfter !== undefined ? { "retry-after": String(fault.retryAfter) } : {}) });
        return void res.end(JSON.stringify({ message: `injected ${fault.status}` }));
      }
      if (fault?.kind === "delay") await new Promise((r) => setTimeout(r, fault.ms));
      const answer = await forward(req, body);
      if (fault?.kind === "drop-after") return void req.socket.destroy();
      if (fault?.kind === "status-after") {
        res.writeHead(fault.status, { "content-type": "application/json" });
        return void res.end(JSON.stringify({ message: `injected ${fault.status} after the server answered ${answer.status}` }));
      }
      const headers = { ...answer.headers };
      delete headers["transfer-encoding"];
      delete headers.connection;
      res.writeHead(answer.status, headers);
      res.end(answer.body);
    } catch (error) {
      res.writeHead(502, { "content-type": "application/json" });
      res.end(JSON.stringify({ message: `proxy: ${(error as Error).message}` }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));

  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stats,
    setPlan(next) {
      plan = next;
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
