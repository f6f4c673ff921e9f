/** Closed pipes on stdout or stderr end the CLI quietly (kept apart from io.ts so bin.ts loads nothing else). */

/**
 * Makes a closed stdout or stderr (`tutti status RUN | head`) end the CLI quietly: EPIPE stops
 * further writes to that stream instead of crashing with a stack trace, and the command finishes
 * with the exit code it would have had. Call once at start.
 */
export function guardPipes(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      // Nobody reads any more: drop what else is written (EPIPE); any other write error too, as there is nowhere to report it.
      stream.write = (() => true) as typeof stream.write;
      if (e.code !== 'EPIPE' && process.exitCode === undefined) process.exitCode = 1;
    });
  }
}
