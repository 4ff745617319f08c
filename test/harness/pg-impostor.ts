// A PostgreSQL impostor on 127.0.0.1: it accepts TLS with a self-signed certificate (any client
// that does not verify it gets through), reads the startup message, and asks for a cleartext
// password (or an MD5 hash). Whatever a client answers is recorded: a test then shows that nothing
// of the project handed it a password.
import { createServer, type Server, type Socket } from "node:net";
import { TLSSocket } from "node:tls";
import { selfSignedCertificate } from "./webhook-receiver";

export interface Impostor {
  host: string;
  port: number;
  /** Password messages received, as text (a cleartext password, or "md5..." hashes). */
  captured: string[];
  /** Startup messages seen (user and database asked for). */
  startups: Record<string, string>[];
  stop(): Promise<void>;
}

const SSL_REQUEST = 80877103;
const GSS_REQUEST = 80877104;

function authRequest(kind: "cleartext" | "md5"): Buffer {
  if (kind === "cleartext") return Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3]);
  return Buffer.concat([Buffer.from([0x52, 0, 0, 0, 12, 0, 0, 0, 5]), Buffer.from([1, 2, 3, 4])]);
}

function errorResponse(message: string): Buffer {
  const fields = Buffer.concat([Buffer.from(`SFATAL\0C28P01\0M${message}\0\0`)]);
  const head = Buffer.alloc(5);
  head.write("E", 0);
  head.writeInt32BE(fields.length + 4, 1);
  return Buffer.concat([head, fields]);
}

/** Reads the startup exchange from `socket` (plain or TLS) and asks for a password. */
function converse(socket: Socket | TLSSocket, kind: "cleartext" | "md5", impostor: Impostor, upgrade: (socket: Socket) => void): void {
  let buffer = Buffer.alloc(0);
  let started = false;
  socket.on("data", (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    while (true) {
      if (!started) {
        if (buffer.length < 8) return;
        const length = buffer.readInt32BE(0);
        if (buffer.length < length) return;
        const code = buffer.readInt32BE(4);
        const body = buffer.subarray(8, length);
        buffer = buffer.subarray(length);
        if (code === GSS_REQUEST) {
          socket.write("N");
          continue;
        }
        if (code === SSL_REQUEST && !(socket instanceof TLSSocket)) {
          socket.removeAllListeners("data");
          socket.write("S", () => upgrade(socket as Socket));
          return;
        }
        const parts = body.toString("utf8").split("\0");
        const startup: Record<string, string> = {};
        for (let i = 0; i + 1 < parts.length; i += 2) if (parts[i]) startup[parts[i]] = parts[i + 1];
        impostor.startups.push(startup);
        started = true;
        socket.write(authRequest(kind));
        continue;
      }
      if (buffer.length < 5) return;
      const length = buffer.readInt32BE(1);
      if (buffer.length < length + 1) return;
      const type = String.fromCharCode(buffer[0]);
      const body = buffer.subarray(5, length + 1);
      buffer = buffer.subarray(length + 1);
      if (type === "p") impostor.captured.push(body.toString("utf8").replace(/\0$/, ""));
      socket.end(errorResponse("password authentication failed"));
      return;
    }
  });
  socket.on("error", () => undefined);
}

export async function startImpostor(kind: "cleartext" | "md5" = "cleartext"): Promise<Impostor> {
  const { key, cert } = selfSignedCertificate();
  const sockets = new Set<Socket>();
  const impostor: Impostor = { host: "127.0.0.1", port: 0, captured: [], startups: [], stop: async () => undefined };
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    converse(socket, kind, impostor, (plain) => {
      const secure = new TLSSocket(plain, { isServer: true, key, cert });
      converse(secure, kind, impostor, () => undefined);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  impostor.port = (server.address() as { port: number }).port;
  impostor.stop = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return impostor;
}
