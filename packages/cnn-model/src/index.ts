export type { ModelFormatErrorCode, ModelSpecErrorCode } from './errors.js';
export { ModelFormatError, ModelSpecError } from './errors.js';
export { fastKernelNames, registerFastKernels, unregisterFastKernels } from './fast-kernels.js';
export { toKerasTopology } from './keras-topology.js';
export type { TrainingStepResult } from './model.js';
export { CnnModel, createModel } from './model.js';
export type { PresetName } from './presets.js';
export { getPreset, presets } from './presets.js';
export type { ModelJson, WeightSpec } from './serialize.js';
export {
  decodeWeights,
  deserializeModel,
  modelFormatVersion,
  readModelJson,
  serializeModel,
  weightsFileName,
} from './serialize.js';
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
export { layerTypes } from './spec.js';
/**
 * The WebAssembly assembler behind the SIMD kernels, and the helpers that find tensors on tfjs-backend-wasm's heap, for
 * sibling packages' own kernels (e.g. the trainer's Adam).
 */
export * as wasmAssembly from './wasm-assembly.js';
