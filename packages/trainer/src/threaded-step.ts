import { Worker } from 'node:worker_threads';
import type { CnnModel } from '@mnist-cnn/cnn-model';
import * as tf from '@tensorflow/tfjs-core';
import { currentBackend } from './backend.js';
import { BackendError, WorkerError } from './errors.js';
import {
  arrivalsAfter,
  createExchange,
  type Exchange,
  openExchange,
  Replica,
  shardSizes,
  weightSlots,
} from './replica.js';
import { deriveSeed } from './rng.js';
import type { StepBatch, StepFactory, StepRunner } from './step.js';
import { inputSlot, type StepRequest, type WorkerReply, type WorkerSetup } from './worker-protocol.js';

export { shardSizes } from './replica.js';

/** Options of the worker-thread step. */
export interface WorkerStepOptions {
  /**
   * The worker script: by default `worker-thread.js` beside this module in the built package. Single-file bundles that
   * do not ship that file beside themselves pass the path of a copy (or of their own bundle of it).
   */
  workerScript?: string | URL;
}

function defaultWorkerScript(): URL {
  // From the sources (tests run them through vitest), the worker comes from the package's build.
  return import.meta.url.endsWith('.ts')
    ? new URL('../dist/worker-thread.js', import.meta.url)
    : new URL('./worker-thread.js', import.meta.url);
}

/**
 * The dropout seed of one shard: shard 0 keeps the batch's seed (so 1 worker matches the single-threaded loop); the
 * others derive theirs from it, which makes every mask a function of (seed, epoch, batch, shard).
 */
export function shardSeed(batchSeed: number, shard: number): number {
  return shard === 0 ? batchSeed : deriveSeed(batchSeed, shard);
}

// Atomics.waitAsync is in Node since 16 but not yet in TypeScript's ES2022 lib.
type WaitAsync = (
  array: Int32Array,
  index: number,
  value: number,
) => { async: false; value: string } | { async: true; value: Promise<string> };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

/** The worker threads of one run; the first failure rejects `failed` and terminates all of them. */
class WorkerPool {
  /** Rejects with the first WorkerError; never resolves. */
  readonly failed: Promise<never>;
  private readonly threads: Worker[];
  private readonly ready: Promise<void>[];
  private failure: WorkerError | undefined;
  private rejectFailed!: (error: WorkerError) => void;
  private closing = false;

  constructor(
    script: string | URL,
    setups: WorkerSetup[],
    private readonly signals: Int32Array,
  ) {
    this.failed = new Promise<never>((_, reject) => {
      this.rejectFailed = reject;
    });
    this.failed.catch(() => {}); // observed through `whenReady` and `until`; never an unhandled rejection
    const readiness: (() => void)[] = [];
    this.ready = setups.map((_, index) => new Promise<void>((resolve) => (readiness[index] = resolve)));
    this.threads = setups.map((setup, index) => {
      const thread = new Worker(script, { workerData: setup });
      const shard = setup.index; // errors name the worker by its shard (shard 0 is the main thread)
      thread.on('message', (reply: WorkerReply) => {
        if (reply.type === 'ready') readiness[index]!();
        else this.fail(new WorkerError(shard, reply.message));
      });
      thread.on('error', (error) => this.fail(new WorkerError(shard, error.message, { cause: error })));
      thread.on('exit', (code) => {
        if (!this.closing) this.fail(new WorkerError(shard, `the thread exited unexpectedly (exit code ${code})`));
      });
      return thread;
    });
  }

  /** Resolves once every thread has built its backend and replica. */
  whenReady(): Promise<void> {
    return this.until(Promise.all(this.ready).then(() => {}));
  }

  /** `promise`, unless a thread fails first. */
  until<T>(promise: Promise<T>): Promise<T> {
    return Promise.race([promise, this.failed]);
  }

  post(index: number, message: StepRequest): void {
    if (this.failure) throw this.failure;
    this.threads[index]!.postMessage(message);
  }

  async close(): Promise<void> {
    this.closing = true;
    // Wakes threads blocked on the exchange so they return instead of waiting for shards that will never come.
    Atomics.store(this.signals, 1, 1);
    Atomics.notify(this.signals, 0);
    await Promise.all(this.threads.map((thread) => thread.terminate()));
  }

  private fail(error: WorkerError): void {
    if (this.failure || this.closing) return;
    this.failure = error;
    this.rejectFailed(error);
    void this.close();
  }
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
 * kernel table), model replica and optimizer, all started from the main thread's weights and optimizer state. Every
 * replica combines all shards' gradients (weighted by shard size, in shard order) and applies them itself, so only
 * gradients cross threads, through one SharedArrayBuffer. Batch-norm moving statistics are averaged the same way.
 */
export function workerSteps(options: WorkerStepOptions = {}): StepFactory {
  return async (model, optimizer, { batchSize, workers }) => {
    const backend = currentBackend();
    if (backend === undefined) {
      throw new BackendError(`worker threads run on cpu or wasm, not on ${tf.getBackend()}; call initBackend first`);
    }
    const slots = weightSlots(model);
    const buffers = createExchange(slots, workers);
    const exchange = openExchange(buffers, workers);
    const [height, width, channels] = model.spec.inputShape;
    const pixelsPerImage = height * width * channels;
    const shardCapacity = Math.ceil(batchSize / workers);
    const weights = model.getWeights();
    const optimizerSetup = {
      config: optimizer.config,
      learningRate: optimizer.learningRate,
      state: await optimizer.saveState(),
    };
    // Shard 0 runs on the main thread's own backend and model; threads are spawned for shards 1 … workers − 1 only.
    const setups: WorkerSetup[] = Array.from({ length: workers - 1 }, (_, thread) => ({
      index: thread + 1,
      shards: workers,
      backend,
      simd: backend === 'wasm' ? wasmSimdEnabled() : false,
      prodMode: tf.env().getBool('PROD'),
      spec: model.spec,
      slots,
      weights,
      optimizer: optimizerSetup,
      exchange: buffers,
      pixels: new SharedArrayBuffer(2 * shardCapacity * pixelsPerImage * 4),
      labels: new SharedArrayBuffer(2 * shardCapacity * 4),
      shardCapacity,
    }));
    const pool = new WorkerPool(options.workerScript ?? defaultWorkerScript(), setups, exchange.signals);
    try {
      await pool.whenReady();
    } catch (error) {
      await pool.close();
      throw error;
    }
    const replica = new Replica(model, optimizer, slots, exchange, 0);
    return { step: replicatedStep(model, replica, exchange, setups, pool), close: () => pool.close() };
  };
}

/** Resolves once every shard of pool step `step` has written its region; rejects if a thread fails meanwhile. */
async function waitForShards(exchange: Exchange, step: number, pool: WorkerPool): Promise<void> {
  const target = arrivalsAfter(exchange, step);
  for (;;) {
    const arrived = Atomics.load(exchange.signals, 0);
    if (arrived >= target) return;
    const waiting = waitAsync(exchange.signals, 0, arrived);
    if (waiting.async) await pool.until(waiting.value);
  }
}

function replicatedStep(
  model: CnnModel,
  replica: Replica,
  exchange: Exchange,
  setups: WorkerSetup[],
  pool: WorkerPool,
): StepRunner {
  const [height, width, channels] = model.spec.inputShape;
  const pixelsPerImage = height * width * channels;
  const shardInputs = setups.map((setup) => ({
    pixels: new Float32Array(setup.pixels),
    labels: new Int32Array(setup.labels),
  }));
  /** Copies each thread's shard of pool step `index` into its input slot for that step and posts the step. */
  const dispatch = (index: number, batch: StepBatch, learningRate: number) => {
    const count = batch.labels.length;
    const sizes = shardSizes(count, setups.length + 1);
    const slot = inputSlot(index);
    let start = sizes[0]!;
    for (const [thread, setup] of setups.entries()) {
      const size = sizes[thread + 1]!;
      const inputs = shardInputs[thread]!;
      const pixels = batch.pixels.subarray(start * pixelsPerImage, (start + size) * pixelsPerImage);
      inputs.pixels.set(pixels, slot * setup.shardCapacity * pixelsPerImage);
      inputs.labels.set(batch.labels.subarray(start, start + size), slot * setup.shardCapacity);
      start += size;
      const seed = shardSeed(batch.seed, setup.index);
      pool.post(thread, { type: 'step', step: index, count, seed, learningRate });
    }
  };
  let step = 0;
  /** The batch already posted to the threads as pool step `step`, if the previous step handed it out early. */
  let dispatched: StepBatch | undefined;
  return async (batch, learningRate, upcoming) => {
    const current = step++;
    const count = batch.labels.length;
    if (dispatched !== batch) dispatch(current, batch, learningRate);
    dispatched = undefined;
    const ownSize = shardSizes(count, setups.length + 1)[0]!;
    // Shard 0 runs here while the threads run theirs; then every replica, this one included, applies the batch mean.
    replica.contribute(
      current,
      batch.pixels.subarray(0, ownSize * pixelsPerImage),
      batch.labels.subarray(0, ownSize),
      ownSize,
      shardSeed(batch.seed, 0),
    );
    // The next batch goes out now, so each thread starts it as soon as it has applied this one, not after a message
    // round trip. Its input slot is free: every thread has read that slot's previous batch (step current − 1) by now.
    const next = upcoming?.();
    if (next) {
      dispatch(current + 1, next.batch, next.learningRate);
      dispatched = next.batch;
    }
    await waitForShards(exchange, current, pool);
    return replica.combine(current, count, learningRate);
  };
}
