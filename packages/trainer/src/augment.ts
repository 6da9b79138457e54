import type { Rng } from '@mnist-cnn/cnn-model';
import { TrainOptionsError } from './errors.js';

/** Random geometric jitter applied to training images, each image drawing its own shift and angle. */
export interface AugmentOptions {
  /** Largest shift in whole pixels along each axis (default 2). */
  maxShift?: number;
  /** Largest rotation in degrees, either direction (default 10). */
  maxRotationDegrees?: number;
}

/** Augmentation settings with every default filled in. */
export type ResolvedAugmentOptions = Required<AugmentOptions>;

/** Shape of a block of images stored back to back, row-major, channels interleaved (NHWC). */
export interface ImageBlockShape {
  count: number;
  rows: number;
  cols: number;
  channels: number;
}

/** Turns `augment: true | options` into concrete settings, or undefined when augmentation is off. */
export function resolveAugment(augment: boolean | AugmentOptions | undefined): ResolvedAugmentOptions | undefined {
  if (augment === undefined || augment === false) return undefined;
  const options = augment === true ? {} : augment;
  const maxShift = options.maxShift ?? 2;
  const maxRotationDegrees = options.maxRotationDegrees ?? 10;
  if (!Number.isInteger(maxShift) || maxShift < 0 || maxShift > 8) {
    throw new TrainOptionsError('augment.maxShift', `expected an integer from 0 to 8 pixels, got ${maxShift}`);
  }
  if (!Number.isFinite(maxRotationDegrees) || maxRotationDegrees < 0 || maxRotationDegrees > 45) {
    throw new TrainOptionsError(
      'augment.maxRotationDegrees',
      `expected a number from 0 to 45 degrees, got ${maxRotationDegrees}`,
    );
  }
  return { maxShift, maxRotationDegrees };
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
  const { count, rows, cols, channels } = shape;
  const imageSize = rows * cols * channels;
  for (let image = 0; image < count; image++) {
    // Draw in a fixed order so that the same generator state always yields the same transforms.
    const shiftX = rng.nextInt(2 * options.maxShift + 1) - options.maxShift;
    const shiftY = rng.nextInt(2 * options.maxShift + 1) - options.maxShift;
    const angle = ((rng.next() * 2 - 1) * options.maxRotationDegrees * Math.PI) / 180;
    transformImage(source, target, image * imageSize, rows, cols, channels, shiftX, shiftY, angle);
  }
}

function transformImage(
  source: Uint8Array,
  target: Uint8Array,
  offset: number,
  rows: number,
  cols: number,
  channels: number,
  shiftX: number,
  shiftY: number,
  angle: number,
): void {
  const centreX = (cols - 1) / 2;
  const centreY = (rows - 1) / 2;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const sample = (x: number, y: number, channel: number): number =>
    x < 0 || y < 0 || x >= cols || y >= rows ? 0 : source[offset + (y * cols + x) * channels + channel]!;
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
      for (let channel = 0; channel < channels; channel++) {
        const value =
          (1 - fy) * ((1 - fx) * sample(left, top, channel) + fx * sample(left + 1, top, channel)) +
          fy * ((1 - fx) * sample(left, top + 1, channel) + fx * sample(left + 1, top + 1, channel));
        target[offset + (y * cols + x) * channels + channel] = Math.min(255, Math.max(0, Math.round(value)));
      }
    }
  }
}
