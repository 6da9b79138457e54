// The seeded generator is cnn-model's (weight initialization and dropout draw from it too); re-exported for callers.
export {
  createRng,
  createRngFromState,
  deriveSeed,
  type Rng,
  type RngState,
  shuffleInPlace,
} from '@mnist-cnn/cnn-model';
export type { AugmentOptions } from './augment.js';
export {
  type BackendChoice,
  type BackendInfo,
  currentBackend,
  describeBackend,
  type InitBackendOptions,
  initBackend,
} from './backend.js';
export {
  type Checkpoint,
  type CheckpointReason,
  type CheckpointStore,
  type DatasetFingerprint,
  decodeCheckpoint,
  type EarlyStoppingState,
  type EpochSummary,
  encodeCheckpoint,
  memoryCheckpointStore,
  type RunFingerprint,
  type TrainingProgress,
} from './checkpoint.js';
export {
  BackendError,
  CheckpointError,
  DataMismatchError,
  NonFiniteLossError,
  NonFiniteStateError,
  PoolClosedError,
  TrainerError,
  type TrainerErrorCode,
  TrainOptionsError,
  WorkerError,
} from './errors.js';
export { type EvaluationResult, evaluate, type PredictOptions, predictImages } from './evaluate.js';
export {
  type BatchEvent,
  type CheckpointEvent,
  type EarlyStopEvent,
  type EpochEvent,
  type StartEvent,
  type TrainEvent,
  type TrainEventHandler,
  type TrainRun,
  trainEvents,
} from './events.js';
export { type ClassMetrics, classMetrics, confusionMatrix } from './metrics.js';
export type { ModelChoice } from './model.js';
export type { OptimizerConfig, OptimizerName, OptimizerState, ResolvedOptimizerConfig } from './optimizer-config.js';
export type { EarlyStoppingMonitor, EarlyStoppingOptions, TrainOptions } from './options.js';
export {
  type GivenSettings,
  getRecipe,
  type Recipe,
  type RecipeName,
  type RecipeSettings,
  recipeFor,
  recipes,
  withRecipeDefaults,
} from './recipes.js';
export type { LearningRateSchedule, ScheduleName } from './schedule.js';
export { type StopReason, type TrainResult, train } from './train.js';
