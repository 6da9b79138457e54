import { type RecipeName, recipes, type TrainOptions } from '@mnist-cnn/trainer';

/** The training settings the CLI fills in from the preset's recipe when their flags are not given. */
export type RecipeSettings = Required<Pick<TrainOptions, 'batchSize' | 'learningRate' | 'optimizer' | 'schedule'>> & {
  augment: NonNullable<TrainOptions['augment']>;
};

interface GivenSettings {
  /** Every CLI preset has a recipe: typing this as RecipeName makes a preset without one a compile error. */
  preset: RecipeName;
  batchSize?: number | undefined;
  lr?: number | undefined;
  optimizer?: 'adam' | 'sgd' | 'rmsprop' | undefined;
  schedule?: 'constant' | 'step' | 'exponential' | 'cosine' | 'one-cycle' | undefined;
  augment?: boolean | undefined;
}

/**
 * Flags win; what they leave unset comes from the preset's tuned recipe, so `mnist-cnn train` with no flags trains the
 * way the accuracy figures were measured.
 */
export function withRecipeDefaults(given: GivenSettings): RecipeSettings {
  const recipe = recipes[given.preset];
  return {
    batchSize: given.batchSize ?? recipe.batchSize,
    learningRate: given.lr ?? recipe.learningRate,
    optimizer: given.optimizer ?? recipe.optimizer,
    schedule: given.schedule ?? recipe.schedule,
    // --augment uses the recipe's shifts and rotations (the trainer's defaults if it has none); --no-augment, none.
    augment: given.augment === false ? false : given.augment ? recipe.augment || true : (recipe.augment ?? false),
  };
}
