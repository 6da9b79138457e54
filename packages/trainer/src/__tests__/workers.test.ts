import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createModel, type ModelSpec } from '@mnist-cnn/cnn-model';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it, vi } from 'vitest';
import { memoryCheckpointStore } from '../checkpoint.js';
import { NonFiniteLossError, TrainOptionsError, WorkerError } from '../errors.js';
import { initBackend } from '../node-backend.js';
import { type NodeTrainOptions, train } from '../node-train.js';
import type { TrainOptions } from '../options.js';
import { shardSizes } from '../replica.js';
import { defaultWorkerScript, startWorkerThreads, takeStartedThread, waitingThreadCount } from '../thread-start.js';
import { shardSeed } from '../threaded-step.js';
import { train as browserTrain } from '../train.js';
import { compactSpec, trainSubset } from './fixtures.js';

const here = dirname(fileURLToPath(import.meta.url));
const run = promisify(execFile);

// Without dropout or batch norm every shard computes an exact slice of the full-batch gradient, so N workers must
// match 1 worker up to float rounding. (With dropout, each shard draws its own mask; with batch norm, each shard
// normalizes by its own statistics: deterministic for a given N, but not the same numbers as N = 1.)
const plainSpec: ModelSpec = {
  ...compactSpec,
  name: 'plain',
  layers: compactSpec.layers.filter((l) => l.type !== 'dropout'),
};

const regularizedSpec: ModelSpec = {
  name: 'regularized',
  inputShape: [28, 28, 1],
  normalization: { mean: 0.1307, std: 0.3081 },
  layers: [
    { type: 'conv2d', filters: 4, kernelSize: 5, strides: 2, activation: 'relu' },
    { type: 'batchNorm' },
    { type: 'maxPool2d', poolSize: 2 },
    { type: 'flatten' },
    { type: 'dropout', rate: 0.2 },
    { type: 'dense', units: 10 },
  ],
};

async function options(extra: Partial<NodeTrainOptions> = {}): Promise<NodeTrainOptions> {
  return {
    model: plainSpec,
    train: await trainSubset(250),
    epochs: 2,
    batchSize: 25, // odd shards: 13 + 12
    learningRate: 0.003,
    augment: true,
    seed: 5,
    ...extra,
  };
}

async function finish(result: Promise<Awaited<ReturnType<typeof train>>>) {
  const done = await result;
  const weights = done.model.getWeights();
  done.model.dispose();
  return { result: done, weights };
}

function largestDifference(a: Record<string, Float32Array>, b: Record<string, Float32Array>): number {
  let largest = 0;
  for (const [name, values] of Object.entries(a)) {
    const other = b[name]!;
    for (let i = 0; i < values.length; i++) largest = Math.max(largest, Math.abs(values[i]! - other[i]!));
  }
  return largest;
}

describe('shards', () => {
  it('splits a batch into contiguous shards that differ by at most one image', () => {
    expect(shardSizes(25, 2)).toEqual([13, 12]);
    expect(shardSizes(3, 4)).toEqual([1, 1, 1, 0]);
    expect(shardSizes(64, 3)).toEqual([22, 21, 21]);
  });

  it('keeps the batch seed on shard 0 and derives distinct seeds for the others', () => {
    expect(shardSeed(1234, 0)).toBe(1234);
    expect(new Set([0, 1, 2, 3].map((shard) => shardSeed(1234, shard))).size).toBe(4);
  });
});

describe.each(['cpu', 'wasm'] as const)('data-parallel training on worker threads (%s)', (backend) => {
  it('2 workers give the weights and losses of 1 worker within float tolerance', async () => {
    await initBackend(backend);
    const single = await finish(train(await options({ workers: 1 })));
    const parallel = await finish(train(await options({ workers: 2 })));
    expect(parallel.result.steps).toBe(single.result.steps);
    expect(Object.keys(parallel.weights)).toEqual(Object.keys(single.weights));
    expect(largestDifference(parallel.weights, single.weights)).toBeLessThan(1e-4);
    for (const [index, epoch] of single.result.history.entries()) {
      expect(parallel.result.history[index]!.loss).toBeCloseTo(epoch.loss, 5);
      expect(parallel.result.history[index]!.accuracy).toBe(epoch.accuracy);
    }
    // Training happened: the weights moved away from a fresh model's.
    expect(single.result.history[1]!.loss).toBeLessThan(single.result.history[0]!.loss);
  });

  it('a workers=2 run aborted mid-epoch and resumed ends with exactly the uninterrupted weights', async () => {
    await initBackend(backend);
    const base = await options({ model: regularizedSpec, workers: 2 });
    const straight = await finish(train(base));
    const store = memoryCheckpointStore();
    const controller = new AbortController();
    const first = await train({
      ...base,
      checkpoint: store,
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'batch' && event.epoch === 1 && event.batch === 4) controller.abort();
      },
    });
    first.model.dispose();
    expect(first.stopReason).toBe('aborted');
    const resumed = await finish(train({ ...base, checkpoint: store, resume: true }));
    expect(resumed.result.resumedFrom).toEqual({ epoch: 1, batch: 4 });
    expect(resumed.result.stopReason).toBe('completed');
    expect(resumed.weights).toEqual(straight.weights);
  });
});

describe('a non-finite loss on worker threads', () => {
  it('stops the run with NonFiniteLossError at the batch it happened', async () => {
    await initBackend('cpu');
    const model = createModel(plainSpec, { seed: 3 });
    // Poison shard 0's replica (the main thread's model) once epoch 1 is done.
    const poison = () => {
      const kernel = model.trainableVariables[0]!;
      tf.tidy(() => kernel.assign(tf.fill(kernel.shape, Number.NaN)));
    };
    const error = await train({
      ...(await options({ workers: 2 })),
      model,
      onEvent: (event) => {
        if (event.type === 'epoch' && event.epoch === 1) poison();
      },
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NonFiniteLossError);
    expect((error as Error).message).toMatch(/loss became NaN at epoch 2, batch 1/);
    model.dispose();
  });
});

describe('shards without images', () => {
  it('3 workers on batches of 2 (one shard always empty) match 1 worker', async () => {
    await initBackend('cpu');
    const small = { train: await trainSubset(12), batchSize: 2, epochs: 1, augment: false } as const;
    const single = await finish(train(await options({ ...small, workers: 1 })));
    const parallel = await finish(train(await options({ ...small, workers: 3 })));
    expect(parallel.result.steps).toBe(6);
    expect(largestDifference(parallel.weights, single.weights)).toBeLessThan(1e-4);
    expect(parallel.result.history[0]!.accuracy).toBe(single.result.history[0]!.accuracy);
  });
});

describe('augmentation on worker threads', () => {
  it('3 workers, each augmenting its own shard, augment every image as 1 worker does', async () => {
    await initBackend('cpu');
    const small = { train: await trainSubset(18), batchSize: 6, epochs: 1, augment: true } as const;
    const single = await finish(train(await options({ ...small, workers: 1 })));
    const parallel = await finish(train(await options({ ...small, workers: 3 })));
    expect(largestDifference(parallel.weights, single.weights)).toBeLessThan(1e-4);
    const unaugmented = await finish(train(await options({ ...small, augment: false, workers: 3 })));
    expect(largestDifference(unaugmented.weights, single.weights)).toBeGreaterThan(1e-3);
  });
});

describe('worker-thread runs', () => {
  it('are deterministic with dropout and batch norm: the same seed gives bit-identical weights', async () => {
    await initBackend('cpu');
    const base = await options({ model: regularizedSpec, workers: 2, epochs: 1 });
    const first = await finish(train(base));
    const second = await finish(train(base));
    expect(second.weights).toEqual(first.weights);
    expect(second.result.history[0]!.loss).toBe(first.result.history[0]!.loss);
  });

  it('turn a crashed worker into a WorkerError', async () => {
    await initBackend('cpu');
    const crash = train(await options({ workers: 2, workerScript: join(here, 'workers', 'exits-on-first-step.mjs') }));
    await expect(crash).rejects.toBeInstanceOf(WorkerError);
    await expect(crash).rejects.toMatchObject({ code: 'TRAIN_WORKER_FAILED', kind: 'training', worker: 1 });
    await expect(crash).rejects.toThrow(/^training worker 1 failed: the thread exited unexpectedly \(exit code 3\)$/);
    const broken = train(await options({ workers: 2, workerScript: join(here, 'workers', 'throws-on-start.mjs') }));
    await expect(broken).rejects.toThrow(/no backend for you/);
  });

  it.each(['complete', 'abort', 'crash'])('let the process exit after a run that ends by %s', async (mode) => {
    const entry = join(here, '..', '..', 'dist', 'node.js');
    const { stdout } = await run(process.execPath, [join(here, 'workers', 'run-in-child.mjs'), entry, mode], {
      timeout: 90_000,
    });
    const report = JSON.parse(stdout.trim().split('\n').at(-1)!);
    if (mode === 'complete') expect(report).toEqual({ stopReason: 'completed', steps: 12 });
    if (mode === 'abort') expect(report).toEqual({ stopReason: 'aborted', steps: 2 });
    if (mode === 'crash') expect(report).toEqual({ error: 'WorkerError', code: 'TRAIN_WORKER_FAILED' });
  });
});

describe('worker threads started ahead of a run', () => {
  it('are taken by the next run, which trains exactly as one that starts its own', async () => {
    await initBackend('cpu');
    const base = await options({ model: regularizedSpec, workers: 2, epochs: 1 });
    const fresh = await finish(train(base));
    startWorkerThreads(1);
    expect(waitingThreadCount()).toBe(1);
    const taken = await finish(train(base));
    expect(waitingThreadCount()).toBe(0);
    expect(taken.weights).toEqual(fresh.weights);
    expect(taken.result.history[0]!.loss).toBe(fresh.result.history[0]!.loss);
  });

  it('that boot differently are ended instead of taken', async () => {
    await initBackend('cpu');
    startWorkerThreads(1);
    const wasm = { backend: 'wasm', simd: true, prodMode: false } as const;
    expect(takeStartedThread(defaultWorkerScript(), wasm)).toBeUndefined();
    expect(waitingThreadCount()).toBe(0);
  });

  it('that fail while they wait are dropped', async () => {
    await initBackend('cpu');
    startWorkerThreads(1, { workerScript: join(here, 'workers', 'throws-on-start.mjs') });
    expect(waitingThreadCount()).toBe(1);
    await vi.waitFor(() => expect(waitingThreadCount()).toBe(0), { timeout: 20_000 });
  });

  it('never keep the process alive when nothing takes them', async () => {
    const entry = join(here, '..', '..', 'dist', 'node.js');
    const script = join(here, 'workers', 'starts-threads-and-ends.mjs');
    const { stdout } = await run(process.execPath, [script, entry], { timeout: 60_000 });
    expect(stdout.trim()).toBe('started');
  });

  it('come in whole numbers', async () => {
    await initBackend('cpu');
    expect(() => startWorkerThreads(1.5)).toThrow(TrainOptionsError);
    expect(() => startWorkerThreads(-1)).toThrow(/count/);
    expect(waitingThreadCount()).toBe(0);
  });
});

describe('the browser entry', () => {
  it('rejects workers above 1 with a TrainOptionsError that points to the Node entry', async () => {
    await initBackend('cpu');
    const base: TrainOptions = await options();
    const error = await browserTrain({ ...base, workers: 2 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TrainOptionsError);
    expect(error).toMatchObject({ option: 'workers' });
    expect((error as Error).message).toMatch(/@mnist-cnn\/trainer\/node/);
    await expect(browserTrain({ ...base, workers: 0 })).rejects.toMatchObject({ option: 'workers' });
  });
});
