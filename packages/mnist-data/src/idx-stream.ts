import { IdxFormatError } from './errors.js';
import { inflateChunks, isGzip } from './gzip.js';
import { type IdxPreamble, type IdxTensor, maxIdxFileBytes, parseIdx, readIdxPreamble } from './idx.js';

function tooLarge(file: string | undefined, preamble: IdxPreamble, maxBytes: number): IdxFormatError {
  const declared = Number.isSafeInteger(preamble.declaredFileBytes) ? `${preamble.declaredFileBytes}` : 'over 2^53';
  return new IdxFormatError(
    'IDX_TOO_LARGE',
    `header declares shape [${preamble.shape.join(', ')}] of ${preamble.dtype} = ${declared} bytes, more than the ${maxBytes} accepted`,
    file === undefined ? {} : { file },
  );
}

/**
 * Collects an IDX stream into one buffer of exactly the size its header declares: the header is decoded from the first
 * bytes and checked against `maxBytes` before the buffer is allocated, and the stream is stopped the moment it runs
 * past the declared size, so a gzip bomb or an endless device never gets further than that.
 */
export async function collectIdx(
  source: AsyncIterable<Uint8Array>,
  file: string | undefined,
  maxBytes: number,
): Promise<Uint8Array> {
  let head = new Uint8Array(0);
  let out: Uint8Array | undefined;
  let dataBytes = 0;
  let filled = 0;
  for await (const chunk of source) {
    if (out === undefined) {
      const joined = new Uint8Array(head.length + chunk.length);
      joined.set(head);
      joined.set(chunk, head.length);
      head = joined;
      const rank = head.length >= 4 ? head[3]! : undefined;
      if (rank === undefined || head.length < 4 + 4 * rank) {
        readIdxPreamble(head.subarray(0, 2), file); // fail early on a bad magic number
        continue;
      }
      const preamble = readIdxPreamble(head, file);
      if (preamble.declaredFileBytes > maxBytes) throw tooLarge(file, preamble, maxBytes);
      out = new Uint8Array(preamble.declaredFileBytes);
      dataBytes = preamble.declaredFileBytes - preamble.dataOffset;
      const first = Math.min(head.length, out.length);
      out.set(head.subarray(0, first));
      filled = first;
      if (head.length > out.length) filled = out.length + 1;
    } else if (filled + chunk.length > out.length) {
      filled = out.length + 1;
    } else {
      out.set(chunk, filled);
      filled += chunk.length;
    }
    if (filled > out.length) {
      throw new IdxFormatError(
        'IDX_TRAILING_BYTES',
        `more data than the ${dataBytes} data bytes of shape [${readIdxPreamble(out, file).shape.join(', ')}]`,
        file === undefined ? {} : { file },
      );
    }
  }
  // Too short: parseIdx reports exactly what is missing.
  return out === undefined ? head : out.subarray(0, filled);
}

/**
 * Parses an IDX file from its bytes, raw or gzipped (detected by magic bytes). Gzip is inflated with the platform's
 * `DecompressionStream` chunk by chunk into a buffer of the size the IDX header declares, at most `maxBytes`, and
 * stopped as soon as it runs past that size, so a gzip bomb costs no more than the file it pretends to be.
 */
export async function parseIdxBytes(
  bytes: Uint8Array,
  file?: string,
  maxBytes: number = maxIdxFileBytes,
): Promise<IdxTensor> {
  if (!isGzip(bytes)) return parseIdx(bytes, file);
  return parseIdx(await collectIdx(inflateChunks(bytes, file), file, maxBytes), file);
}
