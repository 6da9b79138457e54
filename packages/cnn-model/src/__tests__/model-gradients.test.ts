import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { kernelNames as fastKernelNames } from '../kernels/names.js';
import {
  registerKernels as registerFastKernels,
  unregisterKernels as unregisterFastKernels,
} from '../kernels/tables.js';
import { createModel } from '../model.js';
import { getPreset } from '../presets.js';
import type { ModelSpec } from '../spec.js';
import { fixedRandom, relativeError, useBackend } from './backends.js';

const small: ModelSpec = {
  name: 'small',
  inputShape: [9, 9, 2],
  normalization: { mean: 0, std: 1 },
  layers: [
    { type: 'conv2d', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' },
    { type: 'maxPool2d', poolSize: 2 },
    { type: 'conv2d', filters: 5, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' },
    { type: 'flatten' },
    { type: 'dense', units: 6, activation: 'relu' },
    { type: 'dense', units: 3 },
  ],
};

const rectangular: ModelSpec = {
  ...small,
  name: 'rectangular',
  layers: [
    { type: 'conv2d', filters: 4, kernelSize: [3, 2], activation: 'relu' },
    { type: 'maxPool2d', poolSize: 2 },
    { type: 'conv2d', filters: 5, kernelSize: [2, 3], activation: 'relu' },
    { type: 'flatten' },
    { type: 'dense', units: 3 },
  ],
};

/** A short first-layer patch with stride and padding, then one without bias: the wasm short-patch filter gradient. */
const stridedShortPatches: ModelSpec = {
  ...small,
  name: 'strided-short-patches',
  inputShape: [9, 9, 1],
  layers: [
    { type: 'conv2d', filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' },
    { type: 'conv2d', filters: 4, kernelSize: [2, 1], useBias: false, activation: 'relu' },
    { type: 'conv2d', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' },
    { type: 'flatten' },
    { type: 'dense', units: 3 },
  ],
};

const withNormAndDropout: ModelSpec = {
  ...small,
  name: 'bn',
  layers: [
    { type: 'conv2d', filters: 4, kernelSize: 3, activation: 'relu' },
    { type: 'batchNorm' },
    { type: 'conv2d', filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' },
    { type: 'batchNorm' },
    { type: 'dropout', rate: 0.3 },
    { type: 'flatten' },
    { type: 'dense', units: 6, activation: 'relu' },
    { type: 'batchNorm' },
    { type: 'dense', units: 3 },
  ],
};

function inputs(spec: ModelSpec, n: number) {
  const [h, w, c] = spec.inputShape;
  return {
    x: tf.tensor4d(fixedRandom(n * h * w * c, 3), [n, h, w, c]),
    labels: tf.tensor1d(
      Array.from({ length: n }, (_, i) => i % 3),
      'int32',
    ),
  };
}

function gradientsOf(spec: ModelSpec, n: number, seed = 9) {
  const model = createModel(spec, { seed: 1 });
  const { x, labels } = inputs(spec, n);
  const { loss, correct, gradients } = model.computeGradients(x, labels, { seed });
  const byWeight = Object.fromEntries(
    Object.keys(model.getWeights())
      .filter((name) => gradients[model.variableName(name)])
      .map((name) => [name, gradients[model.variableName(name)]!.dataSync().slice()]),
  );
  const result = { loss: loss.dataSync()[0]!, byWeight };
  tf.dispose([loss, correct, x, labels, ...Object.values(gradients)]);
  model.dispose();
  return result;
}

for (const fast of [false, true]) {
  describe(`whole-model gradients (cpu${fast ? ', fast kernels' : ''})`, () => {
    const useCpu = async () => {
      await useBackend('cpu');
      if (fast) expect(registerFastKernels('cpu').length).toBeGreaterThan(0);
    };
    afterEach(() => unregisterFastKernels('cpu'));

    it('match tfjs-core stock gradients of the same forward pass, batch 1 and 3', async () => {
      await useCpu();
      for (const n of [1, 3]) {
        const model = createModel(small, { seed: 1 });
        const { x, labels } = inputs(small, n);
        const ours = model.computeGradients(x, labels);
        // The stock reference differentiates the forward ops, so it runs without our (gradient-less) kernels.
        unregisterFastKernels('cpu');
        const stock = tf.variableGrads(
          () => tf.losses.softmaxCrossEntropy(tf.oneHot(labels, 3), model.logits(x)),
          model.trainableVariables,
        );
        expect(Math.abs(ours.loss.dataSync()[0]! - stock.value.dataSync()[0]!)).toBeLessThan(1e-5);
        for (const variable of model.trainableVariables) {
          expect(
            relativeError(ours.gradients[variable.name]!.dataSync(), stock.grads[variable.name]!.dataSync()),
          ).toBeLessThan(1e-4);
        }
        tf.dispose([
          ours.loss,
          ours.correct,
          x,
          labels,
          stock.value,
          ...Object.values(ours.gradients),
          ...Object.values(stock.grads),
        ]);
        model.dispose();
        if (fast) registerFastKernels('cpu');
      }
    });

    it('match central finite differences, with batch norm and a fixed dropout mask', async () => {
      await useCpu();
      // Linear activations keep the loss smooth, so a float32 central difference is accurate (ReLU kinks are not).
      const smooth: ModelSpec = {
        ...withNormAndDropout,
        layers: withNormAndDropout.layers.map((l) => ('activation' in l ? { ...l, activation: 'linear' } : l)),
      };
      const model = createModel(smooth, { seed: 2 });
      const { x, labels } = inputs(smooth, 4);
      const lossAt = () => {
        const { loss, correct, gradients } = model.computeGradients(x, labels, { seed: 77 });
        const value = loss.dataSync()[0]!;
        tf.dispose([loss, correct, ...Object.values(gradients)]);
        return value;
      };
      const { loss, correct, gradients } = model.computeGradients(x, labels, { seed: 77 });
      const weights = model.getWeights();
      const epsilon = 1e-2;
      let checked = 0;
      for (const [name, values] of Object.entries(weights)) {
        if (!model.trainableVariables.some((v) => v.name === model.variableName(name))) continue;
        const analytic = gradients[model.variableName(name)]!.dataSync();
        for (const index of [0, Math.floor(values.length / 2), values.length - 1]) {
          const original = values[index]!;
          values[index] = original + epsilon;
          model.setWeights(weights);
          const up = lossAt();
          values[index] = original - epsilon;
          model.setWeights(weights);
          const down = lossAt();
          values[index] = original;
          const numeric = (up - down) / (2 * epsilon);
          expect(
            Math.abs(numeric - analytic[index]!),
            `${name}[${index}] numeric ${numeric} analytic ${analytic[index]}`,
          ).toBeLessThan(2e-3 + 0.05 * Math.abs(numeric));
          checked++;
        }
      }
      model.setWeights(weights);
      expect(checked).toBeGreaterThan(20);
      tf.dispose([loss, correct, x, labels, ...Object.values(gradients)]);
      model.dispose();
    });
  });
}

describe('wasm computes the same gradients as cpu', () => {
  afterAll(() => useBackend('cpu'));

  for (const [label, spec, n] of [
    ['small net, batch 1', small, 1],
    ['batch norm + dropout, batch 5', withNormAndDropout, 5],
    ['reference preset, batch 2', getPreset('reference'), 2],
  ] as const) {
    it(label, async () => {
      await useBackend('cpu');
      const cpu = gradientsOf(spec, n);
      await useBackend('wasm');
      expect(tf.getBackend()).toBe('wasm');
      const wasm = gradientsOf(spec, n);
      expect(Math.abs(cpu.loss - wasm.loss)).toBeLessThan(1e-4);
      expect(Object.keys(wasm.byWeight)).toEqual(Object.keys(cpu.byWeight));
      for (const name of Object.keys(cpu.byWeight)) {
        expect(relativeError(wasm.byWeight[name]!, cpu.byWeight[name]!), name).toBeLessThan(1e-3);
      }
    });
  }
});

describe('fast kernels', () => {
  afterAll(async () => {
    unregisterFastKernels('cpu');
    await useBackend('cpu');
  });

  it('are the same table on cpu and wasm', async () => {
    const table = [
      fastKernelNames.convForward,
      fastKernelNames.convGradient,
      fastKernelNames.denseForward,
      fastKernelNames.denseGradient,
      fastKernelNames.maxPool,
      fastKernelNames.maxPoolBackprop,
      fastKernelNames.optimizerUpdate,
    ];
    await useBackend('wasm');
    expect(registerFastKernels('wasm')).toEqual(table);
    expect(registerFastKernels()).toEqual(table);
    unregisterFastKernels();
    expect(tf.getKernel(fastKernelNames.maxPoolBackprop, 'wasm')).toBeUndefined();
    await useBackend('cpu');
    expect(registerFastKernels()).toEqual(table);
    unregisterFastKernels();
    expect(tf.getKernel(fastKernelNames.convForward, 'cpu')).toBeUndefined();
  });

  for (const [label, spec, n] of [
    ['small net (stride 2, same padding), batch 3', small, 3],
    ['batch norm + dropout, batch 5', withNormAndDropout, 5],
    ['rectangular 3x2 and 2x3 kernels, batch 2', rectangular, 2],
    ['reference preset, batch 4', getPreset('reference'), 4],
    // An odd count of output pixels: the convolution kernels' last 2-pixel tile overlaps or runs 1 pixel alone.
    ['reference preset, batch 3', getPreset('reference'), 3],
    ['short strided patches and a conv without bias, batch 3', stridedShortPatches, 3],
  ] as const) {
    it(`${label}: fast cpu and fast wasm match plain cpu and plain wasm`, async () => {
      await useBackend('wasm');
      const wasm = gradientsOf(spec, n);
      expect(registerFastKernels('wasm')).toContain('MnistCnnConvGradient');
      const fastWasm = gradientsOf(spec, n);
      unregisterFastKernels('wasm');
      await useBackend('cpu');
      const plain = gradientsOf(spec, n);
      registerFastKernels('cpu');
      const fast = gradientsOf(spec, n);
      unregisterFastKernels('cpu');
      // Our convolution kernels sum in another order than XNNPACK (with fused multiply-adds where the engine has
      // them, and Winograd's transforms), so they agree to float32 rounding rather than bit for bit: sums of hundreds
      // of products reordered differ by about √n · 6e-8 of their largest terms, so 1e-6 is below what float32 can
      // promise. 1e-5 is still ~80 ulp of the largest gradient; a real kernel bug (a wrong tap, a missed channel, a
      // wrong tile edge) errs by the order of the gradient itself. PyTorch's float32 assert_close allows atol 1e-5.
      expect(Math.abs(fastWasm.loss - wasm.loss)).toBeLessThan(1e-5);
      for (const name of Object.keys(wasm.byWeight)) {
        expect(relativeError(fastWasm.byWeight[name]!, wasm.byWeight[name]!), name).toBeLessThan(1e-5);
      }
      for (const other of [wasm, plain]) {
        expect(Math.abs(fast.loss - other.loss)).toBeLessThan(1e-4);
        expect(Object.keys(fast.byWeight)).toEqual(Object.keys(other.byWeight));
        for (const name of Object.keys(other.byWeight)) {
          expect(relativeError(fast.byWeight[name]!, other.byWeight[name]!), name).toBeLessThan(1e-3);
        }
      }
    });
  }
});
