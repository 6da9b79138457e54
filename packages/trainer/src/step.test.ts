import { type CnnModel, createModel, getPreset } from '@mnist-cnn/cnn-model';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './node-backend.js';
import { computeBatchGradients } from './step.js';

describe('computeBatchGradients', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('frees the gradients when reading the loss fails, since the caller never receives them', () => {
    const model = createModel(getPreset('reference'), { seed: 1 });
    const pixels = new Float32Array(2 * 28 * 28).fill(0.5);
    const labels = Int32Array.from([3, 7]);
    // A model whose loss tensor is gone by the time it is read: dataSync then throws, as it would on a lost backend.
    const losing = Object.create(model) as CnnModel;
    losing.computeGradients = (...args) => {
      const result = model.computeGradients(...args);
      result.loss.dispose();
      return result;
    };
    const before = tf.memory().numTensors;
    expect(() => computeBatchGradients(losing, pixels, labels, 1)).toThrow(/disposed/);
    expect(tf.memory().numTensors).toBe(before);
    // The same batch on the unaltered model returns gradients for the caller to free.
    const { gradients } = computeBatchGradients(model, pixels, labels, 1);
    expect(Object.keys(gradients).length).toBe(model.trainableVariables.length);
    tf.dispose(gradients);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
