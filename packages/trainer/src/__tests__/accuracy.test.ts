import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { evaluate, predictImages } from '../evaluate.js';
import type { BatchEvent, EpochEvent, TrainEvent } from '../events.js';
import { initBackend } from '../node-backend.js';
import { train } from '../train.js';
import { compactSpec, testSubset, trainSubset } from './fixtures.js';

describe.each(['cpu', 'wasm'] as const)('learning real MNIST (%s)', (backend) => {
  it('trains on 2,000 images and beats an accuracy floor on 1,000 held-out test images', async () => {
    await initBackend(backend);
    const events: TrainEvent[] = [];
    const result = await train({
      model: compactSpec,
      train: await trainSubset(2000),
      validationSplit: 0.1,
      epochs: 3,
      batchSize: 32,
      learningRate: 0.01,
      schedule: 'constant',
      augment: false,
      seed: 7,
      onEvent: (event) => void events.push(event),
    });
    const test = await testSubset(1000);
    try {
      const report = evaluate(result.model, test);
      expect(report.accuracy).toBeGreaterThan(0.85);
      expect(report.loss).toBeLessThan(0.6);
      expect(report.count).toBe(1000);
      expect(report.confusionMatrix.flat().reduce((a, b) => a + b, 0)).toBe(1000);
      expect(report.misclassified.length).toBe(Math.round((1 - report.accuracy) * 1000));
      for (const index of report.misclassified) expect(report.predictions[index]).not.toBe(test.labels[index]);
      expect(report.perClass.map((metrics) => metrics.support)).toEqual(
        Array.from({ length: 10 }, (_, digit) => test.labels.filter((label) => label === digit).length),
      );
      for (const metrics of report.perClass) expect(metrics.f1).toBeGreaterThan(0.6);
      // predictImages on raw bytes agrees with evaluate's batched path.
      const probabilities = predictImages(result.model, test.images.subarray(0, 20 * 784), 20, { batchSize: 7 });
      expect(probabilities).toHaveLength(200);
      for (let i = 0; i < 20; i++) {
        const row = Array.from(probabilities.subarray(i * 10, i * 10 + 10));
        expect(row.indexOf(Math.max(...row))).toBe(report.predictions[i]);
        expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
      }
    } finally {
      result.model.dispose();
    }
    const epochs = events.filter((event): event is EpochEvent => event.type === 'epoch');
    expect(epochs.map((event) => event.epoch)).toEqual([1, 2, 3]);
    expect(epochs[2]!.loss).toBeLessThan(epochs[0]!.loss);
    expect(epochs[2]!.valAccuracy).toBeGreaterThan(0.8);
    const batches = events.filter((event): event is BatchEvent => event.type === 'batch');
    expect(batches).toHaveLength(3 * Math.ceil(1800 / 32));
    expect(batches.at(-1)).toMatchObject({ epoch: 3, epochs: 3, batch: 57, batches: 57, learningRate: 0.01 });
    expect(batches.every((event) => event.imagesPerSecond > 0 && Number.isFinite(event.etaSeconds))).toBe(true);
    expect(result).toMatchObject({
      stopReason: 'completed',
      epochsCompleted: 3,
      trainCount: 1800,
      validationCount: 200,
    });
    expect(tf.getBackend()).toBe(backend);
  });
});

describe.each(['cpu', 'wasm'] as const)('the reference preset (%s)', (backend) => {
  it('learns 2,000 real images in one epoch well enough to classify held-out digits', async () => {
    await initBackend(backend);
    const result = await train({
      model: 'reference',
      train: await trainSubset(2000),
      epochs: 1,
      batchSize: 32,
      learningRate: 0.002,
      schedule: 'constant',
      augment: false,
      seed: 1,
    });
    try {
      expect(evaluate(result.model, await testSubset(1000)).accuracy).toBeGreaterThan(0.85);
    } finally {
      result.model.dispose();
    }
  });
});
