// The Node entry: everything the main entry exports, except that `initBackend`, `train` and `trainEvents` are the Node
// versions (files, worker threads), plus the Node-only helpers; a module's own exports win over its `export *`'s.
// The atomic write lives in cnn-model/node (model files); re-exported here for checkpoints' and reports' callers.
export { writeFileAtomic } from '@mnist-cnn/cnn-model/node';
export * from './index.js';
export { initBackend, installedWasmDirectory } from './node-backend.js';
export { checkpointFileName, directoryCheckpointStore } from './node-checkpoint.js';
export { type NodeTrainOptions, train, trainEvents } from './node-train.js';
export { startWorkerThreads } from './thread-start.js';
export {
  type InferencePool,
  type InferencePoolOptions,
  openInferencePool,
} from './threaded-inference.js';
export type { WorkerStepOptions } from './threaded-step.js';
