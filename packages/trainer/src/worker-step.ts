import { Worker } from 'node:worker_threads';
import type { CnnModel } from '@mnist-cnn/cnn-model';
import * as tf from '@tensorflow/tfjs-core';
import { currentBackend } from './backend.js';
import { BackendError, WorkerError } from './errors.js';
import type { TrainingOptimizer } from './optimizer.js';
import { deriveSeed } from './rng.js';
import type { StepBatch, StepFactory, StepOutcome, StepRunner } from './step.js';
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
      const shard = setup.index; // errors name the worker by its shard (shard 0 is the main thread)
      thread.on('message', (reply: WorkerReply) => this.receive(index, shard, reply));
      thread.on('error', (error) => this.fail(new WorkerError(shard, error.message, { cause: error })));
      thread.on('exit', (code) => {
        if (!this.closing) this.fail(new WorkerError(shard, `the thread exited unexpectedly (exit code ${code})`));
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

  private receive(index: number, shard: number, reply: WorkerReply): void {
    if (reply.type === 'failed') {
      this.fail(new WorkerError(shard, reply.message));
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
 * A step factory that splits every batch into `workers` shards. The main thread runs shard 0 on its own backend and
 * model; `workers − 1` threads run the others, each with its own backend (the kind the main thread runs, with the same
 * fast kernels) and model replica, reading the current weights from a SharedArrayBuffer the main thread writes before
 * each step. The main thread averages all shards' gradients weighted by shard size, in shard order, and applies them
 * with the run's single optimizer. Batch-norm moving statistics are averaged the same way.
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
    // Shard 0 runs on the main thread's own backend and model; threads are spawned for shards 1 … workers − 1 only.
    const setups: WorkerSetup[] = Array.from({ length: workers - 1 }, (_, thread) => ({
      index: thread + 1,
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
    return { step: sharedStep(model, optimizer, weights, setups, pool), close: () => pool.close() };
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
  sharedWeights: SharedArrayBuffer,
  setups: WorkerSetup[],
  pool: WorkerPool,
): StepRunner {
  const slots = weightSlots(model);
  const byName = new Map(
    [...model.trainableVariables, ...model.nonTrainableVariables].map((variable) => [variable.name, variable]),
  );
  const variables = slots.map((slot) => byName.get(model.variableName(slot.name))!);
  const trainableNames = model.trainableVariables.map((variable) => variable.name);
  const weights = new Float32Array(sharedWeights);
  // Shard 0's output lives on the main thread; shard k > 0 writes into setups[k − 1].output.
  const outputs = [new Float32Array(weights.length), ...setups.map((setup) => new Float32Array(setup.output))];
  const [height, width, channels] = model.spec.inputShape;
  const pixelsPerImage = height * width * channels;

  /** Shard 0 on the main thread: gradients and updated moving statistics into outputs[0]; the weights stay as they are. */
  function runLocalShard(batch: StepBatch, size: number): { loss: number; correct: number } {
    const { loss, correct, gradients } = tf.tidy(() =>
      model.computeGradients(
        tf.tensor4d(batch.pixels.subarray(0, size * pixelsPerImage), [size, height, width, channels]),
        tf.tensor1d(batch.labels.subarray(0, size), 'int32'),
        { seed: shardSeed(batch.seed, 0) },
      ),
    );
    try {
      const output = outputs[0]!;
      for (const [index, slot] of slots.entries()) {
        const variable = variables[index]!;
        const source = slot.trainable ? gradients[variable.name] : variable;
        if (source === undefined) throw new Error(`the model returned no gradient for ${slot.name}`);
        output.set(source.dataSync() as Float32Array, slot.offset);
      }
      return { loss: loss.dataSync()[0]!, correct: correct.dataSync()[0]! };
    } finally {
      tf.dispose([loss, correct, gradients]);
    }
  }

  return async (batch, learningRate): Promise<StepOutcome> => {
    const count = batch.labels.length;
    const sizes = shardSizes(count, setups.length + 1);
    const shards: { index: number; size: number }[] = [];
    const replies: Promise<WorkerReply>[] = [];
    // The threads need the weights before they start; shard 0 uses the main thread's variables directly.
    for (const [index, slot] of slots.entries()) {
      weights.set(variables[index]!.dataSync() as Float32Array, slot.offset);
    }
    let start = sizes[0]!;
    for (const [thread, setup] of setups.entries()) {
      const size = sizes[thread + 1]!;
      if (size === 0) continue;
      new Float32Array(setup.pixels).set(
        batch.pixels.subarray(start * pixelsPerImage, (start + size) * pixelsPerImage),
      );
      new Int32Array(setup.labels).set(batch.labels.subarray(start, start + size));
      shards.push({ index: setup.index, size });
      replies.push(pool.request(thread, { type: 'step', count: size, seed: shardSeed(batch.seed, setup.index) }));
      start += size;
    }
    // Shard 0 runs here while the threads run theirs (sizes[0] > 0 whenever the batch is not empty).
    let local: { loss: number; correct: number };
    try {
      local = runLocalShard(batch, sizes[0]!);
    } catch (error) {
      await Promise.allSettled(replies); // never leave a thread writing into buffers the next step reuses
      throw error;
    }
    const answered = await Promise.all(replies);
    let lossSum = local.loss * sizes[0]!;
    let correct = local.correct;
    for (const [position, reply] of answered.entries()) {
      if (reply.type !== 'done') throw new WorkerError(shards[position]!.index, `unexpected reply ${reply.type}`);
      lossSum += reply.loss * shards[position]!.size;
      correct += reply.correct;
    }
    shards.unshift({ index: 0, size: sizes[0]! });
    const loss = lossSum / count;
    if (!Number.isFinite(loss)) {
      // Shard 0 moved the main thread's batch-norm statistics in place: put back the pre-step values, as skipped.
      for (const [index, slot] of slots.entries()) {
        if (slot.trainable) continue;
        const variable = variables[index]!;
        const values = weights.slice(slot.offset, slot.offset + slot.length);
        tf.tidy(() => variable.assign(tf.tensor(values, variable.shape, 'float32')));
      }
      return { loss, correct, finite: false };
    }

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
