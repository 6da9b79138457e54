/** A decoded grayscale image: `width`×`height` samples in 0…`maxValue`, row-major. */
export interface GrayImage {
  readonly width: number;
  readonly height: number;
  readonly maxValue: number;
  readonly samples: Uint16Array;
}

/** A PGM (Netpbm P2 ASCII or P5 binary) the parser could not read. */
export class PgmFormatError extends Error {
  override readonly name = 'PgmFormatError';
  readonly code = 'PGM_INVALID';
}

/** True when `bytes` start like a PGM file (`P2` or `P5` then whitespace). */
export function isPgm(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0x50 && (bytes[1] === 0x32 || bytes[1] === 0x35) && isSpace(bytes[2]!);
}

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d || byte === 0x0b || byte === 0x0c;
}

/** Reads whitespace-separated tokens, skipping `#` comments, as the Netpbm header allows. */
class TokenReader {
  position = 0;
  constructor(private readonly bytes: Uint8Array) {}

  next(what: string): string {
    const { bytes } = this;
    while (this.position < bytes.length) {
      const byte = bytes[this.position]!;
      if (byte === 0x23) {
        while (this.position < bytes.length && bytes[this.position] !== 0x0a && bytes[this.position] !== 0x0d)
          this.position++;
      } else if (isSpace(byte)) {
        this.position++;
      } else {
        break;
      }
    }
    const start = this.position;
    while (this.position < bytes.length && !isSpace(bytes[this.position]!) && bytes[this.position] !== 0x23)
      this.position++;
    if (start === this.position) throw new PgmFormatError(`unexpected end of file while reading ${what}`);
    return String.fromCharCode(...bytes.subarray(start, this.position));
  }

  positiveInteger(what: string, max: number): number {
    const token = this.next(what);
    const value = /^\d+$/.test(token) ? Number(token) : Number.NaN;
    if (!Number.isSafeInteger(value) || value < 1 || value > max) {
      throw new PgmFormatError(`invalid ${what} '${token}' (expected an integer from 1 to ${max})`);
    }
    return value;
  }
}

/**
 * Parses a PGM image (P2 or P5, 8- or 16-bit); throws `PgmFormatError` for anything malformed or truncated, and for a
 * header declaring more than `maxPixels` samples, before they are allocated.
 */
export function parsePgm(bytes: Uint8Array, maxPixels = Number.POSITIVE_INFINITY): GrayImage {
  if (!isPgm(bytes)) throw new PgmFormatError('not a PGM file (expected P2 or P5 magic)');
  const binary = bytes[1] === 0x35;
  const reader = new TokenReader(bytes);
  reader.position = 2;
  const width = reader.positiveInteger('width', 1 << 16);
  const height = reader.positiveInteger('height', 1 << 16);
  const maxValue = reader.positiveInteger('maximum value', 65535);
  const count = width * height;
  if (count > maxPixels) {
    throw new PgmFormatError(`its header declares ${width}×${height} pixels, more than the ${maxPixels} accepted`);
  }
  // Exactly one whitespace byte separates a binary header from the raster; an ASCII sample takes at least two bytes.
  const start = reader.position + 1;
  const bytesPerSample = binary ? (maxValue > 255 ? 2 : 1) : 2;
  if (bytes.length < start + count * bytesPerSample - (binary ? 0 : 1)) {
    throw new PgmFormatError(
      `truncated raster: ${width}×${height} needs ${count * bytesPerSample} bytes, found ${Math.max(0, bytes.length - start)}`,
    );
  }
  const samples = new Uint16Array(count);
  if (binary) {
    for (let i = 0; i < count; i++) {
      samples[i] = bytesPerSample === 1 ? bytes[start + i]! : (bytes[start + 2 * i]! << 8) | bytes[start + 2 * i + 1]!;
    }
  } else {
    for (let i = 0; i < count; i++) {
      const token = reader.next(`sample ${i + 1} of ${count}`);
      const value = /^\d+$/.test(token) ? Number(token) : Number.NaN;
      if (!(value <= maxValue)) throw new PgmFormatError(`invalid sample '${token}' (maximum is ${maxValue})`);
      samples[i] = value;
    }
  }
  for (let i = 0; i < count; i++) {
    if (samples[i]! > maxValue) throw new PgmFormatError(`sample ${samples[i]} exceeds the maximum value ${maxValue}`);
  }
  return { width, height, maxValue, samples };
}

/** Encodes an 8-bit binary PGM (P5); the CLI's tests build fixtures with it. */
export function encodePgm(width: number, height: number, pixels: Uint8Array): Uint8Array {
  const header = new TextEncoder().encode(`P5\n${width} ${height}\n255\n`);
  const out = new Uint8Array(header.length + width * height);
  out.set(header);
  out.set(pixels.subarray(0, width * height), header.length);
  return out;
}
