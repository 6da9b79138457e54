import { GzipError } from './errors.js';
import { maxIdxFileBytes } from './idx.js';

/** True when `bytes` starts with the gzip magic number 1F 8B (the file name is never consulted). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

/**
 * The decompressed chunks of gzip `bytes`, as the platform's `DecompressionStream` (browsers, Deno, Node ≥ 18) yields
 * them. Stopping early cancels the decompression. Throws `GzipError` for corrupt or truncated input.
 */
export async function* inflateChunks(bytes: Uint8Array, fileName?: string): AsyncGenerator<Uint8Array> {
  const file = fileName === undefined ? {} : { file: fileName };
  if (typeof DecompressionStream === 'undefined') {
    throw new GzipError('this platform has no DecompressionStream; use @mnist-cnn/mnist-data/node in Node.js', file);
  }
  const reader = new Blob([bytes as Uint8Array<ArrayBuffer>])
    .stream()
    .pipeThrough(new DecompressionStream('gzip'))
    .getReader();
  try {
    for (;;) {
      let next: ReadableStreamReadResult<Uint8Array>;
      try {
        next = await reader.read();
      } catch (cause) {
        throw new GzipError(cause instanceof Error ? cause.message : String(cause), { ...file, cause });
      }
      if (next.done) return;
      yield next.value;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/**
 * Decompresses gzip bytes with the platform's `DecompressionStream` (browsers, Deno, Node ≥ 18).
 * Throws `GzipError` for corrupt or truncated input, and as soon as the output passes `maxBytes` (a gzip bomb).
 */
export async function gunzip(
  bytes: Uint8Array,
  fileName?: string,
  maxBytes: number = maxIdxFileBytes,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of inflateChunks(bytes, fileName)) {
    chunks.push(chunk);
    total += chunk.length;
    if (total > maxBytes) {
      throw new GzipError(
        `inflates to more than the ${maxBytes} bytes accepted`,
        fileName === undefined ? {} : { file: fileName },
      );
    }
  }
  return concat(chunks, total);
}

/** Returns `bytes` unchanged unless they start with the gzip magic number, in which case they are decompressed. */
export async function gunzipIfNeeded(bytes: Uint8Array, fileName?: string): Promise<Uint8Array> {
  return isGzip(bytes) ? gunzip(bytes, fileName) : bytes;
}
