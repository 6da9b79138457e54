import type { TrainOptions } from './options.js';

/** Names of the built-in training recipes. */
export type RecipeName = 'reference' | 'best';

/** A recipe: a model preset with the training settings it was tuned with (everything but the data). */
export type Recipe = Required<Pick<TrainOptions, 'epochs' | 'batchSize' | 'learningRate' | 'optimizer' | 'schedule'>> &
  Pick<TrainOptions, 'augment'> & { model: RecipeName };

/**
 * Training settings per preset. `reference` is the quick classic (Adam, cosine decay, light augmentation); `best` trains the deeper
 * batch-norm network longer with augmentation and a one-cycle schedule, the recipe behind its accuracy target.
 */
export const recipes: Readonly<Record<RecipeName, Recipe>> = Object.freeze({
  // Tuned with the accuracy bench: small batches, a cosine decay to 0 within the run's length, light augmentation.
  reference: {
    model: 'reference',
    epochs: 3,
    batchSize: 16,
    learningRate: 0.0015,
    optimizer: 'adam',
    schedule: 'cosine',
    augment: { maxShift: 2, maxRotationDegrees: 10 },
  },
  best: {
    model: 'best',
    epochs: 20,
    batchSize: 64,
    learningRate: 0.003,
    optimizer: 'adam',
    schedule: { type: 'one-cycle' },
    augment: { maxShift: 2, maxRotationDegrees: 10 },
  },
});

/** The recipe for a preset name, or undefined for names without one. */
export function getRecipe(name: string): Recipe | undefined {
  return Object.hasOwn(recipes, name) ? recipes[name as RecipeName] : undefined;
}
