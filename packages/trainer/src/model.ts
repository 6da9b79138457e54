import { type CnnModel, createModel, getPreset, type ModelSpec } from '@mnist-cnn/cnn-model';
import type { DatasetSplit } from '@mnist-cnn/mnist-data';
import { DataMismatchError, TrainOptionsError } from './errors.js';

/** What `train` accepts as a model: an existing CnnModel (trained in place), a spec, or a preset name. */
export type ModelChoice = CnnModel | ModelSpec | string;

function isModel(choice: ModelChoice): choice is CnnModel {
  return typeof choice === 'object' && choice !== null && 'computeGradients' in choice;
}

/** The spec behind a model choice, without building anything; throws TrainOptionsError for unknown presets. */
export function specOf(choice: ModelChoice): ModelSpec {
  if (isModel(choice)) return choice.spec;
  if (typeof choice === 'string') {
    try {
      return getPreset(choice);
    } catch (error) {
      throw new TrainOptionsError('model', (error as Error).message);
    }
  }
  return choice;
}

/**
 * Returns the model to train, given the choice and its spec (from `specOf`), and whether the trainer created it (and so
 * must dispose it on failure).
 */
export function buildModel(choice: ModelChoice, spec: ModelSpec, seed: number): { model: CnnModel; created: boolean } {
  if (isModel(choice)) return { model: choice, created: false };
  return { model: createModel(spec, { seed }), created: true };
}

/** Number of output classes of a spec (its last dense layer's units). */
export function classCountOf(spec: ModelSpec): number {
  const last = spec.layers[spec.layers.length - 1];
  return last?.type === 'dense' ? last.units : (spec.classNames?.length ?? 10);
}

/** Throws DataMismatchError unless the split's images are the model's input size and its labels are model classes. */
export function checkSplitFitsModel(split: DatasetSplit, spec: ModelSpec, what: string): void {
  const [height, width, channels] = spec.inputShape;
  if (split.rows !== height || split.cols !== width || channels !== 1) {
    throw new DataMismatchError(
      `${what} images are ${split.rows}×${split.cols}×1 but model ${spec.name} expects ${height}×${width}×${channels}`,
    );
  }
  const classes = classCountOf(spec);
  for (let i = 0; i < split.count; i++) {
    if (split.labels[i]! >= classes) {
      throw new DataMismatchError(
        `${what} label ${split.labels[i]} at index ${i} is not one of the model's ${classes} classes`,
      );
    }
  }
}
