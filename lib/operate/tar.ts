// A gzip-compressed tar archive (POSIX ustar, with a pax header for paths longer than ustar allows),
// written entry by entry as a stream: what `tenancy export` hands a tenant, readable by any tar.
// Written here rather than taken from a package: it is the one format the project writes, in 60 lines.
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import type { Readable } from "node:stream";
import { finished } from "node:stream/promises";
import { createGzip, type Gzip } from "node:zlib";

const BLOCK = 512;

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, "0") + "\0";
}

function header(name: string, size: number, type: "0" | "x", mtime: number): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(name.slice(0, 100), 0, "utf8");
  block.write(octal(0o644, 8), 100);
  block.write(octal(0, 8), 108);
  block.write(octal(0, 8), 116);
  block.write(octal(size, 12), 124);
  block.write(octal(Math.floor(mtime / 1000), 12), 136);
  block.write("        ", 148);
  block.write(type, 156);
  block.write("ustar\x0000", 257, "binary");
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(octal(sum, 7) + " ", 148);
  return block;
}

/** A pax record `<length> path=<path>\n`, whose length counts itself. */
function paxRecord(path: string): Buffer {
  const body = ` path=${path}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (String(length).length + Buffer.byteLength(body) !== length) length++;
  return Buffer.from(`${length}${body}`);
}

export class TarWriter {
  private readonly gzip: Gzip = createGzip();
  private readonly done: Promise<void>;

  constructor(file: string) {
    const out = createWriteStream(file, { mode: 0o600 });
    this.gzip.pipe(out);
    this.done = finished(out);
  }

  private async write(chunk: Buffer): Promise<void> {
    if (!this.gzip.write(chunk)) await once(this.gzip, "drain");
  }

  /** Adds a file of `size` bytes; a stream must yield exactly that many. */
  async add(path: string, size: number, body: Buffer | Readable, mtime = Date.now()): Promise<void> {
    if (Buffer.byteLength(path) > 100) {
      const record = paxRecord(path);
      await this.write(header(`PaxHeaders/${path.slice(-80)}`, record.length, "x", mtime));
      await this.write(Buffer.concat([record, Buffer.alloc((BLOCK - (record.length % BLOCK)) % BLOCK)]));
    }
    await this.write(header(path, size, "0", mtime));
    let written = 0;
    for await (const chunk of Buffer.isBuffer(body) ? [body] : body) {
      written += (chunk as Buffer).length;
      await this.write(chunk as Buffer);
    }
    if (written !== size) throw new Error(`${path}: ${written} bytes read, ${size} announced`);
    await this.write(Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK));
  }

  /** Ends the archive (two empty blocks) and waits until the file is written. */
  async finish(): Promise<void> {
    await this.write(Buffer.alloc(2 * BLOCK));
    this.gzip.end();
    await this.done;
  }
}
