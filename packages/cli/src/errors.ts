/** Exit statuses the CLI uses; documented in the README. */
export const ExitCode = {
  ok: 0,
  runtime: 1,
  usage: 2,
  hangup: 129,
  interrupted: 130,
  terminated: 143,
} as const;

/** The exit status for a run stopped by `signal`: 128 + the signal's number, as shells report it. */
export function signalExitCode(signal: unknown): number {
  if (signal === 'SIGTERM') return ExitCode.terminated;
  if (signal === 'SIGHUP') return ExitCode.hangup;
  return ExitCode.interrupted;
}

/** Stable codes of the errors the CLI reports. */
export type CliErrorCode =
  | 'USAGE'
  | 'DATA_NOT_FOUND'
  | 'DATA_CORRUPT'
  | 'MODEL_NOT_FOUND'
  | 'MODEL_CORRUPT'
  | 'IMAGE_UNREADABLE'
  | 'FILE_NOT_WRITABLE'
  | 'TRAINING_FAILED'
  | 'BACKEND_FAILED'
  | 'UNEXPECTED';

/** An error the CLI reports as one line plus a hint, exiting with `exitCode`. */
export class CliError extends Error {
  override readonly name: string = 'CliError';
  readonly code: CliErrorCode;
  readonly exitCode: number;
  readonly hint: string | undefined;

  constructor(
    code: CliErrorCode,
    message: string,
    options: { hint?: string; cause?: unknown; exitCode?: number } = {},
  ) {
    super(message, { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? (code === 'USAGE' ? ExitCode.usage : ExitCode.runtime);
  }
}

/** A mistake in the command line itself: unknown command or flag, a bad value. Exit status 2. */
export class UsageError extends CliError {
  override readonly name = 'UsageError';

  constructor(message: string, hint?: string) {
    super('USAGE', message, hint === undefined ? {} : { hint });
  }
}

/** True when `error` looks like a Node file-system error with the given code (ENOENT, EACCES…). */
export function isSystemError(error: unknown, ...codes: string[]): error is NodeJS.ErrnoException {
  return (
    error instanceof Error &&
    typeof (error as NodeJS.ErrnoException).code === 'string' &&
    codes.includes((error as NodeJS.ErrnoException).code!)
  );
}
