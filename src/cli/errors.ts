/** CLI exit codes and the usage error. */

export const EXIT = {
  ok: 0,
  /** A run ended failed or cancelled. */
  runFailed: 1,
  /** Bad usage, an invalid plan, an unknown run: nothing was done. */
  usage: 2,
  /** Interrupted by SIGINT/SIGTERM (the run stays resumable). */
  interrupted: 130,
} as const;

/** Bad command-line usage: printed as one line (then its `hint`, when it has one), exit code 2. */
export class UsageError extends Error {
  /** Lines printed after the message: what to write to fix it (a config snippet). */
  readonly hint: string | undefined;
  constructor(message: string, hint?: string) {
    super(message);
    this.name = 'UsageError';
    this.hint = hint;
  }
}
