// A real HTTPS webhook receiver on 127.0.0.1 for tests. Its certificate is made at start with the
// openssl CLI (self-signed, subjectAltName IP:127.0.0.1) and handed to the sender as `ca`, so the
// sender stays https-only exactly as in production. Every request is recorded with its raw body;
// `respond` scripts the answers (fail N times, reset the connection, hang, ...).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { IncomingHttpHeaders } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** Milliseconds since the receiver started. */
  atMs: number;
}

/**
 * A status code to answer with, "reset" to drop the connection, "hang" to never answer, "trickle"
 * to send a 200's headers and then one byte every 50 ms without ever finishing.
 */
export type Answer = number | "reset" | "hang" | "trickle" | { status: number; headers: Record<string, string> };

export interface WebhookReceiver {
  /** Base URL, such as https://127.0.0.1:40123 */
  url: string;
  /** PEM of the receiver's self-signed certificate, to trust in the sender. */
  ca: string;
  requests: ReceivedRequest[];
  /** Decides the answer to each request; `count` is how many requests this path has seen, this one included. */
  respond: (request: ReceivedRequest, count: number) => Answer;
  stop(): Promise<void>;
}

export function selfSignedCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), "tenancy-cert-"));
  try {
    const key = join(dir, "key.pem");
    const cert = join(dir, "cert.pem");
    execFileSync(
      "openssl",
      ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
        "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
      { stdio: "pipe" },
    );
    return { key: readFileSync(key, "utf8"), cert: readFileSync(cert, "utf8") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const { key, cert } = selfSignedCertificate();
  const started = Date.now();
  const counts: Record<string, number> = {};
  const hanging: Array<() => void> = [];
  const receiver: WebhookReceiver = {
    url: "",
    ca: cert,
    requests: [],
    respond: () => 200,
    stop: async () => undefined,
  };
  const server: Server = createServer({ key, cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const path = req.url ?? "/";
      const record: ReceivedRequest = {
        method: req.method ?? "",
        path,
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        atMs: Date.now() - started,
      };
      receiver.requests.push(record);
      counts[path] = (counts[path] ?? 0) + 1;
      const answer = receiver.respond(record, counts[path]);
      if (answer === "reset") req.socket.destroy();
      else if (answer === "hang") hanging.push(() => req.socket.destroy());
      else if (answer === "trickle") {
        res.writeHead(200, { "Content-Type": "text/plain" });
        const drip = setInterval(() => res.write("."), 50);
        res.on("close", () => clearInterval(drip));
        hanging.push(() => req.socket.destroy());
      }
      else if (typeof answer === "number") res.writeHead(answer).end();
      else res.writeHead(answer.status, answer.headers).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (!address || typeof address !== "object") throw new Error("webhook receiver has no address");
  receiver.url = `https://127.0.0.1:${address.port}`;
  receiver.stop = () =>
    new Promise<void>((resolve) => {
      for (const drop of hanging) drop();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return receiver;
}
