import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createModel } from '@mnist-cnn/cnn-model';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint, memoryCheckpointStore } from '../checkpoint.js';
import { CheckpointError, NonFiniteLossError } from '../errors.js';
import type { TrainEvent } from '../events.js';
import { initBackend } from '../node-backend.js';
import { directoryCheckpointStore } from '../node-checkpoint.js';
import type { TrainOptions } from '../options.js';
import { train } from '../train.js';
import { compactSpec, trainSubset } from './fixtures.js';

async function options(extra: Partial<TrainOptions> = {}): Promise<TrainOptions> {
  return {
    model: compactSpec,
    train: await trainSubset(480),
    validationSplit: 0.2,
    epochs: 3,
    batchSize: 32,
    learningRate: 0.003,
    schedule: 'cosine',
    augment: true,
    seed: 11,
    ...extra,
  };
}

async function weightsAfter(run: Promise<Awaited<ReturnType<typeof train>>>) {
  const result = await run;
  const weights = result.model.getWeights();
  result.model.dispose();
  return { result, weights };
}

describe.each(['cpu', 'wasm'] as const)('checkpoints and resume (%s)', (backend) => {
  it('a run aborted mid-epoch and resumed ends with exactly the uninterrupted weights', async () => {
    await initBackend(backend);
    const straight = await weightsAfter(train(await options()));

    const directory = await mkdtemp(join(tmpdir(), 'trainer-resume-'));
    const store = directoryCheckpointStore(directory);
    const controller = new AbortController();
    const events: TrainEvent[] = [];
    const first = await train({
      ...(await options()),
      checkpoint: store,
      signal: controller.signal,
      onEvent: (event) => {
        events.push(event);
        if (event.type === 'batch' && event.epoch === 2 && event.batch === 5) controller.abort();
      },
    });
    first.model.dispose();
    expect(first.stopReason).toBe('aborted');
    expect(events.filter((event) => event.type === 'checkpoint')).toEqual([
      { type: 'checkpoint', epoch: 1, batch: 0, reason: 'epoch', path: store.location },
      { type: 'checkpoint', epoch: 2, batch: 5, reason: 'abort', path: store.location },
    ]);
    const saved = decodeCheckpoint((await store.load())!);
    expect(saved.progress).toMatchObject({ epoch: 2, batch: 5, step: 17 });

    const resumedEvents: TrainEvent[] = [];
    const resumed = await weightsAfter(
      train({
        ...(await options()),
        checkpoint: store,
        resume: true,
        onEvent: (event) => void resumedEvents.push(event),
      }),
    );
    expect(resumedEvents[0]).toMatchObject({ type: 'start', startEpoch: 2, startBatch: 5, resumed: true });
    expect(resumed.result.resumedFrom).toEqual({ epoch: 2, batch: 5 });
    expect(resumed.result.stopReason).toBe('completed');
    expect(resumed.result.steps).toBe(straight.result.steps);
    expect(resumed.weights).toEqual(straight.weights);
    // Same losses per epoch too, not just the same final weights.
    expect(resumed.result.history.map((epoch) => [epoch.loss, epoch.valLoss])).toEqual(
      straight.result.history.map((epoch) => [epoch.loss, epoch.valLoss]),
    );
  });

  it('continues from an epoch-end checkpoint to the same weights', async () => {
    await initBackend(backend);
    const straight = await weightsAfter(train(await options({ epochs: 2, augment: false, schedule: 'constant' })));
    const store = memoryCheckpointStore();
    const firstEpoch = await train(
      await options({ epochs: 1, augment: false, schedule: 'constant', checkpoint: store }),
    );
    firstEpoch.model.dispose();
    const rest = await weightsAfter(
      train(await options({ epochs: 2, augment: false, schedule: 'constant', checkpoint: store, resume: true })),
    );
    expect(rest.result.history).toHaveLength(2);
    expect(rest.weights).toEqual(straight.weights);
  });
});

describe('checkpoint safety', () => {
  it('refuses a checkpoint from a run with different settings', async () => {
    await initBackend('cpu');
    const store = memoryCheckpointStore();
    (await train(await options({ epochs: 1, checkpoint: store }))).model.dispose();
    const error = await train(await options({ batchSize: 16, checkpoint: store, resume: true })).catch((e) => e);
    expect(error).toBeInstanceOf(CheckpointError);
    expect(error.code).toBe('CHECKPOINT_MISMATCH');
    expect(error.message).toMatch(/batchSize was 32, now 16/);
  });

  it('stops on a NaN loss with a clear error and keeps the last good checkpoint', async () => {
    await initBackend('cpu');
    const model = createModel(compactSpec, { seed: 3 });
    const directory = await mkdtemp(join(tmpdir(), 'trainer-nan-'));
    const store = directoryCheckpointStore(directory);
    // setWeights rightly refuses NaN, so write straight into the first kernel variable.
    const poison = () => {
      const kernel = model.trainableVariables[0]!;
      tf.tidy(() => kernel.assign(tf.fill(kernel.shape, Number.NaN)));
    };
    const error = await train({
      ...(await options({ epochs: 3 })),
      model,
      checkpoint: store,
      // Poison the weights once epoch 1's checkpoint is safely written.
      onEvent: (event) => {
        if (event.type === 'checkpoint' && event.epoch === 1) poison();
      },
    }).catch((e) => e);
    expect(error).toBeInstanceOf(NonFiniteLossError);
    expect(error.code).toBe('TRAIN_NON_FINITE_LOSS');
    expect(error.message).toMatch(
      /loss became NaN at epoch 2, batch 1; try a lower learningRate; the last good checkpoint is kept at/,
    );
    const kept = decodeCheckpoint((await store.load())!);
    expect(kept.progress).toMatchObject({ epoch: 2, batch: 0 });
    expect(Object.values(kept.model.weights).every((values) => values.every(Number.isFinite))).toBe(true);
    model.dispose();
  });

  it('names no checkpoint on a NaN loss before this run has saved one', async () => {
    await initBackend('cpu');
    const model = createModel(compactSpec, { seed: 3 });
    const kernel = model.trainableVariables[0]!;
    tf.tidy(() => kernel.assign(tf.fill(kernel.shape, Number.NaN)));
    const directory = await mkdtemp(join(tmpdir(), 'trainer-nan-'));
    const error = await train({
      ...(await options({ epochs: 1 })),
      model,
      checkpoint: directoryCheckpointStore(directory),
    }).catch((e) => e);
    expect(error).toBeInstanceOf(NonFiniteLossError);
    expect(error.message).toMatch(/loss became NaN at epoch 1, batch 1; try a lower learningRate$/);
    model.dispose();
  });

  it('keeps the tensor count flat from epoch to epoch', async () => {
    await initBackend('cpu');
    const counts: number[] = [];
    const result = await train({
      ...(await options({ epochs: 4, checkpoint: memoryCheckpointStore() })),
      onEvent: (event) => {
        if (event.type === 'epoch') counts.push(tf.memory().numTensors);
      },
    });
    result.model.dispose();
    expect(counts).toHaveLength(4);
    expect(new Set(counts).size).toBe(1);
  });
});
