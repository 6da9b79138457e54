import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { evaluate } from '../evaluate.js';
import type { BatchEvent, EpochEvent, TrainEvent } from '../events.js';
import { initBackend } from '../node-backend.js';
import { train } from '../train.js';
import { testSubset, trainSubset } from './fixtures.js';

describe.each(['cpu', 'wasm'] as const)('training the reference preset on 2,000 real MNIST images (%s)', (backend) => {
  it('beats a real accuracy floor on 1,000 held-out test images', async () => {
    await initBackend(backend);
    const events: TrainEvent[] = [];
    const started = performance.now();
    const result = await train({
      model: 'reference',
      train: await trainSubset(2000),
      validationSplit: 0.1,
      epochs: 2,
      batchSize: 32,
      learningRate: 0.002,
      seed: 7,
      onEvent: (event) => {
        events.push(event);
      },
    });
    const seconds = (performance.now() - started) / 1000;
    try {
      const report = evaluate(result.model, await testSubset(1000));
      console.log(`${backend}: test accuracy ${report.accuracy} after ${seconds.toFixed(1)} s`);
      expect(report.accuracy).toBeGreaterThan(0.9);
      expect(report.count).toBe(1000);
      expect(report.confusionMatrix.flat().reduce((a, b) => a + b, 0)).toBe(1000);
      expect(report.misclassified.length).toBe(Math.round((1 - report.accuracy) * 1000));
      expect(report.perClass).toHaveLength(10);
      for (const metrics of report.perClass) expect(metrics.f1).toBeGreaterThan(0.7);
    } finally {
      result.model.dispose();
    }
    const epochsSeen = events.filter((event): event is EpochEvent => event.type === 'epoch');
    expect(epochsSeen.map((event) => event.epoch)).toEqual([1, 2]);
    expect(epochsSeen[1]!.loss).toBeLessThan(epochsSeen[0]!.loss);
    expect(epochsSeen[1]!.valAccuracy).toBeGreaterThan(0.85);
    const batches = events.filter((event): event is BatchEvent => event.type === 'batch');
    expect(batches).toHaveLength(2 * Math.ceil(1800 / 32));
    expect(batches.at(-1)).toMatchObject({ epoch: 2, epochs: 2, batch: 57, batches: 57, learningRate: 0.002 });
    expect(batches.every((event) => event.imagesPerSecond > 0 && Number.isFinite(event.etaSeconds))).toBe(true);
    expect(result).toMatchObject({
      stopReason: 'completed',
      epochsCompleted: 2,
      trainCount: 1800,
      validationCount: 200,
    });
    expect(tf.getBackend()).toBe(backend);
  });
});
