import { getRecipe, type TrainOptions } from '@mnist-cnn/trainer';

/** The training settings the CLI fills in from the preset's recipe when their flags are not given. */
export type RecipeSettings = Required<Pick<TrainOptions, 'batchSize' | 'learningRate' | 'optimizer' | 'schedule'>> & {
  augment: NonNullable<TrainOptions['augment']>;
};

interface GivenSettings {
  preset: string;
  batchSize?: number | undefined;
  lr?: number | undefined;
  optimizer?: 'adam' | 'sgd' | 'rmsprop' | undefined;
  schedule?: 'constant' | 'step' | 'exponential' | 'cosine' | 'one-cycle' | undefined;
  augment?: boolean | undefined;
}

/**
 * Flags win; what they leave unset comes from the preset's tuned recipe (so `mnist-cnn train` with no flags trains the
 * way the accuracy figures were measured), and from the trainer's own defaults for a preset without a recipe.
 */
export function withRecipeDefaults(given: GivenSettings): RecipeSettings {
  const recipe = getRecipe(given.preset);
  const recipeAugment = recipe?.augment ?? false;
  return {
    batchSize: given.batchSize ?? recipe?.batchSize ?? 64,
    learningRate: given.lr ?? recipe?.learningRate ?? 0.001,
    optimizer: given.optimizer ?? recipe?.optimizer ?? 'adam',
    schedule: given.schedule ?? recipe?.schedule ?? 'constant',
    augment:
      given.augment === undefined ? recipeAugment : given.augment && recipeAugment ? recipeAugment : given.augment,
  };
}
