import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

/** Why an input file was refused before it was read. */
export type FileLimitErrorCode = 'NOT_A_REGULAR_FILE' | 'FILE_TOO_LARGE' | 'FILE_SIZE_MISMATCH';

/** An input that is not a regular file, or whose size breaks a limit; thrown before anything is allocated for it. */
export class FileLimitError extends Error {
  override readonly name = 'FileLimitError';
  constructor(
    readonly code: FileLimitErrorCode,
    readonly file: string,
    message: string,
  ) {
    super(message);
  }
}

/** Limits for {@link readRegularFile}: the largest size accepted, in bytes. */
export type ReadLimits = { maxBytes: number };

function describeKind(stats: { isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean }): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isCharacterDevice()) return 'a device';
  return 'not a regular file';
}

/**
 * Reads a whole regular file after checking its size against `limits`. Opened non-blocking and checked with fstat, so a
 * FIFO (which would block an ordinary open forever), a device or a directory is refused by name, and a file that
 * claims gigabytes costs nothing.
 */
export async function readRegularFile(file: string, limits: ReadLimits): Promise<Uint8Array> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stats = await handle.stat();
    const refuse = (code: FileLimitErrorCode, problem: string) => new FileLimitError(code, file, `${file} ${problem}`);
    if (!stats.isFile()) throw refuse('NOT_A_REGULAR_FILE', `is ${describeKind(stats)}, expected a regular file`);
    if (stats.size > limits.maxBytes)
      throw refuse('FILE_TOO_LARGE', `has ${stats.size} bytes, more than the ${limits.maxBytes} accepted`);
    const bytes = new Uint8Array(stats.size);
    let filled = 0;
    while (filled < bytes.length) {
      const { bytesRead } = await handle.read(bytes, filled, bytes.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    // A file that shrank while we read is reported rather than padded with zeros.
    if (filled !== bytes.length) throw refuse('FILE_SIZE_MISMATCH', 'changed size while it was read');
    return bytes;
  } finally {
    await handle.close();
  }
}
