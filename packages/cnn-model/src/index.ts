export type { ModelFormatErrorCode, ModelSpecErrorCode } from './errors.js';
export { ModelFormatError, ModelSpecError } from './errors.js';
export { kernelNames } from './kernels/names.js';
export { copyValuesInto, type OptimizerUpdateAttrs, optimizerUpdate } from './kernels/optimizer-update.js';
export { kernelBuild, kernelsUnavailable, registerKernels, unregisterKernels } from './kernels/tables.js';
export type { KernelBuild } from './kernels/wasm/module.js';
export type { TrainingStepResult } from './model.js';
export { CnnModel, createModel } from './model.js';
export type { PresetName } from './presets.js';
export { getPreset, presets } from './presets.js';
export type { Rng, RngState } from './random.js';
export { createRng, createRngFromState, deriveSeed, shuffleInPlace } from './random.js';
export type { ModelJson, WeightSpec } from './serialize.js';
export { deserializeModel, serializeModel } from './serialize.js';
export type {
  Activation,
  BatchNormLayerSpec,
  Conv2dLayerSpec,
  DenseLayerSpec,
  DropoutLayerSpec,
  FlattenLayerSpec,
  LayerSpec,
  MaxPool2dLayerSpec,
  ModelSpec,
  ReluLayerSpec,
} from './spec.js';
export { checkActivationBudget, maxActivationFloats, maxParameters } from './spec.js';
