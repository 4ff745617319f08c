#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's require hook, so `npx tenancy` works right after `npm ci`.
require("tsx/cjs");
require("../lib/cli/main.ts")
  .main(process.argv.slice(2))
  .then(
    (code) => (process.exitCode = code),
    (error) => {
      process.stderr.write(`tenancy: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 2;
    },
  );
