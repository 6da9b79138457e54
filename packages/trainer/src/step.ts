import type { CnnModel } from '@mnist-cnn/cnn-model';
import * as tf from '@tensorflow/tfjs-core';
import type { Optimizer } from './optimizer.js';

/** One mini-batch, ready for the model: normalized NHWC pixels, int32 labels and the seed for its dropout masks. */
export interface StepBatch {
  pixels: Float32Array;
  labels: Int32Array;
  seed: number;
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
  run: { batchSize: number; workers: number },
) => Promise<{ step: StepRunner; close: () => Promise<void> }>;

/** The single-threaded step: forward, backward and update on the current tfjs backend. */
export function createLocalStep(model: CnnModel, optimizer: Optimizer): StepRunner {
  const [height, width, channels] = model.spec.inputShape;
  const variableNames = model.trainableVariables.map((variable) => variable.name);
  return (batch, learningRate) => {
    const count = batch.labels.length;
    const { loss, correct, gradients } = tf.tidy(() => {
      const images = tf.tensor4d(batch.pixels, [count, height, width, channels]);
      const labels = tf.tensor1d(batch.labels, 'int32');
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
