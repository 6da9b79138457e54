import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createModel, type ModelSpec } from '@mnist-cnn/cnn-model';
import { sliceSplit } from '@mnist-cnn/mnist-data';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Checkpoint, decodeCheckpoint, encodeCheckpoint, memoryCheckpointStore } from '../checkpoint.js';
import { CheckpointError, NonFiniteStateError } from '../errors.js';
import { initBackend } from '../node-backend.js';
import { checkpointFileName, directoryCheckpointStore } from '../node-checkpoint.js';
import type { TrainOptions } from '../options.js';
import { train } from '../train.js';
import { compactSpec, mnist, trainSubset } from './fixtures.js';

async function options(extra: Partial<TrainOptions> = {}): Promise<TrainOptions> {
  return {
    model: compactSpec,
    train: await trainSubset(256),
    dataset: { name: 'mnist', source: 'the first 256 training images' },
    epochs: 2,
    batchSize: 32,
    // A schedule that does not depend on the run's length, so a one-epoch checkpoint may continue into a second.
    schedule: 'constant',
    seed: 5,
    ...extra,
  };
}

/** The checkpoint of one finished epoch, decoded, to be damaged by a test. */
async function oneEpochCheckpoint(): Promise<Checkpoint> {
  const store = memoryCheckpointStore();
  (await train(await options({ checkpoint: store, epochs: 1 }))).model.dispose();
  return decodeCheckpoint(store.latest!);
}

function resumeFrom(checkpoint: Checkpoint, extra: Partial<TrainOptions> = {}) {
  return options({ checkpoint: memoryCheckpointStore(encodeCheckpoint(checkpoint)), resume: true, ...extra }).then(
    train,
  );
}

beforeAll(() => initBackend('cpu'));

describe('a checkpoint records its data', () => {
  it('refuses to resume on other data, saying what differs', async () => {
    const saved = await oneEpochCheckpoint();
    expect(saved.dataset).toMatchObject({ name: 'mnist', source: 'the first 256 training images' });
    expect(saved.dataset?.imagesSha256).toMatch(/^[0-9a-f]{64}$/);
    const other = sliceSplit((await mnist()).train, 256, 512);
    const error = await resumeFrom(saved, {
      train: other,
      dataset: { name: 'fashion-mnist', source: 'somewhere else' },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as CheckpointError).code).toBe('CHECKPOINT_MISMATCH');
    expect((error as Error).message).toMatch(
      /trained on other data \(dataset was mnist, now fashion-mnist; training images SHA-256 was [0-9a-f]{12}…, now [0-9a-f]{12}…; training labels .*read from the first 256 training images, now from somewhere else\)/,
    );
    // The same bytes under another source label are the same data.
    const same = await resumeFrom(saved, { dataset: { name: 'mnist', source: 'a copy elsewhere' } });
    expect(same.history).toHaveLength(2);
    same.model.dispose();
  });
});

describe('checkpoint fields are validated when read', () => {
  const damaged: [string, (c: Checkpoint) => void, RegExp][] = [
    [
      'NaN in an optimizer slot',
      (c) => {
        c.optimizer.slots[0]!.values[2] = Number.NaN;
      },
      /optimizer slot 0 holds NaN at index 2/,
    ],
    [
      'an infinite weight',
      (c) => {
        Object.values(c.model.weights)[0]![0] = Number.POSITIVE_INFINITY;
      },
      /holds Infinity/,
    ],
    [
      'an epoch past the run',
      (c) => {
        c.progress.epoch = 99;
      },
      /progress.epoch 99 is outside 1…2/,
    ],
    [
      'a negative batch',
      (c) => {
        c.progress.batch = -1;
      },
      /progress.batch -1 is not a count/,
    ],
    [
      'another optimizer than the run',
      (c) => {
        c.optimizer.config = { name: 'sgd', momentum: 0, nesterov: false };
      },
      /belongs to another optimizer configuration/,
    ],
  ];
  for (const [what, damage, message] of damaged) {
    it(`refuses ${what} with CHECKPOINT_CORRUPT`, async () => {
      const checkpoint = await oneEpochCheckpoint();
      damage(checkpoint);
      const bytes = encodeCheckpoint(checkpoint);
      expect(() => decodeCheckpoint(bytes, 'x.ckpt')).toThrow(
        expect.objectContaining({ code: 'CHECKPOINT_CORRUPT', message: expect.stringMatching(message) }),
      );
      await expect(resumeFrom(checkpoint)).rejects.toBeInstanceOf(CheckpointError);
    });
  }
});

describe('non-finite state', () => {
  it('stops the run with NonFiniteStateError before a checkpoint would save it, keeping the last good one', async () => {
    // Batch norm's moving statistics do not feed the training loss, so NaN there never shows up as a NaN loss.
    const spec: ModelSpec = {
      ...compactSpec,
      layers: [compactSpec.layers[0]!, { type: 'batchNorm' }, ...compactSpec.layers.slice(1)],
    };
    const model = createModel(spec, { seed: 3 });
    const directory = await mkdtemp(join(tmpdir(), 'trainer-nan-state-'));
    const store = directoryCheckpointStore(directory);
    const error = await train({
      ...(await options({ epochs: 3 })),
      model,
      checkpoint: store,
      onEvent: (event) => {
        if (event.type === 'checkpoint' && event.epoch === 1) {
          const movingMean = model.nonTrainableVariables[0]!;
          tf.tidy(() => movingMean.assign(tf.fill(movingMean.shape, Number.NaN)));
        }
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonFiniteStateError);
    expect((error as NonFiniteStateError).code).toBe('TRAIN_NON_FINITE_STATE');
    expect((error as Error).message).toMatch(/holds NaN .*nothing was saved, the last good checkpoint is kept at/);
    expect(decodeCheckpoint((await store.load())!).progress).toMatchObject({ epoch: 2, batch: 0 });
    model.dispose();
    await rm(directory, { recursive: true, force: true });
  });
});

describe('the checkpoint file', () => {
  it('is refused when it is a FIFO, instead of blocking the run', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'trainer-fifo-'));
    execFileSync('mkfifo', [join(directory, checkpointFileName)]);
    await expect(directoryCheckpointStore(directory).load()).rejects.toThrow(
      expect.objectContaining({
        code: 'CHECKPOINT_CORRUPT',
        message: expect.stringMatching(/is a FIFO, expected a regular file/),
      }),
    );
    await rm(directory, { recursive: true, force: true });
  });
});
