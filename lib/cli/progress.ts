// Progress of long work (a plan of hundreds of tenants, a status read of a whole cell), said on
// stderr as plain lines while it runs. Only to a person watching: when stderr is not a terminal (CI
// logs, a pipe, a file) or with --quiet, nothing is written, so the output a script reads never
// changes and logs hold no timing noise.

/** Where progress goes: a stream that says whether a terminal is behind it (process.stderr does). */
export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

/** Told each step of the work as it starts; the lines it writes carry the time since the first. */
export type Progress = (message: string) => void;

/** Says nothing. */
export const silent: Progress = () => undefined;

/**
 * A reporter for `command` writing to `stream`: `tenancy plan [2.4s] evaluating cell eu-1 ...`.
 * Silent when the stream is not a terminal or `quiet` is set. `now` is the clock (tests pass their own).
 */
export function progressReporter(command: string, stream: ProgressStream, options: { quiet?: boolean; now?: () => number } = {}): Progress {
  if (options.quiet || stream.isTTY !== true) return silent;
  const now = options.now ?? (() => performance.now());
  let start: number | undefined;
  return (message) => {
    start ??= now();
    const seconds = ((now() - start) / 1000).toFixed(1);
    // No colour and no cursor tricks: plain lines read the same in any terminal and in a transcript.
    stream.write(`tenancy ${command} [${seconds}s] ${message}\n`);
  };
}
