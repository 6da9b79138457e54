import type { ModelSpec, RngState } from '@mnist-cnn/cnn-model';
import type { ResolvedAugmentOptions } from './augment.js';
import type { OptimizerState, ResolvedOptimizerConfig } from './optimizer-config.js';
import type { Exchange, WeightSlot } from './replica.js';

/** What every worker thread receives as `workerData`: how to boot, before it knows its task. */
export interface ThreadBoot {
  backend: 'wasm' | 'cpu';
  simd: boolean;
  /** The main thread's tfjs production mode (`enableProdMode`, which also silences tfjs's console notices). */
  prodMode: boolean;
}

/** A training worker's first message, once it may have booted (see `startWorkerThreads`). */
export interface WorkerSetup {
  /** This worker's shard (shard 0 is the main thread). */
  index: number;
  spec: ModelSpec;
  slots: WeightSlot[];
  /** The weights the run starts from (fresh or resumed), copied once: from then on every replica updates its own. */
  weights: Record<string, Float32Array>;
  optimizer: { config: ResolvedOptimizerConfig; learningRate: number; state: OptimizerState };
  /** The gradient exchange shared by every replica. */
  exchange: Exchange;
  /** This worker's shard, shared: its images' pixels as stored, in two slots of `shardCapacity` (see `inputSlot`). */
  pixels: Uint8Array;
  /** This worker's shard's labels, in shared memory, in two slots of `shardCapacity`. */
  labels: Uint8Array;
  /** The run's augmentation; the worker augments and normalizes its own shard. */
  augment: ResolvedAugmentOptions | undefined;
  /** The most images a shard holds. */
  shardCapacity: number;
}

/**
 * The input slot of pool step `step`: steps alternate between two, so the main thread can write a step's shard while
 * the worker still reads the previous one's.
 */
export function inputSlot(step: number): 0 | 1 {
  return step % 2 === 0 ? 0 : 1;
}

/** Main thread → worker: pool step `step` on a batch of `count` images; this worker takes its shard of them. */
export interface StepRequest {
  type: 'step';
  step: number;
  count: number;
  seed: number;
  learningRate: number;
  /** Where the batch's augmentation generator stands at this shard's first image (absent without augmentation). */
  augmentState?: RngState;
}

/** Worker → main thread. Steps are not acknowledged: the exchange's arrival count says when a shard is in. */
export type WorkerReply = { type: 'ready' } | { type: 'failed'; message: string };

/** An inference worker's first message: a replica of the main thread's model, nothing to train. */
export type InferenceSetup = Pick<WorkerSetup, 'index' | 'spec' | 'weights'> & {
  task: 'inference';
};

/**
 * Main thread → inference worker: predict `count` images in batches of `batchSize`, claiming batches one by one from
 * `progress` ([0] the next batch to claim, [1] the batches done) alongside every other replica, until none is left.
 */
export interface InferenceRequest {
  type: 'infer';
  /** The images' uint8 pixels, back to back. */
  pixels: SharedArrayBuffer;
  /** Float32, count × classes: each replica writes the rows of the batches it claimed. */
  probabilities: SharedArrayBuffer;
  progress: SharedArrayBuffer;
  count: number;
  batchSize: number;
}
