// The engine-side boundary: everything under providers/ runs in the dynamic-provider host, so neither
// it nor anything it imports at run time may reach the program (components/, lib/program.ts,
// index.ts, stack config), the catalog's zod schema and loader, or the Pulumi SDK. Type-only imports
// are erased and allowed. And the registry and the resource classes agree on the provider kinds.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, test } from "vitest";
import { PROVIDER_KINDS } from "../../providers";
import type { AnyProvider } from "../../providers/kit";

const ROOT = resolve(__dirname, "..", "..");

/** Project files the engine side must never load, as paths relative to the project. */
const FORBIDDEN = [
  /^components\//,
  /^index\.ts$/,
  /^lib\/program\.ts$/,
  /^lib\/config\.ts$/,
  /^lib\/catalog\/(?!formats\.ts$)/,
  /^lib\/(plan|cli|cells)\//,
  /^(bench|test)\//,
];

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : path.endsWith(".ts") ? [path] : [];
  });
}

/** The specifiers a TypeScript source loads at run time: imports and re-exports that are not type-only, require() and import(). */
function runtimeSpecifiers(source: string): string[] {
  const found: string[] = [];
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
  for (const m of code.matchAll(/(?:^|;|\n)\s*(import|export)\s+(type\s+)?([^;]*?)\s*from\s*["']([^"']+)["']/g)) {
    const [, , typeOnly, clause, specifier] = m;
    if (typeOnly) continue;
    const named = /^\{([\s\S]*)\}$/.exec(clause.trim());
    // `import { type A, type B } from` is erased too; `import x, { type A }` is not.
    if (named && named[1].split(",").map((s) => s.trim()).filter(Boolean).every((s) => s.startsWith("type "))) continue;
    found.push(specifier);
  }
  for (const m of code.matchAll(/(?:^|\n)\s*import\s+["']([^"']+)["']/g)) found.push(m[1]);
  for (const m of code.matchAll(/(?:^|[^.\w])(?:require|import)\s*\(\s*["']([^"']+)["']\s*\)/g)) found.push(m[1]);
  for (const m of code.matchAll(/import\s+\w+\s*=\s*require\(\s*["']([^"']+)["']\s*\)/g)) found.push(m[1]);
  return [...new Set(found)];
}

function resolveLocal(from: string, specifier: string): string | undefined {
  const base = resolve(dirname(from), specifier);
  return [`${base}.ts`, join(base, "index.ts"), base].find((p) => existsSync(p) && statSync(p).isFile());
}

/** Every project file reached from `start` at run time, with the chain that reaches it, and every package it loads. */
function reach(start: string[]): { files: Map<string, string[]>; packages: Map<string, string[]> } {
  const files = new Map<string, string[]>(start.map((f) => [f, [relative(ROOT, f)]]));
  const packages = new Map<string, string[]>();
  const queue = [...start];
  while (queue.length > 0) {
    const file = queue.shift()!;
    const chain = files.get(file)!;
    for (const specifier of runtimeSpecifiers(readFileSync(file, "utf8"))) {
      if (!specifier.startsWith(".")) {
        if (!packages.has(specifier)) packages.set(specifier, [...chain, specifier]);
        continue;
      }
      const target = resolveLocal(file, specifier);
      if (!target) throw new Error(`${relative(ROOT, file)}: cannot resolve ${specifier}`);
      if (!files.has(target)) {
        files.set(target, [...chain, relative(ROOT, target)]);
        queue.push(target);
      }
    }
  }
  return { files, packages };
}

const providerFiles = filesUnder(join(ROOT, "providers"));
const reached = reach(providerFiles);

describe("the engine-side boundary", () => {
  test("the walker sees what it must: runtime imports, re-exports, require and import(), not type-only imports", () => {
    const source = [
      `import type { A } from "./types-only";`,
      `import { type B, type C } from "./named-types";`,
      `import { type D, e } from "./mixed";`,
      `import * as f from "./star";`,
      `export { g } from "./reexport";`,
      `export type { H } from "./type-reexport";`,
      `import "./side-effect";`,
      `import pLimit = require("p-limit");`,
      `const i = () => require("./lazy");`,
      `// import { j } from "./commented";`,
      `const k = await import("./dynamic");`,
    ].join("\n");
    expect(runtimeSpecifiers(source).sort()).toEqual(["./dynamic", "./lazy", "./mixed", "./reexport", "./side-effect", "./star", "p-limit"].sort());
  });

  test("providers/ reaches no program code, no catalog schema or loader", () => {
    const offenders = [...reached.files].filter(([file]) => FORBIDDEN.some((p) => p.test(relative(ROOT, file)))).map(([, chain]) => chain.join(" -> "));
    expect(offenders).toEqual([]);
    // It does reach every provider module (through the registry's lazy requires) and the lib/ leaves it uses.
    const outside = [...reached.files.keys()].map((f) => relative(ROOT, f)).filter((f) => !f.startsWith("providers/")).sort();
    expect(outside).toEqual(["lib/canonical-json.ts", "lib/catalog/formats.ts", "lib/database/migrations.ts", "lib/database/sql.ts", "lib/database/tables.ts", "lib/identity/fingerprint.ts", "lib/lifecycle/policy.ts", "lib/naming.ts"]);
  });

  test("providers/ loads no Pulumi package at run time", () => {
    const pulumi = [...reached.packages].filter(([name]) => name.startsWith("@pulumi/") || name.startsWith("@grpc/")).map(([, chain]) => chain.join(" -> "));
    expect(pulumi).toEqual([]);
  });
});

describe("the program side", () => {
  test("the program loads nothing of providers/ at run time (only types), so it never pays for pg or the AWS SDK", () => {
    const program = reach([join(ROOT, "index.ts")]);
    expect([...program.files.keys()].map((f) => relative(ROOT, f)).filter((f) => f.startsWith("providers/"))).toEqual([]);
    expect([...program.packages.keys()].filter((p) => p === "pg" || p.startsWith("@aws-sdk/"))).toEqual([]);
  });
});

describe("provider kinds", () => {
  const registry = readFileSync(join(ROOT, "providers", "index.ts"), "utf8");
  const entries = [...registry.matchAll(/^\s*(\w+): \(\) => require\("([^"]+)"\)\.(\w+),$/gm)].map(([, kind, path, name]) => ({ kind, path, name }));

  test("every kind in the registry has an implementation of that kind, with the whole provider shape", async () => {
    expect(entries.map((e) => e.kind).sort()).toEqual([...PROVIDER_KINDS].sort());
    for (const { kind, path, name } of entries) {
      const file = resolveLocal(join(ROOT, "providers", "index.ts"), path);
      expect(file, `${kind}: ${path}`).toBeDefined();
      const provider = (await import(file!))[name] as AnyProvider;
      expect(provider?.kind, `${kind}: ${path} exports ${name}`).toBe(kind);
      for (const method of ["check", "diff", "create", "read", "update", "delete"] as const) expect(typeof provider[method], `${kind}.${method}`).toBe("function");
    }
  });

  test("every dynamic resource class uses a registered kind, and every kind has a class", () => {
    const used = filesUnder(join(ROOT, "components")).flatMap((file) => {
      const source = readFileSync(file, "utf8");
      return [...source.matchAll(/class (\w+) extends TenancyResource \{[\s\S]*?super\("(\w+)"/g)].map(([, cls, kind]) => ({ cls, kind, file: relative(ROOT, file) }));
    });
    const unregistered = used.filter((u) => !(PROVIDER_KINDS as readonly string[]).includes(u.kind));
    expect(unregistered).toEqual([]);
    expect([...new Set(used.map((u) => u.kind))].sort()).toEqual([...PROVIDER_KINDS].sort());
    // The class is named after its kind, so the type token and the class read alike.
    for (const u of used) expect(u.cls, u.file).toBe(u.kind);
  });
});
