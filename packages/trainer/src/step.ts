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
 * Builds the step function for a run once its model and optimizer exist, from the run's validated batch size and
 * worker count. `train` uses `createLocalStep`; the Node entry passes a worker-thread version. `close` runs when the
 * run ends however it ends (completion, abort, error).
 */
export type StepFactory = (
  model: CnnModel,
  optimizer: Optimizer,
  run: StepRun,
) => Promise<{ step: StepRunner; close: () => Promise<void> }>;

/** The single-threaded step: forward, backward and update on the current tfjs backend. */
export function createLocalStep(model: CnnModel, optimizer: Optimizer, run: StepRun): StepRunner {
  const [height, width, channels] = model.spec.inputShape;
  const variableNames = model.trainableVariables.map((variable) => variable.name);
  const assembler = new BatchAssembler(run.split, run.batchSize, model.spec.normalization, run.augment);
  return (batch, learningRate) => {
    const count = batch.indices.length;
    const assembled = assembler.assemble(batch.indices, assembler.augmentRng(batch.augmentSeed));
    const { loss, correct, gradients } = tf.tidy(() => {
      const images = tf.tensor4d(assembled.pixels, [count, height, width, channels]);
      const labels = tf.tensor1d(assembled.labels, 'int32');
      return model.computeGradients(images, labels, { seed: batch.seed });
    });
    try {
      const lossValue = loss.dataSync()[0]!;
      const correctValue = correct.dataSync()[0]!;
      // Check before updating, so a diverging batch never reaches the weights (or a checkpoint).
      if (!Number.isFinite(lossValue)) return { loss: lossValue, correct: correctValue, finite: false };
      optimizer.setLearningRate(learningRate);
      optimizer.applyGradients(gradients, variableNames);
      return { loss: lossValue, correct: correctValue, finite: true };
    } finally {
      tf.dispose([loss, correct, gradients]);
    }
  };
}
