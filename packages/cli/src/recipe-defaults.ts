import { withRecipeDefaults as fillFromRecipe, type RecipeName, type RecipeSettings } from '@mnist-cnn/trainer';
import { UsageError } from './errors.js';

export type { RecipeSettings };

interface GivenFlags {
  /** Every CLI preset has a recipe: typing this as RecipeName makes a preset without one a compile error. */
  preset: RecipeName;
  epochs?: number | undefined;
  batchSize?: number | undefined;
  lr?: number | undefined;
  optimizer?: 'adam' | 'adamw' | 'sgd' | 'rmsprop' | undefined;
  momentum?: number | undefined;
  weightDecay?: number | undefined;
  schedule?: 'constant' | 'step' | 'exponential' | 'cosine' | 'one-cycle' | 'plateau' | undefined;
  augment?: boolean | undefined;
}

/**
 * Flags win; what they leave unset comes from the preset's tuned recipe, by the same rule the library's `train` uses,
 * so `mnist-cnn train` with no flags trains the way the accuracy figures were measured.
 */
export function withRecipeDefaults(given: GivenFlags): RecipeSettings {
  const settings = fillFromRecipe({
    model: given.preset,
    epochs: given.epochs,
    batchSize: given.batchSize,
    learningRate: given.lr,
    optimizer: given.optimizer,
    schedule: given.schedule,
    augment: given.augment,
  });
  if (given.momentum === undefined && given.weightDecay === undefined) return settings;
  const name = typeof settings.optimizer === 'string' ? settings.optimizer : settings.optimizer.name;
  if (given.momentum !== undefined && name !== 'sgd' && name !== 'rmsprop') {
    throw new UsageError(`--momentum applies to --optimizer sgd or rmsprop, not ${name}`, 'add --optimizer sgd');
  }
  if (given.weightDecay !== undefined && name !== 'sgd' && name !== 'adamw') {
    throw new UsageError(`--weight-decay applies to --optimizer sgd or adamw, not ${name}`, 'add --optimizer adamw');
  }
  const momentum = given.momentum === undefined ? {} : { momentum: given.momentum };
  const weightDecay = given.weightDecay === undefined ? {} : { weightDecay: given.weightDecay };
  switch (name) {
    case 'sgd':
      return { ...settings, optimizer: { name, ...momentum, ...weightDecay } };
    case 'rmsprop':
      return { ...settings, optimizer: { name, ...momentum } };
    case 'adamw':
      return { ...settings, optimizer: { name, ...weightDecay } };
    default:
      return settings;
  }
}
