import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelSpecError } from '../errors.js';
import {
  registerKernels as registerFastKernels,
  unregisterKernels as unregisterFastKernels,
} from '../kernels/tables.js';
import { createModel } from '../model.js';
import { getPreset, presets } from '../presets.js';
import type { ModelSpec } from '../spec.js';
import { fixedRandom, useBackend } from './backends.js';

describe('createModel', () => {
  beforeAll(() => useBackend('cpu'));

  it('builds the reference preset with the PyTorch/Keras parameter count', () => {
    const model = createModel(presets.reference, { seed: 1 });
    expect(model.parameterCount()).toBe(225_034);
    expect(model.trainableVariables.map((v) => v.shape)).toEqual([
      [3, 3, 1, 32],
      [32],
      [3, 3, 32, 64],
      [64],
      [1600, 128],
      [128],
      [128, 10],
      [10],
    ]);
    expect(model.nonTrainableVariables).toEqual([]);
    expect(model.summary()).toContain('conv2d_1 (conv2d)');
    expect(model.summary()).toContain('Total params: 225,034');
    model.dispose();
  });

  it('builds the best preset with batch-norm moving statistics as non-trainable variables', () => {
    const model = createModel(getPreset('best'), { seed: 1 });
    expect(model.nonTrainableVariables.length).toBe(14);
    expect(model.nonTrainableVariables.every((v) => !v.trainable)).toBe(true);
    expect(model.parameterCount({ trainableOnly: true })).toBeLessThan(model.parameterCount());
    model.dispose();
  });

  it('gives unique variable names per instance and the same weights for the same seed', () => {
    const a = createModel(presets.reference, { seed: 42 });
    const b = createModel(presets.reference, { seed: 42 });
    const c = createModel(presets.reference, { seed: 43 });
    const names = [...a.trainableVariables, ...b.trainableVariables].map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
    expect(a.getWeights()).toEqual(b.getWeights());
    expect(a.getWeights()['conv2d_1/kernel']).not.toEqual(c.getWeights()['conv2d_1/kernel']);
    tf.dispose([a, b, c].flatMap((m) => [...m.trainableVariables]));
  });

  it('draws He-scaled kernels and zero biases', () => {
    const model = createModel(presets.reference, { seed: 3 });
    const weights = model.getWeights();
    const kernel = weights['conv2d_2/kernel']!;
    const variance = kernel.reduce((s, v) => s + v * v, 0) / kernel.length;
    expect(variance).toBeGreaterThan((2 / 288) * 0.9);
    expect(variance).toBeLessThan((2 / 288) * 1.1);
    expect(Array.from(weights['conv2d_2/bias']!).every((v) => v === 0)).toBe(true);
    model.dispose();
  });

  it('rejects an unknown layer type and a spec whose last layer is not linear dense, creating no variables', () => {
    const before = tf.memory().numTensors;
    const bad = {
      ...presets.reference,
      layers: [{ type: 'conv3d' }, ...presets.reference.layers],
    } as unknown as ModelSpec;
    expect(() => createModel(bad)).toThrow(expect.objectContaining({ code: 'UNKNOWN_LAYER_TYPE' }));
    const noHead = { ...presets.reference, layers: presets.reference.layers.slice(0, -1) };
    expect(() => createModel(noHead)).toThrow(ModelSpecError);
    expect(() => getPreset('huge')).toThrow(expect.objectContaining({ code: 'UNKNOWN_PRESET' }));
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each([
    ['spec.name', { name: '' }, 'INVALID_SPEC', 'spec.name must be a non-empty string, got ""'],
    ['spec.inputShape', { inputShape: [28, 28] }, 'INVALID_SPEC', 'spec.inputShape must be [height, width, channels]'],
    ['spec.normalization', { normalization: { mean: 0, std: 0 } }, 'INVALID_SPEC', 'std: number > 0 }, got {"mean'],
    ['spec.layers', { layers: [] }, 'INVALID_SPEC', 'spec.layers must be a non-empty array, got []'],
    [
      'conv2d filters',
      { filters: 1.5 },
      'INVALID_LAYER',
      'layer 0 (conv2d): filters must be a positive integer, got 1.5',
    ],
    ['conv2d padding', { padding: 'full' }, 'INVALID_LAYER', `padding must be 'valid' or 'same', got "full"`],
    ['conv2d activation', { activation: 'tanh' }, 'INVALID_LAYER', `activation must be 'relu' or 'linear', got "tanh"`],
    ['conv2d kernelSize', { kernelSize: [3, 0] }, 'INVALID_LAYER', 'kernelSize must be positive integers, got [3,0]'],
    ['a kernel larger than the input', { kernelSize: 29 }, 'INVALID_SHAPE', 'kernel 29x29 is larger than input 28x28'],
    ['an unknown layer type', { type: 'toString' }, 'UNKNOWN_LAYER_TYPE', 'unknown layer type "toString"'],
  ])('refuses a bad %s with a typed error naming the value', (_, change, code, message) => {
    const reference = presets.reference;
    const isSpecField = Object.keys(change).some((key) => key in reference);
    const layers = [{ ...reference.layers[0]!, ...change }, ...reference.layers.slice(1)];
    const spec = (isSpecField ? { ...reference, ...change } : { ...reference, layers }) as ModelSpec;
    expect(() => createModel(spec)).toThrow(
      expect.objectContaining({ code, message: expect.stringContaining(message) }),
    );
  });

  it('refuses bad batch-norm, dropout and dense fields and class names', () => {
    const layers = presets.reference.layers;
    const spec = (layer: object, at = 1) =>
      ({ ...presets.reference, layers: [...layers.slice(0, at), layer, ...layers.slice(at)] }) as ModelSpec;
    const refusal = (message: string) => expect.objectContaining({ message: expect.stringContaining(message) });
    expect(() => createModel(spec({ type: 'batchNorm', momentum: 1 }))).toThrow(
      refusal('momentum must be a number in [0, 1), got 1'),
    );
    expect(() => createModel(spec({ type: 'batchNorm', epsilon: '1e-3' }))).toThrow(
      refusal('epsilon must be a number > 0'),
    );
    expect(() => createModel(spec({ type: 'dropout' }))).toThrow(
      refusal('rate must be a number in [0, 1), got undefined'),
    );
    expect(() => createModel(spec({ type: 'dense', units: 0 }, 5))).toThrow(
      refusal('units must be a positive integer, got 0'),
    );
    const classNames = { ...presets.reference, classNames: ['a', 'b'] };
    expect(() => createModel(classNames)).toThrow(refusal('spec.classNames must be 10 strings, one per output unit'));
  });

  it('rejects input of the wrong shape with a typed error', () => {
    const model = createModel(presets.reference);
    expect(() => model.predict(tf.zeros([2, 27, 28, 1]) as tf.Tensor4D)).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
    model.dispose();
  });
});

function batch(size: number, seed: number) {
  const x = tf.tensor4d(fixedRandom(size * 28 * 28, seed), [size, 28, 28, 1]);
  const labels = tf.tensor1d(
    Array.from({ length: size }, (_, i) => (i * 7 + seed) % 10),
    'int32',
  );
  return { x, labels };
}

for (const [backend, fast] of [
  ['cpu', false],
  ['wasm', false],
  ['cpu', true],
  ['wasm', true],
] as const) {
  describe(`no leaks on ${backend}${fast ? ' with fast kernels' : ''}`, () => {
    beforeAll(async () => {
      await useBackend(backend);
      if (fast) expect(registerFastKernels(backend).length).toBeGreaterThan(0);
    });
    afterAll(async () => {
      unregisterFastKernels(backend);
      await useBackend('cpu');
    });

    for (const preset of ['reference', 'best'] as const) {
      it(`${preset}: predict and a training step leave numTensors unchanged`, () => {
        expect(tf.getBackend()).toBe(backend);
        const start = tf.memory().numTensors;
        const model = createModel(getPreset(preset), { seed: 5 });
        const optimizer: tf.Optimizer = tf.train.adam(1e-3);
        const { x, labels } = batch(4, 1);
        const step = () => {
          const { loss, correct, gradients } = model.computeGradients(x, labels);
          optimizer.applyGradients(gradients);
          tf.dispose([loss, correct, ...Object.values(gradients)]);
        };
        step(); // the first step creates Adam's moment variables
        const before = tf.memory().numTensors;
        const probabilities = model.predict(x);
        expect(probabilities.shape).toEqual([4, 10]);
        const sums = tf.sum(probabilities, 1);
        expect(Array.from(sums.dataSync()).every((s) => Math.abs(s - 1) < 1e-5)).toBe(true);
        tf.dispose([probabilities, sums]);
        expect(tf.memory().numTensors).toBe(before);
        step();
        expect(tf.memory().numTensors).toBe(before);
        optimizer.dispose();
        model.dispose();
        tf.dispose([x, labels]);
        expect(tf.memory().numTensors).toBe(start);
      });
    }
  });
}
