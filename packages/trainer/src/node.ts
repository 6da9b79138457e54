// The Node entry is the main entry plus what needs Node. Its own `initBackend`, `train` and `trainEvents` (files, worker
// threads) take the place of the browser ones: an entry's own exports win over those it re-exports with `*`.
// The atomic write lives in cnn-model/node (model files); re-exported here for checkpoints' and reports' callers.
export { writeFileAtomic } from '@mnist-cnn/cnn-model/node';
export * from './index.js';
export { initBackend, installedWasmDirectory } from './node-backend.js';
export { checkpointFileName, directoryCheckpointStore } from './node-checkpoint.js';
export { type NodeTrainOptions, train, trainEvents } from './node-train.js';
export {
  type InferencePool,
  type InferencePoolOptions,
  openInferencePool,
} from './threaded-inference.js';
export { shardSeed, shardSizes, type WorkerStepOptions } from './threaded-step.js';
