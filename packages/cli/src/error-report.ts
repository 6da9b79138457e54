import { programName } from './definitions.js';
import { CliError, ExitCode, isSystemError, UsageError } from './errors.js';
import { type CliIo, colorEnabled } from './io.js';
import { createStyle } from './style.js';
import { printable } from './terminal-text.js';

/** Error codes of the libraries, mapped to what the user did wrong and how to fix it. */
function fromLibraryError(error: Error & { code?: unknown }): CliError | undefined {
  const code = typeof error.code === 'string' ? error.code : undefined;
  if (code === undefined) return undefined;
  // The whole message: reportError shows its detail lines (where a dataset was looked for, for example).
  const message = error.message.trim();
  if (error.name === 'ModelFormatError') {
    return code === 'FILE_NOT_FOUND'
      ? new CliError('MODEL_NOT_FOUND', message, {
          hint: "train one first with 'mnist-cnn train', or pass --model DIR",
          cause: error,
        })
      : new CliError('MODEL_CORRUPT', message, {
          hint: 'the model files are damaged or from another tool; train the model again',
          cause: error,
        });
  }
  if (error.name === 'ModelSpecError') {
    return code === 'UNKNOWN_PRESET'
      ? new UsageError(message, 'presets: reference, best')
      : new CliError('MODEL_CORRUPT', message, { cause: error });
  }
  if (code === 'NOT_A_REGULAR_FILE') {
    return new CliError('DATA_CORRUPT', message, {
      hint: 'point --data at a directory of regular IDX files',
      cause: error,
    });
  }
  if (code === 'DATASET_NOT_FOUND') {
    return new CliError('DATA_NOT_FOUND', message, {
      hint: 'pass --data DIR with the four IDX files, set MNIST_DATA_DIR, or add --download',
      cause: error,
    });
  }
  if (
    code.startsWith('IDX_') ||
    code.startsWith('DATASET_') ||
    code === 'GZIP_CORRUPT' ||
    code === 'CHECKSUM_MISMATCH'
  ) {
    return new CliError('DATA_CORRUPT', message, {
      hint: 'replace the damaged file (for example download it again with --download)',
      cause: error,
    });
  }
  if (code === 'DOWNLOAD_FAILED') {
    return new CliError('DATA_NOT_FOUND', message, {
      hint: 'check the network, or pass --data DIR with local files',
      cause: error,
    });
  }
  if (code === 'TRAIN_INVALID_OPTION') return new UsageError(message, 'check the option values');
  if (code === 'BACKEND_UNAVAILABLE') {
    return new CliError('BACKEND_FAILED', message, { hint: 'try --backend cpu', cause: error });
  }
  if (code.startsWith('CHECKPOINT_')) {
    return new CliError('TRAINING_FAILED', message, { hint: 'run without --resume to start over', cause: error });
  }
  if (code.startsWith('TRAIN_')) {
    return new CliError('TRAINING_FAILED', message, {
      hint: 'try a smaller --lr or another --optimizer',
      cause: error,
    });
  }
  if (code === 'IMAGE_UNREADABLE' || code === 'PGM_INVALID') {
    return new CliError('IMAGE_UNREADABLE', message, {
      hint: 'predict reads PNG, JPEG, PGM and IDX files',
      cause: error,
    });
  }
  return undefined;
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}

/** Turns anything thrown into a `CliError` with a one-line message and a hint. */
export function toCliError(error: unknown): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof Error) {
    const mapped = fromLibraryError(error as Error & { code?: unknown });
    if (mapped) return mapped;
    if (isSystemError(error, 'ENOENT', 'EACCES', 'EISDIR', 'ENOTDIR', 'EPERM')) {
      return new CliError('UNEXPECTED', firstLine(error.message), {
        hint: 'check the path and its permissions',
        cause: error,
      });
    }
    return new CliError('UNEXPECTED', firstLine(error.message) || error.name, {
      hint: 'run again with --verbose for the stack trace',
      cause: error,
    });
  }
  return new CliError('UNEXPECTED', String(error), { hint: 'run again with --verbose for details' });
}

/** Lines of detail printed under the error line, with or without --verbose (a not-found error's places, say). */
const detailLineLimit = 10;

/** Prints `mnist-cnn: error: …` and a hint on stderr (the stack and causes too with `verbose`); returns the exit code. */
export function reportError(error: unknown, io: CliIo, verbose: boolean): number {
  const cliError = toCliError(error);
  const style = createStyle(colorEnabled(io.stderr, io.env));
  const [head = '', ...details] = cliError.message.trim().split('\n').map(printable);
  io.stderr.write(`${programName}: ${style.red('error:')} ${head}\n`);
  for (const line of details.slice(0, detailLineLimit)) io.stderr.write(`${line}\n`);
  if (cliError.hint) io.stderr.write(`${style.dim('hint:')} ${cliError.hint}\n`);
  if (verbose) {
    let current: unknown = cliError;
    while (current instanceof Error) {
      io.stderr.write(`${current.stack ?? current.message}\n`);
      current = current.cause;
      if (current !== undefined) io.stderr.write('caused by: ');
    }
  }
  return cliError.exitCode ?? ExitCode.runtime;
}
