import { createRng, type Rng } from '@mnist-cnn/cnn-model';
import { type DatasetSplit, writeNormalizedBatch } from '@mnist-cnn/mnist-data';
import { augmentImages, type ResolvedAugmentOptions } from './augment.js';

/**
 * Reusable buffers that turn a list of image indices into a normalized NHWC float batch and int32 labels, optionally
 * augmenting the uint8 pixels first. One instance per replica, so steady-state batches allocate nothing.
 */
export class BatchAssembler {
  readonly pixelsPerImage: number;
  private readonly floats: Float32Array;
  private readonly labels: Int32Array;
  private readonly rawPixels: Uint8Array;
  private readonly augmentedPixels: Uint8Array;
  private readonly identity: Int32Array;

  constructor(
    private readonly split: DatasetSplit,
    maxBatchSize: number,
    private readonly normalization: { mean: number; std: number },
    readonly augment: ResolvedAugmentOptions | undefined,
  ) {
    this.pixelsPerImage = split.rows * split.cols;
    this.floats = new Float32Array(maxBatchSize * this.pixelsPerImage);
    this.labels = new Int32Array(maxBatchSize);
    this.rawPixels = new Uint8Array(augment ? maxBatchSize * this.pixelsPerImage : 0);
    this.augmentedPixels = new Uint8Array(augment ? maxBatchSize * this.pixelsPerImage : 0);
    this.identity = Int32Array.from({ length: augment ? maxBatchSize : 0 }, (_, i) => i);
  }

  /** The generator of a batch's transforms (one draws every image's, in batch order), or none without augmentation. */
  augmentRng(augmentSeed: number): Rng | undefined {
    return this.augment ? createRng(augmentSeed) : undefined;
  }

  /**
   * Fills the buffers for `indices`, augmented with transforms drawn from `rng` (which then stands where the images
   * after these would start; unused without augmentation). Returns views sized to the batch.
   */
  assemble(indices: ArrayLike<number>, rng: Rng | undefined): { pixels: Float32Array; labels: Int32Array } {
    const count = indices.length;
    const { split, pixelsPerImage } = this;
    for (let i = 0; i < count; i++) this.labels[i] = split.labels[indices[i]!]!;
    const pixels = this.floats.subarray(0, count * pixelsPerImage);
    if (!this.augment || !rng) {
      writeNormalizedBatch(split, indices, pixels, this.normalization);
    } else {
      for (let i = 0; i < count; i++) {
        const start = indices[i]! * pixelsPerImage;
        this.rawPixels.set(split.images.subarray(start, start + pixelsPerImage), i * pixelsPerImage);
      }
      const shape = { count, rows: split.rows, cols: split.cols };
      augmentImages(this.rawPixels, this.augmentedPixels, shape, rng, this.augment);
      // The augmented pixels form a small split of their own; its labels are never read.
      const augmented: DatasetSplit = { ...shape, images: this.augmentedPixels, labels: new Uint8Array(count) };
      writeNormalizedBatch(augmented, this.identity.subarray(0, count), pixels, this.normalization);
    }
    return { pixels, labels: this.labels.subarray(0, count) };
  }

  /** Moves `rng` past the transforms of `count` images, as assembling them would. */
  skip(rng: Rng, count: number): void {
    if (!this.augment || count === 0) return;
    // augmentImages draws an image's transform before it samples a pixel, so one-pixel images draw just the same.
    const shape = { count, rows: 1, cols: 1 };
    augmentImages(new Uint8Array(count), new Uint8Array(count), shape, rng, this.augment);
  }
}
