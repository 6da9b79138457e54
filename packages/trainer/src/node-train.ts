import { type TrainRun, trainEventsWith } from './events.js';
import type { TrainOptions } from './options.js';
import { localSteps, type StepFactory } from './step.js';
import { type WorkerStepOptions, workerSteps } from './threaded-step.js';
import { type TrainResult, trainWithSteps } from './train.js';

/** `train`'s options in Node, where `workers` above 1 runs data-parallel on worker threads. */
export interface NodeTrainOptions extends TrainOptions, WorkerStepOptions {}

/**
 * Like the browser `train`, plus `workers`: with more than one, each batch is split over that many worker threads,
 * each with its own backend instance, and their gradients are averaged into one update. Workers end with the run.
 *
 * @example
 * ```ts
 * import { loadDataset } from '@mnist-cnn/mnist-data/node';
 * import { directoryCheckpointStore, initBackend, train } from '@mnist-cnn/trainer/node';
 *
 * await initBackend('auto');
 * const mnist = await loadDataset();
 * const result = await train({
 *   model: 'reference', // settings left out come from the preset's tuned recipe
 *   train: mnist.train,
 *   epochs: 3,
 *   workers: 2, // this thread and one worker thread share each batch
 *   checkpoint: directoryCheckpointStore('./run'),
 *   resume: true, // continue from ./run if a checkpoint is there
 * });
 * console.log(result.stopReason, result.imagesPerSecond);
 * ```
 */
export function train(options: NodeTrainOptions): Promise<TrainResult> {
  const threads = workerSteps(options?.workerScript === undefined ? {} : { workerScript: options.workerScript });
  // Chosen once the options are validated, from the resolved worker count.
  const steps: StepFactory = (model, optimizer, run) => (run.workers > 1 ? threads : localSteps)(model, optimizer, run);
  return trainWithSteps(options, steps);
}

/** The Node `train` as an async iterator of events plus its result (see the browser `trainEvents`). */
export function trainEvents(options: Omit<NodeTrainOptions, 'onEvent'>): TrainRun {
  return trainEventsWith(options, train);
}
