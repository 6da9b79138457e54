import type { ModelSpec } from '@mnist-cnn/cnn-model';

/**
 * Where each weight sits in the shared buffers, in the model's `getWeights` order. The weights buffer holds every
 * weight; a worker's output buffer uses the same offsets for its gradients (trainable weights) and for its moving
 * statistics after the step (the rest).
 */
export interface WeightSlot {
  name: string;
  offset: number;
  length: number;
  trainable: boolean;
}

/** What a training worker receives as `workerData`. */
export interface WorkerSetup {
  index: number;
  backend: 'wasm' | 'cpu';
  simd: boolean;
  fastKernels: boolean;
  /** The main thread's tfjs production mode (`enableProdMode`, which also silences tfjs's console notices). */
  prodMode: boolean;
  spec: ModelSpec;
  slots: WeightSlot[];
  /** Written by the main thread before each step, read by every worker. Float32. */
  weights: SharedArrayBuffer;
  /** This worker's gradients and moving statistics, written by the worker. Float32. */
  output: SharedArrayBuffer;
  /** This worker's shard: normalized pixels (Float32). */
  pixels: SharedArrayBuffer;
  /** This worker's shard: labels (Int32). */
  labels: SharedArrayBuffer;
}

/** Main thread → worker: run one shard of `count` images with this dropout seed. */
export interface StepRequest {
  type: 'step';
  count: number;
  seed: number;
}

/** Worker → main thread. */
export type WorkerReply =
  | { type: 'ready' }
  | { type: 'done'; loss: number; correct: number }
  | { type: 'failed'; message: string };
