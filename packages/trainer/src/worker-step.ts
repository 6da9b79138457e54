import { Worker } from 'node:worker_threads';
import type { CnnModel } from '@mnist-cnn/cnn-model';
import * as tf from '@tensorflow/tfjs-core';
import { currentBackend } from './backend.js';
import { BackendError, WorkerError } from './errors.js';
import type { TrainingOptimizer } from './optimizer.js';
import { deriveSeed } from './rng.js';
import type { StepFactory, StepOutcome, StepRunner } from './step.js';
import type { StepRequest, WeightSlot, WorkerReply, WorkerSetup } from './worker-protocol.js';

/** Options of the worker-thread step. */
export interface WorkerStepOptions {
  /**
   * The worker script: by default `step-worker.js` beside this module in the built package. Single-file bundles that
   * do not ship that file beside themselves pass the path of a copy (or of their own bundle of it).
   */
  workerScript?: string | URL;
}

function defaultWorkerScript(): URL {
  // From the sources (tests run them through vitest), the worker comes from the package's build.
  return import.meta.url.endsWith('.ts')
    ? new URL('../dist/step-worker.js', import.meta.url)
    : new URL('./step-worker.js', import.meta.url);
}

/** Splits `count` images into `parts` contiguous shards whose sizes differ by at most one (larger ones first). */
export function shardSizes(count: number, parts: number): number[] {
  const base = Math.floor(count / parts);
  const larger = count % parts;
  return Array.from({ length: parts }, (_, index) => base + (index < larger ? 1 : 0));
}

/**
 * The dropout seed of one shard: shard 0 keeps the batch's seed (so 1 worker matches the single-threaded loop); the
 * others derive theirs from it, which makes every mask a function of (seed, epoch, batch, shard).
 */
export function shardSeed(batchSeed: number, shard: number): number {
  return shard === 0 ? batchSeed : deriveSeed(batchSeed, shard);
}

type Pending = { resolve: (reply: WorkerReply) => void; reject: (error: Error) => void };

/** The worker threads of one run; the first failure rejects every pending request and terminates all of them. */
class WorkerPool {
  private readonly threads: Worker[];
  private readonly pending: (Pending | undefined)[];
  private failure: WorkerError | undefined;
  private closing = false;

  constructor(script: string | URL, setups: WorkerSetup[]) {
    this.pending = setups.map(() => undefined);
    this.threads = setups.map((setup, index) => {
      const thread = new Worker(script, { workerData: setup });
      thread.on('message', (reply: WorkerReply) => this.receive(index, reply));
      thread.on('error', (error) => this.fail(new WorkerError(index, error.message, { cause: error })));
      thread.on('exit', (code) => {
        if (!this.closing) this.fail(new WorkerError(index, `the thread exited unexpectedly (exit code ${code})`));
      });
      return thread;
    });
  }

  /** Sends a request (or, without one, waits for the worker's next reply, such as `ready`). */
  request(index: number, message?: StepRequest): Promise<WorkerReply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending[index] = { resolve, reject };
      if (message) this.threads[index]!.postMessage(message);
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.threads.map((thread) => thread.terminate()));
  }

  private receive(index: number, reply: WorkerReply): void {
    if (reply.type === 'failed') {
      this.fail(new WorkerError(index, reply.message));
      return;
    }
    const waiting = this.pending[index];
    this.pending[index] = undefined;
    waiting?.resolve(reply);
  }

  private fail(error: WorkerError): void {
    if (this.failure || this.closing) return;
    this.failure = error;
    for (const [index, waiting] of this.pending.entries()) {
      this.pending[index] = undefined;
      waiting?.reject(error);
    }
    void this.close();
  }
}

function weightSlots(model: CnnModel): WeightSlot[] {
  const trainable = new Set(model.trainableVariables.map((variable) => variable.name));
  let offset = 0;
  return Object.entries(model.getWeights()).map(([name, values]) => {
    const slot = { name, offset, length: values.length, trainable: trainable.has(model.variableName(name)) };
    offset += values.length;
    return slot;
  });
}

function wasmSimdEnabled(): boolean {
  try {
    return Boolean(tf.env().get('WASM_HAS_SIMD_SUPPORT'));
  } catch {
    return true; // not evaluated yet: let the worker detect it
  }
}

/**
 * A step factory that splits every batch over `workers` threads, each with its own backend (the kind the main thread
 * runs, with the same fast kernels) and model replica. Workers compute gradients on their shards; the main thread
 * averages them weighted by shard size, applies them with the run's single optimizer, and shares the new weights with
 * every worker through a SharedArrayBuffer before the next step. Batch-norm moving statistics are averaged the same way.
 */
export function workerSteps(workers: number, options: WorkerStepOptions = {}): StepFactory {
  return async (model, optimizer, batchSize) => {
    const backend = currentBackend();
    if (backend === undefined) {
      throw new BackendError(`worker threads run on cpu or wasm, not on ${tf.getBackend()}; call initBackend first`);
    }
    const slots = weightSlots(model);
    const total = slots.reduce((sum, slot) => sum + slot.length, 0);
    const [height, width, channels] = model.spec.inputShape;
    const pixelsPerImage = height * width * channels;
    const shardCapacity = Math.ceil(batchSize / workers);
    const weights = new SharedArrayBuffer(total * 4);
    const setups: WorkerSetup[] = Array.from({ length: workers }, (_, index) => ({
      index,
      backend,
      simd: backend === 'wasm' ? wasmSimdEnabled() : false,
      fastKernels: tf.getKernelsForBackend(backend).some((kernel) => kernel.kernelName.startsWith('MnistCnn')),
      prodMode: tf.env().getBool('PROD'),
      spec: model.spec,
      slots,
      weights,
      output: new SharedArrayBuffer(total * 4),
      pixels: new SharedArrayBuffer(shardCapacity * pixelsPerImage * 4),
      labels: new SharedArrayBuffer(shardCapacity * 4),
    }));
    const pool = new WorkerPool(options.workerScript ?? defaultWorkerScript(), setups);
    try {
      await Promise.all(setups.map((_, index) => pool.request(index)));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return { step: sharedStep(model, optimizer, setups, pool), close: () => pool.close() };
  };
}

/**
 * The batch mean from the shard means: each shard's output weighted by its share of the batch, summed in shard order
 * so the result does not depend on which worker answered first. Float32 throughout: one hot loop V8 optimizes early.
 */
function weightedSum(
  shards: { index: number; size: number }[],
  outputs: Float32Array[],
  count: number,
  length: number,
): Float32Array {
  const sum = new Float32Array(length);
  for (const { index, size } of shards) addScaled(sum, outputs[index]!, size / count);
  return sum;
}

function addScaled(target: Float32Array, source: Float32Array, scale: number): void {
  for (let i = 0; i < target.length; i++) target[i] = target[i]! + scale * source[i]!;
}

function sharedStep(
  model: CnnModel,
  optimizer: TrainingOptimizer,
  setups: WorkerSetup[],
  pool: WorkerPool,
): StepRunner {
  const slots = setups[0]!.slots;
  const byName = new Map(
    [...model.trainableVariables, ...model.nonTrainableVariables].map((variable) => [variable.name, variable]),
  );
  const variables = slots.map((slot) => byName.get(model.variableName(slot.name))!);
  const trainableNames = model.trainableVariables.map((variable) => variable.name);
  const weights = new Float32Array(setups[0]!.weights);
  const outputs = setups.map((setup) => new Float32Array(setup.output));
  const pixelsPerImage = model.spec.inputShape[0] * model.spec.inputShape[1] * model.spec.inputShape[2];

  return async (batch, learningRate): Promise<StepOutcome> => {
    for (const [index, slot] of slots.entries()) {
      weights.set(variables[index]!.dataSync() as Float32Array, slot.offset);
    }
    const count = batch.labels.length;
    const sizes = shardSizes(count, setups.length);
    const shards: { index: number; size: number }[] = [];
    let start = 0;
    for (const [index, size] of sizes.entries()) {
      if (size === 0) continue;
      const setup = setups[index]!;
      new Float32Array(setup.pixels).set(
        batch.pixels.subarray(start * pixelsPerImage, (start + size) * pixelsPerImage),
      );
      new Int32Array(setup.labels).set(batch.labels.subarray(start, start + size));
      shards.push({ index, size });
      start += size;
    }
    const replies = await Promise.all(
      shards.map(({ index, size }) =>
        pool.request(index, { type: 'step', count: size, seed: shardSeed(batch.seed, index) }),
      ),
    );
    let lossSum = 0;
    let correct = 0;
    for (const [position, reply] of replies.entries()) {
      if (reply.type !== 'done') throw new WorkerError(shards[position]!.index, `unexpected reply ${reply.type}`);
      lossSum += reply.loss * shards[position]!.size;
      correct += reply.correct;
    }
    const loss = lossSum / count;
    if (!Number.isFinite(loss)) return { loss, correct, finite: false };

    const averaged = weightedSum(shards, outputs, count, weights.length);
    const gradients: tf.NamedTensorMap = {};
    try {
      for (const [index, slot] of slots.entries()) {
        const variable = variables[index]!;
        const values = averaged.subarray(slot.offset, slot.offset + slot.length);
        if (slot.trainable) gradients[variable.name] = tf.tensor(values, variable.shape, 'float32');
        else tf.tidy(() => variable.assign(tf.tensor(values, variable.shape, 'float32')));
      }
      optimizer.setLearningRate(learningRate);
      optimizer.applyGradients(gradients, trainableNames);
    } finally {
      tf.dispose(Object.values(gradients));
    }
    return { loss, correct, finite: true };
  };
}
