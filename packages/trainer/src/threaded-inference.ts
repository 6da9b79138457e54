import { availableParallelism } from 'node:os';
import type { MessagePort } from 'node:worker_threads';
import type { CnnModel } from '@mnist-cnn/cnn-model';
import type { DatasetSplit } from '@mnist-cnn/mnist-data';
import { checkNumber, integerIn, PoolClosedError } from './errors.js';
import {
  checkBatchSize,
  type EvaluationResult,
  evaluatedCount,
  imagesAsSplit,
  type PredictOptions,
  predictBatches,
  scoreProbabilities,
} from './evaluate.js';
import { classCountOf } from './model.js';
import { currentBoot, defaultWorkerScript } from './thread-start.js';
import { WorkerPool, type WorkerStepOptions, waitAsync } from './threaded-step.js';
import type { InferenceRequest, InferenceSetup, WorkerReply } from './worker-protocol.js';

/** Options of `openInferencePool`. */
export interface InferencePoolOptions extends WorkerStepOptions {
  /** Replicas predicting side by side, this thread's model among them (default: one per CPU core, at most 256). */
  workers?: number;
}

/** A model's replicas on worker threads; `predict` hands each of them whole batches until none is left. */
export interface InferencePool {
  readonly workers: number;
  /** Class probabilities (count × classes, row-major), equal to `predictImages`' with the same batch size. */
  predict(pixels: Uint8Array, count: number, options?: Omit<PredictOptions, 'limit'>): Promise<Float32Array>;
  /** `evaluate`'s result for the split, equal to it with the same batch size, from every replica. */
  evaluate(split: DatasetSplit, options?: PredictOptions): Promise<EvaluationResult>;
  /** Ends the worker threads; the model stays the caller's. Calls after it, and those still waiting, reject (PoolClosedError). */
  close(): Promise<void>;
}

/** Predicts one request's batches alongside the other replicas, until none is left unclaimed (see `predictBatches`). */
export function predictClaimedBatches(model: CnnModel, request: InferenceRequest): void {
  const { count, batchSize, pixels, probabilities, progress } = request;
  const split = imagesAsSplit(model.spec, new Uint8Array(pixels), count);
  predictBatches(model, split, count, batchSize, new Float32Array(probabilities), new Int32Array(progress));
}

/** The worker side: answers every request on `port` with `predictClaimedBatches`. */
export function serveInference(model: CnnModel, port: MessagePort, send: (reply: WorkerReply) => void): void {
  port.on('message', (request: InferenceRequest) => {
    try {
      predictClaimedBatches(model, request);
    } catch (error) {
      send({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
    }
  });
  send({ type: 'ready' });
}

/**
 * Starts `workers − 1` threads, each with its own backend (the kind this thread runs, with the same kernel table) and a
 * copy of `model`'s weights; with this thread's `model` they predict a batch stream side by side.
 *
 * @example
 * ```ts
 * import { loadModel } from '@mnist-cnn/cnn-model/node';
 * import { loadDataset } from '@mnist-cnn/mnist-data/node';
 * import { initBackend, openInferencePool } from '@mnist-cnn/trainer/node';
 *
 * await initBackend('wasm');
 * const test = (await loadDataset()).test;
 * const pool = await openInferencePool(await loadModel('./mnist-model')); // one replica per core
 * const probabilities = await pool.predict(test.images, test.count, { batchSize: 256 });
 * console.log((await pool.evaluate(test)).accuracy); // evaluate's figures, from every core
 * await pool.close();
 * ```
 */
export async function openInferencePool(model: CnnModel, options: InferencePoolOptions = {}): Promise<InferencePool> {
  const workers = checkNumber('workers', options.workers ?? availableParallelism(), integerIn(1, 256));
  const boot = currentBoot();
  const weights = model.getWeights();
  const setups: InferenceSetup[] = Array.from({ length: workers - 1 }, (_, thread) => {
    return { task: 'inference', index: thread + 1, spec: model.spec, weights };
  });
  const pool = new WorkerPool<InferenceRequest>(options.workerScript ?? defaultWorkerScript(), boot, setups);
  try {
    await pool.whenReady();
  } catch (error) {
    await pool.close();
    throw error;
  }
  const classes = classCountOf(model.spec);
  // Rejects once `close` ends the threads: a batch one of them had claimed would never be done.
  let closed = false;
  let rejectWaiting!: (error: PoolClosedError) => void;
  const closing = new Promise<never>((_, reject) => (rejectWaiting = reject));
  closing.catch(() => {});
  const predict: InferencePool['predict'] = async (pixels, count, predictOptions = {}) => {
    if (closed) throw new PoolClosedError();
    const images = imagesAsSplit(model.spec, pixels, count).images;
    const batchSize = checkBatchSize(model.spec, predictOptions.batchSize, count);
    const request: InferenceRequest = {
      type: 'infer',
      pixels: new SharedArrayBuffer(images.length),
      probabilities: new SharedArrayBuffer(count * classes * 4),
      progress: new SharedArrayBuffer(8),
      count,
      batchSize,
    };
    new Uint8Array(request.pixels).set(images);
    for (const thread of setups.keys()) pool.post(thread, request);
    predictClaimedBatches(model, request);
    const done = new Int32Array(request.progress);
    const batches = Math.ceil(count / batchSize);
    for (let finished = Atomics.load(done, 1); finished < batches; finished = Atomics.load(done, 1)) {
      const waiting = waitAsync(done, 1, finished);
      if (waiting.async) await Promise.race([pool.until(waiting.value), closing]);
    }
    return new Float32Array(request.probabilities).slice();
  };
  return {
    workers,
    predict,
    async evaluate(split, evaluateOptions = {}) {
      const count = evaluatedCount(model.spec, split, evaluateOptions.limit);
      const probabilities = await predict(
        split.images.subarray(0, count * split.rows * split.cols),
        count,
        evaluateOptions,
      );
      return scoreProbabilities(probabilities, split.labels.subarray(0, count), classes);
    },
    close() {
      closed = true;
      rejectWaiting(new PoolClosedError());
      return pool.close();
    },
  };
}
