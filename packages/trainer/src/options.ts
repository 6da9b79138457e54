import type { DatasetSplit } from '@mnist-cnn/mnist-data';
import { type AugmentOptions, type ResolvedAugmentOptions, resolveAugment } from './augment.js';
import type { Checkpoint, CheckpointStore } from './checkpoint.js';
import { checkNumber, integerIn, numberIn, TrainOptionsError } from './errors.js';
import type { TrainEventHandler } from './events.js';
import type { ModelChoice } from './model.js';
import {
  type OptimizerConfig,
  type OptimizerName,
  type ResolvedOptimizerConfig,
  resolveOptimizer,
} from './optimizer-config.js';
import { withRecipeDefaults } from './recipes.js';
import { type LearningRateSchedule, resolveSchedule, type ScheduleName } from './schedule.js';

/** Which value early stopping watches; `val*` need a validation set. */
export type EarlyStoppingMonitor = 'valLoss' | 'valAccuracy' | 'loss' | 'accuracy';

/** Stop when the monitored value has not improved by more than `minDelta` for `patience` epochs. */
export interface EarlyStoppingOptions {
  /** Default `valLoss` when there is validation data, else `loss`. */
  monitor?: EarlyStoppingMonitor;
  /** Epochs without improvement before stopping (default 2). */
  patience?: number;
  /** Smallest change that counts as an improvement (default 0). */
  minDelta?: number;
  /**
   * End the run with the weights of the best epoch instead of the last one (default false, as in Keras). Applies when
   * the run stops early and when it completes; the best weights are kept in checkpoints, so a resumed run can too.
   */
  restoreBestWeights?: boolean;
}

/** Everything `train` accepts. Only `model` and `train` are required. */
export interface TrainOptions {
  /** A CnnModel to train in place, a ModelSpec, or a preset name (`reference`, `best`). */
  model: ModelChoice;
  /** The training split (for example `dataset.train` from `@mnist-cnn/mnist-data`). */
  train: DatasetSplit;
  /** Names the training data in checkpoints (with its SHA-256), so that a resume on other data is refused. */
  dataset?: { name: string; source: string };
  /** Explicit validation images. Mutually exclusive with `validationSplit`. */
  validation?: DatasetSplit;
  /** Fraction in [0, 1) of the (limited) training images held out for validation, taken from the end. Default 0. */
  validationSplit?: number;
  /** Use only the first `limit` training images. */
  limit?: number;
  /** Default: the recipe's (`recipes`, the model's preset or else `reference`: 2). */
  epochs?: number;
  /** Default: the recipe's (reference: 128). */
  batchSize?: number;
  /** Base learning rate, scaled by the schedule. Default: the recipe's (reference: 0.005). */
  learningRate?: number;
  /** Default: the recipe's (reference: `adam`). */
  optimizer?: OptimizerName | OptimizerConfig;
  /** Default: the recipe's (reference: `one-cycle`). */
  schedule?: ScheduleName | LearningRateSchedule;
  /** Seeds weight initialization (when the trainer builds the model), shuffling, augmentation and dropout. Default 42. */
  seed?: number;
  /**
   * Random shifts and rotations of the training images. Default: the recipe's (reference: ±2 px and ±10°); `true` uses
   * the recipe's settings, `false` turns it off.
   */
  augment?: boolean | AugmentOptions;
  /** Default off; `true` uses the defaults of EarlyStoppingOptions. */
  earlyStopping?: boolean | EarlyStoppingOptions;
  /** When it fires, the loop finishes the current batch, writes an `abort` checkpoint and returns. */
  signal?: AbortSignal;
  /** Where to write checkpoints (each epoch end and on abort). Without a store, no checkpoints are written. */
  checkpoint?: CheckpointStore;
  /** `true` to continue from the store's checkpoint (if there is one), or the checkpoint itself / its bytes. */
  resume?: boolean | Checkpoint | Uint8Array;
  onEvent?: TrainEventHandler;
  /**
   * Worker threads that share each batch (data-parallel), default 1 (no threads). Above 1 needs the Node entry
   * `@mnist-cnn/trainer/node`; the browser entry throws TrainOptionsError.
   */
  workers?: number;
}

/** Options after validation, with every default filled in. */
export interface ResolvedTrainOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  optimizer: ResolvedOptimizerConfig;
  schedule: LearningRateSchedule;
  seed: number;
  validationSplit: number;
  /** The images trained on: the first `limit` of the split, less those `validationSplit` holds out after them. */
  trainCount: number;
  /** The images `validationSplit` holds out, right after the trained ones (0 without it). */
  heldOut: number;
  augment: ResolvedAugmentOptions | undefined;
  earlyStopping: Required<EarlyStoppingOptions> | undefined;
  workers: number;
}

function checkSplit(option: string, split: DatasetSplit | undefined): void {
  if (
    split === undefined ||
    typeof split !== 'object' ||
    !(split.images instanceof Uint8Array) ||
    !(split.labels instanceof Uint8Array) ||
    !Number.isInteger(split.count) ||
    split.count < 1 ||
    split.images.length !== split.count * split.rows * split.cols ||
    split.labels.length !== split.count
  ) {
    throw new TrainOptionsError(
      option,
      'expected a non-empty DatasetSplit whose images hold count×rows×cols uint8 pixels and labels count uint8 values',
    );
  }
}

/** Validates every option and fills in defaults, throwing TrainOptionsError before any tensor work. */
export function resolveTrainOptions(options: TrainOptions): ResolvedTrainOptions {
  if (options === null || typeof options !== 'object') throw new TrainOptionsError('options', 'expected an object');
  if (options.model === undefined || options.model === null) {
    throw new TrainOptionsError('model', 'expected a CnnModel, a ModelSpec or a preset name');
  }
  checkSplit('train', options.train);
  if (options.validation !== undefined) checkSplit('validation', options.validation);
  const settings = withRecipeDefaults(options);
  const epochs = checkNumber('epochs', settings.epochs, integerIn(1, 100_000));
  const batchSize = checkNumber('batchSize', settings.batchSize, integerIn(1, 65_536));
  const learningRate = checkNumber('learningRate', settings.learningRate, numberIn(0, 10, 'min'));
  const seed = checkNumber('seed', options.seed ?? 42, integerIn(0));
  const validationSplit = checkNumber('validationSplit', options.validationSplit ?? 0, numberIn(0, 1, 'max'));
  const workers = checkNumber('workers', options.workers ?? 1, integerIn(1, 256));
  const limit = options.limit === undefined ? undefined : checkNumber('limit', options.limit, integerIn(1));
  if (validationSplit > 0 && options.validation !== undefined) {
    throw new TrainOptionsError('validationSplit', 'give either validation images or validationSplit, not both');
  }
  // As in Keras, `validationSplit` holds out the last images of the (limited) split, not a random sample.
  const usable = Math.min(limit ?? options.train.count, options.train.count);
  const heldOut = Math.round(usable * validationSplit);
  if (usable - heldOut < 1) {
    throw new TrainOptionsError(
      'validationSplit',
      `holding out ${validationSplit} of ${usable} images leaves none to train on`,
    );
  }
  if (options.signal !== undefined && !(typeof options.signal === 'object' && 'aborted' in options.signal)) {
    throw new TrainOptionsError('signal', 'expected an AbortSignal');
  }
  if (options.onEvent !== undefined && typeof options.onEvent !== 'function') {
    throw new TrainOptionsError('onEvent', 'expected a function');
  }
  if (options.resume === true && options.checkpoint === undefined) {
    throw new TrainOptionsError('resume', 'resume: true needs a checkpoint store to read from');
  }
  return {
    epochs,
    batchSize,
    learningRate,
    optimizer: resolveOptimizer(settings.optimizer),
    schedule: resolveSchedule(settings.schedule),
    seed,
    validationSplit,
    trainCount: usable - heldOut,
    heldOut,
    augment: resolveAugment(settings.augment),
    earlyStopping: resolveEarlyStopping(options.earlyStopping, options.validation !== undefined || validationSplit > 0),
    workers,
  };
}

function resolveEarlyStopping(
  earlyStopping: boolean | EarlyStoppingOptions | undefined,
  hasValidation: boolean,
): Required<EarlyStoppingOptions> | undefined {
  if (earlyStopping === undefined || earlyStopping === false) return undefined;
  const options = earlyStopping === true ? {} : earlyStopping;
  const monitor = options.monitor ?? (hasValidation ? 'valLoss' : 'loss');
  if (!['valLoss', 'valAccuracy', 'loss', 'accuracy'].includes(monitor)) {
    throw new TrainOptionsError(
      'earlyStopping.monitor',
      `expected valLoss, valAccuracy, loss or accuracy, got ${monitor}`,
    );
  }
  if (monitor.startsWith('val') && !hasValidation) {
    throw new TrainOptionsError(
      'earlyStopping.monitor',
      `${monitor} needs validation data (validation or validationSplit)`,
    );
  }
  const patience = checkNumber('earlyStopping.patience', options.patience ?? 2, integerIn(1, 10_000));
  const minDelta = checkNumber('earlyStopping.minDelta', options.minDelta ?? 0, numberIn(0));
  return { monitor, patience, minDelta, restoreBestWeights: Boolean(options.restoreBestWeights) };
}
