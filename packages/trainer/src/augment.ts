import type { Rng } from '@mnist-cnn/cnn-model';
import { checkNumber, integerIn, numberIn } from './errors.js';

/** Random geometric jitter applied to training images, each image drawing its own shift and angle. */
export interface AugmentOptions {
  /** Largest shift in whole pixels along each axis (default 2). */
  maxShift?: number;
  /** Largest rotation in degrees, either direction (default 10). */
  maxRotationDegrees?: number;
}

/** Augmentation settings with every default filled in. */
export type ResolvedAugmentOptions = Required<AugmentOptions>;

/** `count` grayscale images of `rows` × `cols` stored back to back, row-major, as the dataset splits store them. */
export interface ImageBlockShape {
  count: number;
  rows: number;
  cols: number;
}

/** Turns `augment: true | options` into concrete settings, or undefined when augmentation is off. */
export function resolveAugment(augment: boolean | AugmentOptions | undefined): ResolvedAugmentOptions | undefined {
  if (augment === undefined || augment === false) return undefined;
  const options = augment === true ? {} : augment;
  return {
    maxShift: checkNumber('augment.maxShift', options.maxShift ?? 2, integerIn(0, 8)),
    maxRotationDegrees: checkNumber('augment.maxRotationDegrees', options.maxRotationDegrees ?? 10, numberIn(0, 45)),
  };
}

/**
 * Writes a randomly shifted and rotated copy of each source image into `target` (same layout). Rotation is about the
 * image centre with bilinear sampling; pixels that come from outside the image are 0 (MNIST's background).
 */
export function augmentImages(
  source: Uint8Array,
  target: Uint8Array,
  shape: ImageBlockShape,
  rng: Rng,
  options: ResolvedAugmentOptions,
): void {
  const { count, rows, cols } = shape;
  const centreX = (cols - 1) / 2;
  const centreY = (rows - 1) / 2;
  const imageSize = rows * cols;
  // The rotation's column terms (cos·u and −sin·u) are the same on every row, and its row terms on every column:
  // computed once each, then summed per pixel in the same order as the whole formula, so the pixels are unchanged.
  const cosU = new Float64Array(cols);
  const minusSinU = new Float64Array(cols);
  for (let offset = 0; offset < count * imageSize; offset += imageSize) {
    // Draw in a fixed order so that the same generator state always yields the same transforms.
    const shiftX = rng.nextInt(2 * options.maxShift + 1) - options.maxShift;
    const shiftY = rng.nextInt(2 * options.maxShift + 1) - options.maxShift;
    const angle = ((rng.next() * 2 - 1) * options.maxRotationDegrees * Math.PI) / 180;
    const cos = Math.cos(angle);
    const sin = Math.sin(angle);
    // Inverse map: undo the shift, then rotate back by -angle about the centre to find where each pixel came from.
    for (let x = 0; x < cols; x++) {
      const u = x - shiftX - centreX;
      cosU[x] = cos * u;
      minusSinU[x] = -sin * u;
    }
    for (let y = 0; y < rows; y++) {
      const v = y - shiftY - centreY;
      const sinV = sin * v;
      const cosV = cos * v;
      for (let x = 0; x < cols; x++) {
        const sourceX = cosU[x]! + sinV + centreX;
        const sourceY = minusSinU[x]! + cosV + centreY;
        const left = Math.floor(sourceX);
        const top = Math.floor(sourceY);
        const fx = sourceX - left;
        const fy = sourceY - top;
        let topLeft: number;
        let topRight: number;
        let bottomLeft: number;
        let bottomRight: number;
        if (left >= 0 && top >= 0 && left < cols - 1 && top < rows - 1) {
          // Most pixels: all four neighbours inside the image, read without bounds checks.
          const at = offset + top * cols + left;
          topLeft = source[at]!;
          topRight = source[at + 1]!;
          bottomLeft = source[at + cols]!;
          bottomRight = source[at + cols + 1]!;
        } else {
          topLeft = pixelOrZero(source, offset, shape, left, top);
          topRight = pixelOrZero(source, offset, shape, left + 1, top);
          bottomLeft = pixelOrZero(source, offset, shape, left, top + 1);
          bottomRight = pixelOrZero(source, offset, shape, left + 1, top + 1);
        }
        const value = (1 - fy) * ((1 - fx) * topLeft + fx * topRight) + fy * ((1 - fx) * bottomLeft + fx * bottomRight);
        target[offset + y * cols + x] = Math.min(255, Math.max(0, Math.round(value)));
      }
    }
  }
}

/** The pixel at (x, y) of the image at `offset`, or 0 (MNIST's background) outside the image. */
function pixelOrZero(source: Uint8Array, offset: number, shape: ImageBlockShape, x: number, y: number): number {
  return x < 0 || y < 0 || x >= shape.cols || y >= shape.rows ? 0 : source[offset + y * shape.cols + x]!;
}
