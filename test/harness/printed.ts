// What code under test prints (console.*), kept instead of shown, so canary tests can check that no
// secret reaches a log: the provider host's output ends up in the engine's log.
import { afterEach, beforeEach, vi } from "vitest";

/** Captures console output around each test of the calling file; `take()` returns and clears it. */
export function usePrintedOutput(): { take(): string } {
  let printed: string[] = [];
  beforeEach(() => {
    printed = [];
    for (const method of ["log", "info", "warn", "error", "debug"] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void printed.push(args.map(String).join(" ")));
    }
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });
  return { take: () => printed.splice(0).join("\n") };
}
