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
  for (let offset = 0; offset < count * imageSize; offset += imageSize) {
    // Draw in a fixed order so that the same generator state always yields the same transforms.
    const shiftX = rng.nextInt(2 * options.maxShift + 1) - options.maxShift;
    const shiftY = rng.nextInt(2 * options.maxShift + 1) - options.maxShift;
    const angle = ((rng.next() * 2 - 1) * options.maxRotationDegrees * Math.PI) / 180;
    const cos = Math.cos(angle);
    const sin = Math.sin(angle);
    const sample = (x: number, y: number): number =>
      x < 0 || y < 0 || x >= cols || y >= rows ? 0 : source[offset + y * cols + x]!;
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < cols; x++) {
        // Inverse map: undo the shift, then rotate back by -angle about the centre to find where this pixel came from.
        const u = x - shiftX - centreX;
        const v = y - shiftY - centreY;
        const sourceX = cos * u + sin * v + centreX;
        const sourceY = -sin * u + cos * v + centreY;
        const left = Math.floor(sourceX);
        const top = Math.floor(sourceY);
        const fx = sourceX - left;
        const fy = sourceY - top;
        const value =
          (1 - fy) * ((1 - fx) * sample(left, top) + fx * sample(left + 1, top)) +
          fy * ((1 - fx) * sample(left, top + 1) + fx * sample(left + 1, top + 1));
        target[offset + y * cols + x] = Math.min(255, Math.max(0, Math.round(value)));
      }
    }
  }
}
