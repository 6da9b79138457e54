import type { LuminanceImage } from '@mnist-cnn/mnist-data';
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { isPgm, parsePgm } from './pgm.js';

/** A decoded picture as luminance and opacity, each 0…1, row-major. */
export type { LuminanceImage };

/** The image formats `predict` reads, told apart by their first bytes, not their names. */
export type ImageFormat = 'png' | 'jpeg' | 'pgm' | 'idx';

/** An image file that could not be decoded. */
export class ImageDecodeError extends Error {
  override readonly name = 'ImageDecodeError';
  readonly code = 'IMAGE_UNREADABLE';
  readonly file: string;

  constructor(file: string, problem: string, options: { cause?: unknown } = {}) {
    super(`${file}: ${problem}`, options);
    this.file = file;
  }
}

/** Guesses the format from magic bytes: PNG, JPEG, PGM (P2/P5), IDX (raw or gzipped); undefined if none fits. */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47)
    return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (isPgm(bytes)) return 'pgm';
  if (bytes.length >= 4 && bytes[0] === 0 && bytes[1] === 0 && bytes[3]! >= 1) return 'idx';
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) return 'idx';
  return undefined;
}

/** Largest picture accepted, in pixels: keeps a hostile header from allocating gigabytes. */
export const maxPixels = 50_000_000;

const jpegFrameMarkers = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

/** Width and height from a JPEG's first start-of-frame segment, walking the segments before it. */
function jpegSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  let offset = 2;
  while (offset + 9 < bytes.length) {
    if (bytes[offset] !== 0xff) return undefined;
    const marker = bytes[offset + 1]!;
    if (marker === 0xff) {
      offset++;
      continue;
    }
    if (jpegFrameMarkers.has(marker)) {
      return {
        height: (bytes[offset + 5]! << 8) | bytes[offset + 6]!,
        width: (bytes[offset + 7]! << 8) | bytes[offset + 8]!,
      };
    }
    offset += 2 + ((bytes[offset + 2]! << 8) | bytes[offset + 3]!);
  }
  return undefined;
}

/** The dimensions a PNG (IHDR) or JPEG (start of frame) header declares, read before anything is decoded. */
export function declaredImageSize(
  bytes: Uint8Array,
  format: ImageFormat,
): { width: number; height: number } | undefined {
  if (format === 'png' && bytes.length >= 24) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return { width: view.getUint32(16), height: view.getUint32(20) };
  }
  return format === 'jpeg' ? jpegSize(bytes) : undefined;
}

/** Decodes a PNG, JPEG or PGM file's bytes into luminance and alpha; throws `ImageDecodeError`. */
export function decodeImage(bytes: Uint8Array, file: string): LuminanceImage {
  const format = sniffImageFormat(bytes);
  const size = format === undefined ? undefined : declaredImageSize(bytes, format);
  if (size !== undefined && size.width * size.height > maxPixels) {
    throw new ImageDecodeError(
      file,
      `its header declares ${size.width}×${size.height} pixels, more than the ${maxPixels / 1e6} megapixels accepted`,
    );
  }
  try {
    if (format === 'png') {
      const png = pngjs.PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return fromRgba(png.width, png.height, png.data);
    }
    if (format === 'jpeg') {
      const image = jpeg.decode(bytes, {
        useTArray: true,
        formatAsRGBA: true,
        maxResolutionInMP: maxPixels / 1e6,
        maxMemoryUsageInMB: 1024,
      });
      return fromRgba(image.width, image.height, image.data);
    }
    if (format === 'pgm') {
      const pgm = parsePgm(bytes, maxPixels);
      const luminance = new Float32Array(pgm.samples.length);
      for (let i = 0; i < luminance.length; i++) luminance[i] = pgm.samples[i]! / pgm.maxValue;
      return { width: pgm.width, height: pgm.height, luminance, alpha: new Float32Array(luminance.length).fill(1) };
    }
  } catch (error) {
    throw new ImageDecodeError(
      file,
      `could not decode ${format?.toUpperCase()} image: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  throw new ImageDecodeError(file, 'not a PNG, JPEG, PGM or IDX image (unrecognised file header)');
}

function fromRgba(width: number, height: number, rgba: Uint8Array): LuminanceImage {
  if (width * height > maxPixels) throw new Error(`image is too large (${width}×${height})`);
  const count = width * height;
  const luminance = new Float32Array(count);
  const alpha = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    // Rec. 601 luma, the weights most grayscale conversions (and PIL's 'L' mode) use.
    luminance[i] = (0.299 * rgba[4 * i]! + 0.587 * rgba[4 * i + 1]! + 0.114 * rgba[4 * i + 2]!) / 255;
    alpha[i] = rgba[4 * i + 3]! / 255;
  }
  return { width, height, luminance, alpha };
}
