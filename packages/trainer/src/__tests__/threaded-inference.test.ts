import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createModel, getPreset } from '@mnist-cnn/cnn-model';
import { beforeAll, describe, expect, it } from 'vitest';
import { PoolClosedError, TrainOptionsError, WorkerError } from '../errors.js';
import { evaluate, predictImages } from '../evaluate.js';
import { argmaxRows } from '../metrics.js';
import { initBackend } from '../node-backend.js';
import { openInferencePool } from '../threaded-inference.js';
import { testSubset } from './fixtures.js';

const here = fileURLToPath(new URL('.', import.meta.url));

beforeAll(() => initBackend('wasm'));

describe('openInferencePool', () => {
  it('predicts what one thread predicts, on real MNIST test digits', async () => {
    const test = await testSubset(1000);
    const model = createModel(getPreset('reference'), { seed: 3 });
    // 1000 images in batches of 96: ten full batches and one of 40, shared by this thread and two worker threads.
    const single = predictImages(model, test.images, test.count, { batchSize: 96 });
    const pool = await openInferencePool(model, { workers: 3 });
    try {
      expect(pool.workers).toBe(3);
      for (let run = 0; run < 2; run++) {
        const threaded = await pool.predict(test.images, test.count, { batchSize: 96 });
        expect(threaded).toHaveLength(single.length);
        expect(argmaxRows(threaded, 10)).toEqual(argmaxRows(single, 10));
        let largest = 0;
        for (const [i, value] of threaded.entries()) largest = Math.max(largest, Math.abs(value - single[i]!));
        expect(largest).toBeLessThan(1e-6);
      }
      expect(await pool.predict(test.images.subarray(0, 784), 1)).toEqual(single.subarray(0, 10));
    } finally {
      await pool.close();
      model.dispose();
    }
  });

  it('evaluates what one thread evaluates: accuracy, loss, per-class figures, confusion matrix', async () => {
    const test = await testSubset(1000);
    const model = createModel(getPreset('reference'), { seed: 5 });
    const single = evaluate(model, test, { batchSize: 96, limit: 900 });
    const pool = await openInferencePool(model, { workers: 2 });
    try {
      expect(await pool.evaluate(test, { batchSize: 96, limit: 900 })).toEqual(single);
      expect(single.count).toBe(900);
      // Untrained, yet it predicts several classes: a row written to the wrong image would change the figures.
      expect(new Set(single.predictions).size).toBeGreaterThan(1);
      await expect(pool.evaluate(test, { limit: -1 })).rejects.toMatchObject({ option: 'limit' });
    } finally {
      await pool.close();
      model.dispose();
    }
  });

  it.each([0, -1, 2.5, 257, Number.NaN])('rejects workers: %s with a TrainOptionsError', async (workers) => {
    const model = createModel(getPreset('reference'), { seed: 3 });
    const error = await openInferencePool(model, { workers }).catch((caught: unknown) => caught);
    model.dispose();
    expect(error).toBeInstanceOf(TrainOptionsError);
    expect(error).toMatchObject({ option: 'workers' });
    expect((error as Error).message).toContain(`expected an integer from 1 to 256, got ${workers}`);
  });

  it('rejects images that do not fill the pixels, and a worker that cannot start', async () => {
    const model = createModel(getPreset('reference'), { seed: 3 });
    const pool = await openInferencePool(model, { workers: 1 });
    await expect(pool.predict(new Uint8Array(783), 1)).rejects.toMatchObject({ option: 'pixels' });
    await expect(pool.predict(new Uint8Array(784), 1, { batchSize: 0 })).rejects.toMatchObject({ option: 'batchSize' });
    await pool.close();
    const broken = openInferencePool(model, { workers: 2, workerScript: join(here, 'workers', 'throws-on-start.mjs') });
    await expect(broken).rejects.toBeInstanceOf(WorkerError);
    model.dispose();
  });

  it('names the inference worker that cannot start, as when a bundle leaves out the worker script', async () => {
    const model = createModel(getPreset('reference'), { seed: 3 });
    const workerScript = join(here, 'workers', 'not-bundled-worker-thread.js'); // no such file
    const error = await openInferencePool(model, { workers: 2, workerScript }).catch((caught: unknown) => caught);
    model.dispose();
    expect(error).toBeInstanceOf(WorkerError);
    expect(error).toMatchObject({ kind: 'inference', worker: 1, code: 'TRAIN_WORKER_FAILED' });
    expect((error as Error).message).toMatch(
      /^inference worker 1 failed: Cannot find module .*not-bundled-worker-thread/,
    );
  });

  it.each([1, 2])('rejects predict and evaluate after close with a PoolClosedError (workers: %s)', async (workers) => {
    const test = await testSubset(100);
    const model = createModel(getPreset('reference'), { seed: 3 });
    const pool = await openInferencePool(model, { workers });
    await pool.close();
    const closed = { name: 'PoolClosedError', code: 'TRAIN_POOL_CLOSED', message: expect.stringMatching(/is closed/) };
    await expect(pool.predict(test.images, test.count)).rejects.toMatchObject(closed);
    await expect(pool.evaluate(test)).rejects.toBeInstanceOf(PoolClosedError);
    model.dispose();
  });

  it('rejects a prediction still waiting on a thread when the pool closes, instead of waiting forever', async () => {
    const test = await testSubset(1000);
    const model = createModel(getPreset('reference'), { seed: 3 });
    const workerScript = join(here, 'workers', 'claims-a-batch-and-stalls.mjs');
    const pool = await openInferencePool(model, { workers: 2, workerScript });
    // Two batches: this thread predicts the first while the stand-in claims the second, which it then never finishes.
    // Should this thread claim both first (the stand-in busy elsewhere), the prediction is over by the next tick: try
    // again. One still waiting after that tick waits on the stand-in's batch.
    const nextTick = () => new Promise((resolve) => setTimeout(resolve, 0, 'waiting'));
    let waiting: Promise<unknown> | undefined;
    for (let attempt = 0; attempt < 20 && waiting === undefined; attempt++) {
      const prediction = pool.predict(test.images, test.count, { batchSize: 500 }).catch((caught: unknown) => caught);
      if ((await Promise.race([prediction, nextTick()])) === 'waiting') waiting = prediction;
    }
    expect(waiting).toBeDefined();
    await pool.close();
    const outcome = await Promise.race([waiting, new Promise((resolve) => setTimeout(resolve, 5000, 'still waiting'))]);
    expect(outcome).toBeInstanceOf(PoolClosedError);
    model.dispose();
  });
});
