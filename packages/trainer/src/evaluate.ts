import { type CnnModel, checkActivationBudget, type ModelSpec } from '@mnist-cnn/cnn-model';
import { type DatasetSplit, writeNormalizedBatch } from '@mnist-cnn/mnist-data';
import * as tf from '@tensorflow/tfjs-core';
import { checkNumber, integerIn, TrainOptionsError } from './errors.js';
import { argmaxRows, type ClassMetrics, classMetrics, confusionMatrix, crossEntropySum } from './metrics.js';
import { checkSplitFitsModel, classCountOf } from './model.js';

/** How the model did on a split. */
export interface EvaluationResult {
  count: number;
  accuracy: number;
  /** Mean cross-entropy. */
  loss: number;
  /** Indexed by class. */
  perClass: ClassMetrics[];
  /** `confusionMatrix[trueClass][predictedClass]` counts. */
  confusionMatrix: number[][];
  /** Indices (into the evaluated split) of wrongly classified images, ascending. */
  misclassified: number[];
  /** The predicted class of every image. */
  predictions: Uint8Array;
}

/** Options of `evaluate` and `predictImages`. */
export interface PredictOptions {
  /** Images per forward pass (default 256); only memory use depends on it. */
  batchSize?: number;
  /** Evaluate only the first `limit` images. */
  limit?: number;
}

/** `batchSize` (default 256), checked, once it is known that `count` images' activations fit in memory in such batches. */
export function checkBatchSize(spec: ModelSpec, batchSize: number | undefined, count: number): number {
  const size = checkNumber('batchSize', batchSize ?? 256, integerIn(1));
  checkActivationBudget(spec, Math.min(size, count));
  return size;
}

/**
 * Predicts a split's first `count` images in batches of `batchSize` into `into` (row per image, returned), claiming the
 * batches one at a time from `progress` ([0] the next batch to claim, [1] the batches done). Alone, a model runs every
 * batch; replicas sharing `progress` split them (one slowed by a busy core simply takes fewer), and a batch's rows are
 * the same whichever replica runs it.
 */
export function predictBatches(
  model: CnnModel,
  split: DatasetSplit,
  count: number,
  batchSize: number,
  into: Float32Array = new Float32Array(count * classCountOf(model.spec)),
  progress: Int32Array = new Int32Array(2),
): Float32Array {
  const [height, width, channels] = model.spec.inputShape;
  const buffer = new Float32Array(Math.min(batchSize, count) * height * width * channels);
  const positions = Int32Array.from({ length: count }, (_, i) => i);
  const batches = Math.ceil(count / batchSize);
  for (let batch = Atomics.add(progress, 0, 1); batch < batches; batch = Atomics.add(progress, 0, 1)) {
    const indices = positions.subarray(batch * batchSize, (batch + 1) * batchSize);
    const pixels = buffer.subarray(0, indices.length * height * width * channels);
    writeNormalizedBatch(split, indices, pixels, model.spec.normalization);
    const output = tf.tidy(() => model.predict(tf.tensor4d(pixels, [indices.length, height, width, channels])));
    into.set(output.dataSync(), batch * batchSize * classCountOf(model.spec));
    output.dispose();
    Atomics.add(progress, 1, 1);
    Atomics.notify(progress, 1);
  }
  return into;
}

/**
 * Accuracy, loss, per-class precision/recall/F1, confusion matrix and misclassified indices of a model on a split.
 *
 * @example
 * ```ts
 * import { loadModel } from '@mnist-cnn/cnn-model/node';
 * import { loadDataset } from '@mnist-cnn/mnist-data/node';
 * import { evaluate, initBackend } from '@mnist-cnn/trainer/node';
 *
 * await initBackend('auto');
 * const result = evaluate(await loadModel('./mnist-model'), (await loadDataset()).test);
 * console.log(result.accuracy, result.perClass[9]?.f1, result.confusionMatrix[4]?.[9], result.misclassified.length);
 * ```
 */
export function evaluate(model: CnnModel, split: DatasetSplit, options: PredictOptions = {}): EvaluationResult {
  const count = evaluatedCount(model.spec, split, options.limit);
  const probabilities = predictBatches(model, split, count, checkBatchSize(model.spec, options.batchSize, count));
  return scoreProbabilities(probabilities, split.labels.subarray(0, count), classCountOf(model.spec));
}

/** How many of a split's first images `evaluate` runs (all, or `limit`), once the split is checked against the model. */
export function evaluatedCount(spec: ModelSpec, split: DatasetSplit, limit = split.count): number {
  checkSplitFitsModel(split, spec, 'evaluation');
  return Math.min(split.count, checkNumber('limit', limit, integerIn(0)));
}

/** The evaluation of images whose class probabilities (row per image) and labels are given. */
export function scoreProbabilities(probabilities: Float32Array, labels: Uint8Array, classes: number): EvaluationResult {
  const count = labels.length;
  const predictions = argmaxRows(probabilities, classes);
  const matrix = confusionMatrix(labels, predictions, classes);
  const misclassified: number[] = [];
  for (let i = 0; i < count; i++) if (predictions[i] !== labels[i]) misclassified.push(i);
  return {
    count,
    accuracy: count === 0 ? 0 : (count - misclassified.length) / count,
    loss: count === 0 ? 0 : crossEntropySum(probabilities, labels, classes) / count,
    perClass: classMetrics(matrix),
    confusionMatrix: matrix,
    misclassified,
    predictions,
  };
}

/**
 * Class probabilities (count × classes, row-major) for `count` raw uint8 images laid out back to back.
 *
 * @example
 * ```ts
 * import { loadModel } from '@mnist-cnn/cnn-model/node';
 * import { imageAt } from '@mnist-cnn/mnist-data';
 * import { loadDataset } from '@mnist-cnn/mnist-data/node';
 * import { initBackend, predictImages } from '@mnist-cnn/trainer/node';
 *
 * await initBackend('auto');
 * const model = await loadModel('./mnist-model');
 * const digit = imageAt((await loadDataset()).test, 0); // 28×28 uint8 pixels, light ink on black
 * const probabilities = predictImages(model, digit, 1); // ten numbers that sum to 1
 * console.log(probabilities.indexOf(Math.max(...probabilities))); // 7
 * ```
 */
export function predictImages(
  model: CnnModel,
  pixels: Uint8Array,
  count: number,
  options: PredictOptions = {},
): Float32Array {
  const split = imagesAsSplit(model.spec, pixels, count);
  return predictBatches(model, split, count, checkBatchSize(model.spec, options.batchSize, count));
}

/** `count` raw uint8 images laid out back to back, as an unlabelled split; throws unless they fill `pixels` exactly. */
export function imagesAsSplit(spec: ModelSpec, pixels: Uint8Array, count: number): DatasetSplit {
  const [rows, cols, channels] = spec.inputShape;
  if (pixels.length !== checkNumber('count', count, integerIn(0)) * rows * cols * channels) {
    throw new TrainOptionsError(
      'pixels',
      `expected ${count} images of ${rows}×${cols}×${channels} = ${count * rows * cols * channels} bytes, got ${pixels.length}`,
    );
  }
  return { images: pixels, labels: new Uint8Array(count), count, rows, cols };
}
