// The one way the CLI reads a repository: `git <args>` in `cwd`, its stdout as text, untrimmed (a
// blob's content is returned as it is). Arguments go as a list, never through a shell; the caller
// names refs by hash or after `--end-of-options`, so a ref cannot become an option. Throws on a
// non-zero exit, with git's stderr in the error.
import { execFileSync } from "node:child_process";

export function git(cwd: string | undefined, ...args: string[]): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, stdio: ["ignore", "pipe", "pipe"] });
}
