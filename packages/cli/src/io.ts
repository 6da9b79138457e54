/** Where the CLI writes: a stream-like sink that may be a terminal. */
export interface OutputStream {
  write(text: string): void;
  readonly isTTY?: boolean | undefined;
  readonly columns?: number | undefined;
}

/** Everything the CLI touches of its process, so tests can run it in memory. */
export interface CliIo {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** The real process's streams and environment. */
export function processIo(): CliIo {
  return {
    stdout: {
      write: (text) => void process.stdout.write(text),
      get isTTY() {
        return process.stdout.isTTY === true;
      },
      get columns() {
        return process.stdout.columns;
      },
    },
    stderr: {
      write: (text) => void process.stderr.write(text),
      get isTTY() {
        return process.stderr.isTTY === true;
      },
    },
    env: process.env,
  };
}

/** An in-memory `CliIo` whose output can be read back; `tty` pretends both streams are terminals. */
export function memoryIo(
  options: { tty?: boolean; env?: Record<string, string | undefined>; columns?: number } = {},
): CliIo & {
  stdoutText(): string;
  stderrText(): string;
} {
  const out: string[] = [];
  const err: string[] = [];
  const tty = options.tty ?? false;
  return {
    stdout: { write: (text) => void out.push(text), isTTY: tty, columns: options.columns ?? 80 },
    stderr: { write: (text) => void err.push(text), isTTY: tty },
    env: options.env ?? {},
    stdoutText: () => out.join(''),
    stderrText: () => err.join(''),
  };
}

/**
 * Whether to colour `stream`: FORCE_COLOR decides when set, as in Node itself (`0` or `false` turn colour off; empty,
 * `1`, `2`, `3` or `true` turn it on, on a pipe too); else colour only on a terminal, and never with a non-empty
 * NO_COLOR (no-color.org).
 */
export function colorEnabled(stream: OutputStream, env: CliIo['env']): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return ['', '1', '2', '3', 'true'].includes(force);
  const noColor = env.NO_COLOR;
  return stream.isTTY === true && (noColor === undefined || noColor === '');
}
