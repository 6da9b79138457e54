import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { DataMismatchError, TrainOptionsError } from '../errors.js';
import { initBackend } from '../node-backend.js';
import type { TrainOptions } from '../options.js';
import { train } from '../train.js';
import { compactSpec, trainSubset } from './fixtures.js';

let base: TrainOptions;

beforeAll(async () => {
  await initBackend('cpu');
  base = { model: compactSpec, train: await trainSubset(64), epochs: 1, batchSize: 16 };
});

const cases: [string, Partial<TrainOptions> | (() => Partial<TrainOptions>), string][] = [
  ['batch size 0', { batchSize: 0 }, 'batchSize'],
  ['fractional batch size', { batchSize: 2.5 }, 'batchSize'],
  ['epochs < 1', { epochs: 0 }, 'epochs'],
  ['unknown optimizer', { optimizer: 'adagrad' as never }, 'optimizer'],
  ['NaN learning rate', { learningRate: Number.NaN }, 'learningRate'],
  ['negative learning rate', { learningRate: -0.1 }, 'learningRate'],
  ['unknown schedule', { schedule: 'linear' as never }, 'schedule'],
  ['validation split of 1', { validationSplit: 1 }, 'validationSplit'],
  ['negative seed', { seed: -1 }, 'seed'],
  ['unknown preset', { model: 'huge' }, 'model'],
  ['resume without a store', { resume: true }, 'resume'],
  ['val monitor without validation', { earlyStopping: { monitor: 'valLoss' } }, 'earlyStopping.monitor'],
];

describe('train rejects bad options before any work', () => {
  for (const [name, change, option] of cases) {
    it(name, async () => {
      const tensorsBefore = tf.memory().numTensors;
      const events: unknown[] = [];
      const overrides = typeof change === 'function' ? change() : change;
      const error = await train({ ...base, ...overrides, onEvent: (event) => void events.push(event) }).catch((e) => e);
      expect(error).toBeInstanceOf(TrainOptionsError);
      expect(error.code).toBe('TRAIN_INVALID_OPTION');
      expect(error.option).toBe(option);
      expect(events).toEqual([]);
      expect(tf.memory().numTensors).toBe(tensorsBefore);
    });
  }

  it('images whose size does not fit the model', async () => {
    const split = await trainSubset(64);
    const wrongSize = { ...split, rows: 14, cols: 56 };
    const tensorsBefore = tf.memory().numTensors;
    const error = await train({ ...base, train: wrongSize }).catch((e) => e);
    expect(error).toBeInstanceOf(DataMismatchError);
    expect(error.code).toBe('TRAIN_DATA_MISMATCH');
    expect(error.message).toMatch(/14×56×1 but model compact expects 28×28×1/);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });

  it('labels outside the model classes', async () => {
    const split = await trainSubset(64);
    const labels = split.labels.slice();
    labels[3] = 12;
    const error = await train({ ...base, train: { ...split, labels } }).catch((e) => e);
    expect(error).toBeInstanceOf(DataMismatchError);
    expect(error.message).toMatch(/label 12 at index 3/);
  });
});

describe('limit and validationSplit together', () => {
  it('train on the first images of the limit and validate on the rest of it, not on the end of the split', async () => {
    const split = await trainSubset(96);
    const starts: unknown[] = [];
    const run = (options: Partial<TrainOptions>) =>
      train({
        ...base,
        train: split,
        seed: 3,
        ...options,
        onEvent: (e) => void (e.type === 'start' && starts.push(e)),
      });
    const held = await run({ limit: 60, validationSplit: 0.25 });
    const explicit = await run({
      limit: 45,
      validation: {
        ...split,
        count: 15,
        images: split.images.subarray(45 * 784, 60 * 784),
        labels: split.labels.subarray(45, 60),
      },
    });
    expect(starts[0]).toMatchObject({ trainCount: 45, validationCount: 15 });
    expect(held.history[0]!.valLoss).toBeDefined();
    expect(held.history[0]!.valLoss).toBe(explicit.history[0]!.valLoss);
    expect(held.history[0]!.loss).toBe(explicit.history[0]!.loss);
  });
});
