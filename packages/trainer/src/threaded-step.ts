import type { Worker } from 'node:worker_threads';
import { deriveSeed } from '@mnist-cnn/cnn-model';
import type { DatasetSplit } from '@mnist-cnn/mnist-data';
import { BatchAssembler } from './batches.js';
import { WorkerError } from './errors.js';
import { arrivalsAfter, createExchange, type Exchange, Replica, shardSizes, weightSlots } from './replica.js';
import type { StepBatch, StepFactory, StepRunner } from './step.js';
import { currentBoot, defaultWorkerScript, startThread, takeStartedThread } from './thread-start.js';
import {
  type InferenceSetup,
  inputSlot,
  type StepRequest,
  type ThreadBoot,
  type WorkerReply,
  type WorkerSetup,
} from './worker-protocol.js';

/** Options of the worker-thread step. */
export interface WorkerStepOptions {
  /**
   * The worker script: by default `worker-thread.js` beside this module in the built package. Single-file bundles that
   * do not ship that file beside themselves pass the path of a copy (or of their own bundle of it).
   */
  workerScript?: string | URL;
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
export const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

/** The worker threads of one run; the first failure rejects `failed` and terminates all of them. */
export class WorkerPool<Request = StepRequest> {
  /** Rejects with the first WorkerError; never resolves. */
  readonly failed: Promise<never>;
  private readonly threads: Worker[] = [];
  private readonly ready: Promise<void>[];
  private failure: WorkerError | undefined;
  private rejectFailed!: (error: WorkerError) => void;
  private closing = false;

  constructor(
    script: string | URL,
    /** How every thread boots: the main thread's backend, SIMD setting and production mode (see `currentBoot`). */
    boot: ThreadBoot,
    setups: readonly (WorkerSetup | InferenceSetup)[],
    /** A training run's `Exchange.signals`, raised on close; inference threads never block on one, so they pass none. */
    private readonly signals?: Int32Array,
  ) {
    this.failed = new Promise<never>((_, reject) => {
      this.rejectFailed = reject;
    });
    this.failed.catch(() => {}); // observed through `whenReady` and `until`; never an unhandled rejection
    const readiness: (() => void)[] = [];
    this.ready = setups.map((_, index) => new Promise<void>((resolve) => (readiness[index] = resolve)));
    for (const [index, setup] of setups.entries()) {
      let thread: Worker;
      try {
        thread = takeStartedThread(script, boot) ?? startThread(script, boot);
        thread.postMessage(setup);
      } catch (error) {
        // The threads already started would keep the process alive: nobody else holds them. This error is the one
        // to report, not one from closing.
        this.close().catch(() => {});
        throw error;
      }
      const shard = setup.index; // errors name the worker by its shard (shard 0 is the main thread)
      const kind = 'task' in setup ? 'inference' : 'training';
      thread.on('message', (reply: WorkerReply) => {
        if (reply.type === 'ready') readiness[index]!();
        else this.fail(new WorkerError(kind, shard, reply.message));
      });
      thread.on('error', (error) => this.fail(new WorkerError(kind, shard, error.message, { cause: error })));
      thread.on('exit', (code) => {
        if (!this.closing)
          this.fail(new WorkerError(kind, shard, `the thread exited unexpectedly (exit code ${code})`));
      });
      this.threads.push(thread);
    }
  }

  /** Resolves once every thread has built its backend and replica. */
  whenReady(): Promise<void> {
    return this.until(Promise.all(this.ready).then(() => {}));
  }

  /** `promise`, unless a thread fails first. */
  until<T>(promise: Promise<T>): Promise<T> {
    return Promise.race([promise, this.failed]);
  }

  post(index: number, message: Request): void {
    if (this.failure) throw this.failure;
    this.threads[index]!.postMessage(message);
  }

  /** Ends every thread, whatever else fails: a thread left running would keep the process alive. */
  async close(): Promise<void> {
    this.closing = true;
    try {
      // Wakes threads blocked on the exchange so they return instead of waiting for shards that will never come.
      if (this.signals) {
        Atomics.store(this.signals, 1, 1);
        Atomics.notify(this.signals, 0);
      }
    } finally {
      await Promise.all(this.threads.map((thread) => thread.terminate()));
    }
  }

  private fail(error: WorkerError): void {
    if (this.failure || this.closing) return;
    this.failure = error;
    this.rejectFailed(error);
    this.close().catch(() => {}); // the thread's failure is the error to report
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
  return async (model, optimizer, run) => {
    const boot = currentBoot();
    const slots = weightSlots(model);
    const exchange = createExchange(slots, run.workers);
    const shardCapacity = Math.ceil(run.batchSize / run.workers);
    const assembler = new BatchAssembler(run.split, shardCapacity, model.spec.normalization, run.augment);
    const { pixelsPerImage } = assembler;
    const weights = model.getWeights();
    const state = await optimizer.saveState();
    // Shard 0 runs on the main thread's own backend and model; threads are spawned for shards 1 … workers − 1 only.
    const setups: WorkerSetup[] = Array.from({ length: run.workers - 1 }, (_, thread) => ({
      index: thread + 1,
      spec: model.spec,
      slots,
      weights,
      optimizer: { config: optimizer.config, learningRate: optimizer.learningRate, state },
      exchange,
      pixels: new Uint8Array(new SharedArrayBuffer(2 * shardCapacity * pixelsPerImage)),
      labels: new Uint8Array(new SharedArrayBuffer(2 * shardCapacity)),
      augment: run.augment,
      shardCapacity,
    }));
    const pool = new WorkerPool(options.workerScript ?? defaultWorkerScript(), boot, setups, exchange.signals);
    try {
      await pool.whenReady();
      const replica = new Replica(model, optimizer, slots, exchange, 0);
      return { step: replicatedStep(run.split, assembler, replica, exchange, setups, pool), close: () => pool.close() };
    } catch (error) {
      await pool.close();
      throw error;
    }
  };
}

/**
 * How long the main thread blocks on the exchange before it waits asynchronously. The other shards usually arrive
 * within a millisecond or two, and a blocking wait wakes at once, where an asynchronous one wakes only when the event
 * loop next turns; past this, the event loop gets its turn (a failed thread is noticed there).
 */
const blockingWaitMs = 50;

/** Resolves once every shard of pool step `step` has written its region; rejects if a thread fails meanwhile. */
async function waitForShards(exchange: Exchange, step: number, pool: WorkerPool): Promise<void> {
  const target = arrivalsAfter(exchange, step);
  const blockUntil = performance.now() + blockingWaitMs;
  for (;;) {
    const arrived = Atomics.load(exchange.signals, 0);
    if (arrived >= target) return;
    const left = blockUntil - performance.now();
    if (left > 0) {
      Atomics.wait(exchange.signals, 0, arrived, left);
      continue;
    }
    const waiting = waitAsync(exchange.signals, 0, arrived);
    if (waiting.async) await pool.until(waiting.value);
  }
}

function replicatedStep(
  split: DatasetSplit,
  assembler: BatchAssembler,
  replica: Replica,
  exchange: Exchange,
  setups: WorkerSetup[],
  pool: WorkerPool,
): StepRunner {
  const { pixelsPerImage } = assembler;
  /**
   * Assembles this thread's shard of pool step `index` and hands the threads theirs: the stored pixels and labels of
   * their images, and where the batch's augmentation generator stands at their first image, so that each replica
   * augments its own images exactly as one thread augmenting the whole batch would.
   */
  const dispatch = (index: number, batch: StepBatch, learningRate: number) => {
    const count = batch.indices.length;
    const sizes = shardSizes(count, exchange.shards);
    const rng = assembler.augmentRng(batch.augmentSeed);
    const own = assembler.assemble(batch.indices.subarray(0, sizes[0]), rng);
    let start = sizes[0]!;
    for (const [thread, setup] of setups.entries()) {
      const size = sizes[thread + 1]!;
      const first = inputSlot(index) * setup.shardCapacity;
      for (let i = 0; i < size; i++) {
        const image = batch.indices[start + i]!;
        setup.pixels.set(
          split.images.subarray(image * pixelsPerImage, (image + 1) * pixelsPerImage),
          (first + i) * pixelsPerImage,
        );
        setup.labels[first + i] = split.labels[image]!;
      }
      const augmentState = rng?.state();
      if (rng) assembler.skip(rng, size);
      start += size;
      pool.post(thread, {
        type: 'step',
        step: index,
        count,
        seed: shardSeed(batch.seed, setup.index),
        learningRate,
        ...(augmentState ? { augmentState } : {}),
      });
    }
    return own;
  };
  let step = 0;
  /** The batch already handed out as pool step `step`, if the previous step did that early, and this thread's shard. */
  let dispatched: { batch: StepBatch; own: ReturnType<typeof dispatch> } | undefined;
  return async (batch, learningRate, upcoming) => {
    const current = step++;
    const own = dispatched?.batch === batch ? dispatched.own : dispatch(current, batch, learningRate);
    dispatched = undefined;
    // Shard 0 runs here while the threads run theirs; then every replica, this one included, applies the batch mean.
    replica.contribute(current, own.pixels, own.labels, shardSeed(batch.seed, 0));
    // The next batch goes out now, so each thread starts it as soon as it has applied this one, not after a message
    // round trip. Its input slot is free: every thread has read that slot's previous batch (step current − 1) by now,
    // and this thread's own shard buffers, which it reuses, are done with (contribute has disposed their tensors).
    const next = upcoming?.();
    if (next) dispatched = { batch: next.batch, own: dispatch(current + 1, next.batch, next.learningRate) };
    try {
      await waitForShards(exchange, current, pool);
    } catch (error) {
      replica.release();
      throw error;
    }
    return replica.combine(current, batch.indices.length, learningRate);
  };
}
