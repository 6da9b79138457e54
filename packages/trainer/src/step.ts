import type { CnnModel } from '@mnist-cnn/cnn-model';
import type { DatasetSplit } from '@mnist-cnn/mnist-data';
import * as tf from '@tensorflow/tfjs-core';
import type { ResolvedAugmentOptions } from './augment.js';
import { BatchAssembler } from './batches.js';
import type { Optimizer } from './optimizer.js';

/**
 * One mini-batch: which images of the run's training split, and its seeds. The step assembles the pixels itself, so a
 * data-parallel step can have each replica augment and normalize its own shard.
 */
export interface StepBatch {
  indices: Int32Array;
  /** Seeds the generator that draws every image's augmentation, in batch order. */
  augmentSeed: number;
  /** Seeds the dropout masks. */
  seed: number;
}

/** What a run's step function is built for: its validated batch size and worker count, and its training data. */
export interface StepRun {
  batchSize: number;
  workers: number;
  split: DatasetSplit;
  augment: ResolvedAugmentOptions | undefined;
}

/** What a step reports back: the batch's mean loss and how many of its images were classified correctly. */
export interface StepOutcome {
  loss: number;
  correct: number;
  /** False when the loss was NaN or infinite; the update was then skipped. */
  finite: boolean;
}

/** The step after the current one: its batch and its learning rate. */
export interface UpcomingStep {
  batch: StepBatch;
  learningRate: number;
}

/**
 * Computes gradients for a batch and applies them. The loop only sees this function, so a data-parallel version (one
 * backend per worker thread, gradients averaged before one shared update) can replace it without touching the loop.
 * `upcoming`, absent on an epoch's last batch, builds the next step's batch: a runner that wants to hand it out early
 * (the worker-thread step does, so its threads never wait for the main thread between steps) calls it at most once,
 * and the loop then passes that same batch object as the next step's.
 */
export type StepRunner = (
  batch: StepBatch,
  learningRate: number,
  upcoming?: () => UpcomingStep,
) => StepOutcome | Promise<StepOutcome>;

/**
 * Builds the step function for a run once its model and optimizer exist: `localSteps`, or the Node entry's
 * `workerSteps` for more than one worker. `close` runs when the run ends however it ends (completion, abort, error).
 */
export type StepFactory = (
  model: CnnModel,
  optimizer: Optimizer,
  run: StepRun,
) => Promise<{ step: StepRunner; close: () => Promise<void> }>;

/** Forward and backward on an assembled batch: its mean loss, correct count, and gradients (the caller frees them). */
export function computeBatchGradients(
  model: CnnModel,
  pixels: Float32Array,
  labels: Int32Array,
  seed: number,
): { loss: number; correct: number; gradients: tf.NamedTensorMap } {
  const { loss, correct, gradients } = tf.tidy(() => {
    const images = tf.tensor4d(pixels, [labels.length, ...model.spec.inputShape]);
    return model.computeGradients(images, tf.tensor1d(labels, 'int32'), { seed });
  });
  try {
    return { loss: loss.dataSync()[0]!, correct: correct.dataSync()[0]!, gradients };
  } catch (error) {
    tf.dispose(gradients); // the caller frees them only once it has them
    throw error;
  } finally {
    tf.dispose([loss, correct]);
  }
}

/** The single-threaded step factory: forward, backward and update on the current tfjs backend, no threads. */
export const localSteps: StepFactory = async (model, optimizer, run) => {
  const variableNames = model.trainableVariables.map((variable) => variable.name);
  const assembler = new BatchAssembler(run.split, run.batchSize, model.spec.normalization, run.augment);
  const step: StepRunner = (batch, learningRate) => {
    const { pixels, labels } = assembler.assemble(batch.indices, assembler.augmentRng(batch.augmentSeed));
    const { loss, correct, gradients } = computeBatchGradients(model, pixels, labels, batch.seed);
    try {
      // Check before updating, so a diverging batch never reaches the weights (or a checkpoint).
      if (!Number.isFinite(loss)) return { loss, correct, finite: false };
      optimizer.setLearningRate(learningRate);
      optimizer.applyGradients(gradients, variableNames);
      return { loss, correct, finite: true };
    } finally {
      tf.dispose(gradients);
    }
  };
  return { step, close: async () => {} };
};
