import * as tf from '@tensorflow/tfjs-core';
// Vite resolves this ESM file's extensionless imports; the gradients it registers are only the reference here.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchNormLayer } from '../batch-norm.js';
import { Conv2dLayer } from '../conv2d.js';
import { DenseLayer } from '../dense.js';
import {
  registerKernels as registerFastKernels,
  unregisterKernels as unregisterFastKernels,
} from '../kernels/tables.js';
import type { Layer } from '../layer.js';
import { MaxPool2dLayer } from '../max-pool2d.js';
import { type LayerSpec, planModel } from '../spec.js';
import { fixedRandom, relativeError, useBackend } from './backends.js';

/** Builds one layer (plus a dummy logits head so the spec is valid) with deterministic weights. */
function buildLayer(spec: LayerSpec, inputShape: [number, number, number] | [number]) {
  const shape3 = (inputShape.length === 3 ? inputShape : [1, 1, inputShape[0]]) as [number, number, number];
  const layers: LayerSpec[] =
    inputShape.length === 3
      ? [spec, { type: 'flatten' }, { type: 'dense', units: 2 }]
      : [{ type: 'flatten' }, spec, { type: 'dense', units: 2 }];
  const plans = planModel({ name: 't', inputShape: shape3, layers, normalization: { mean: 0, std: 1 } });
  const plan = inputShape.length === 3 ? plans[0]! : plans[1]!;
  const variables = plan.weights.map((w, i) =>
    tf.variable(
      tf.tensor(
        fixedRandom(
          w.shape.reduce((a, b) => a * b, 1),
          100 + i,
        ),
        w.shape,
      ),
      w.trainable,
    ),
  );
  const make: Record<string, () => Layer> = {
    conv2d: () => new Conv2dLayer(plan, variables),
    dense: () => new DenseLayer(plan, variables),
    maxPool2d: () => new MaxPool2dLayer(plan),
    batchNorm: () => new BatchNormLayer(plan, variables),
  };
  return { layer: make[spec.type]!(), variables };
}

/** The layer's input, built from a fixed seed. */
function layerInput(batchShape: number[]): tf.Tensor {
  return tf.tensor(
    fixedRandom(
      batchShape.reduce((a, b) => a * b, 1),
      7,
    ),
    batchShape,
  );
}

/** Our explicit backward of sum(forward(x) · upstream) on the active backend: [dx or [0], ...weight gradients]. */
function ourGradients(layer: Layer, x: tf.Tensor, needInputGradient = true): Float32Array[] {
  return tf.tidy(() => {
    const { y, backward } = layer.forward(x, { training: true });
    const upstream = tf.tensor(fixedRandom(y.size, 11), y.shape);
    const { dx, grads } = backward(upstream, needInputGradient);
    return [dx ?? tf.zeros([1]), ...grads].map((t) => (t.dataSync() as Float32Array).slice());
  });
}

/** Our explicit backward vs tfjs-core's registered gradients of sum(forward(x) · upstream). */
function compareWithStock(spec: LayerSpec, batchShape: number[], needInputGradient = true) {
  const perSample = batchShape.slice(1) as [number, number, number] | [number];
  const { layer, variables } = buildLayer(spec, perSample);
  const x = layerInput(batchShape);
  const ours = ourGradients(layer, x, needInputGradient);
  const trainable = variables.filter((v) => v.trainable);
  const stock = tf.tidy(() => {
    // tf.grads over (x, ...weights) through stock ops: conv2d, matMul, maxPool, moments all have registered gradients.
    const stockForward = (input: tf.Tensor, ...params: tf.Tensor[]) => stockLayer(spec, input, params);
    const grads = tf.grads(stockForward)([x, ...trainable.map((v) => tf.clone(v))]);
    return grads.map((t) => t.dataSync().slice());
  });
  if (!needInputGradient) stock[0] = new Float32Array([0]);
  tf.dispose([x, ...variables]);
  return { ours, stock };
}

/** The same layer written with plain stock ops, so tfjs-core's registered gradients apply. */
function stockLayer(spec: LayerSpec, x: tf.Tensor, params: tf.Tensor[]): tf.Scalar {
  let y: tf.Tensor;
  if (spec.type === 'conv2d') {
    const strides = spec.strides ?? 1;
    y = tf.conv2d(x as tf.Tensor4D, params[0] as tf.Tensor4D, strides as number, spec.padding ?? 'valid');
    if (params[1]) y = tf.add(y, params[1]);
    if (spec.activation === 'relu') y = tf.relu(y);
  } else if (spec.type === 'dense') {
    y = tf.add(tf.matMul(x as tf.Tensor2D, params[0] as tf.Tensor2D), params[1]!);
    if (spec.activation === 'relu') y = tf.relu(y);
  } else if (spec.type === 'maxPool2d') {
    y = tf.maxPool(x as tf.Tensor4D, spec.poolSize as number, spec.poolSize as number, 'valid');
  } else if (spec.type === 'batchNorm') {
    const axes = x.shape.slice(0, -1).map((_, i) => i);
    const { mean, variance } = tf.moments(x, axes);
    y = tf.add(
      tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, spec.epsilon ?? 1e-3))), params[0]!),
      params[1]!,
    );
  } else {
    throw new Error(`no stock version of ${spec.type}`);
  }
  return tf.sum(tf.mul(y, tf.tensor(fixedRandom(y.size, 11), y.shape)));
}

const convCases: Array<{ label: string; spec: LayerSpec; shape: number[] }> = [
  {
    label: 'stride 1 valid, batch 1',
    spec: { type: 'conv2d', filters: 4, kernelSize: 3, activation: 'relu' },
    shape: [1, 7, 7, 2],
  },
  {
    label: 'stride 1 same, odd 9x7, batch 3',
    spec: { type: 'conv2d', filters: 5, kernelSize: 3, padding: 'same' },
    shape: [3, 9, 7, 3],
  },
  {
    label: 'stride 2 valid, odd 9x9, batch 2',
    spec: { type: 'conv2d', filters: 3, kernelSize: 3, strides: 2, activation: 'relu' },
    shape: [2, 9, 9, 2],
  },
  {
    label: 'stride 2 valid, even 8x10 (unused edge)',
    spec: { type: 'conv2d', filters: 3, kernelSize: 3, strides: 2 },
    shape: [2, 8, 10, 2],
  },
  {
    label: 'stride 2 same, 5x5 kernel, odd 11x11',
    spec: { type: 'conv2d', filters: 4, kernelSize: 5, strides: 2, padding: 'same', activation: 'relu' },
    shape: [2, 11, 11, 3],
  },
  {
    label: 'stride 2 same, even 12x12, batch 1',
    spec: { type: 'conv2d', filters: 2, kernelSize: 5, strides: 2, padding: 'same' },
    shape: [1, 12, 12, 1],
  },
  {
    label: '1 channel, stride 1 valid, odd 9x7',
    spec: { type: 'conv2d', filters: 9, kernelSize: 3, activation: 'relu' },
    shape: [3, 9, 7, 1],
  },
  {
    label: '1 channel, stride 2 same, 3x3 kernel, odd 7x7, batch 1',
    spec: { type: 'conv2d', filters: 12, kernelSize: 3, strides: 2, padding: 'same' },
    shape: [1, 7, 7, 1],
  },
  {
    label: 'rectangular 3x2 kernel, no bias',
    spec: { type: 'conv2d', filters: 3, kernelSize: [3, 2], useBias: false },
    shape: [2, 6, 5, 2],
  },
];

for (const fast of [false, true]) {
  describe(`layer gradients match tfjs-core stock gradients (cpu${fast ? ', fast kernels' : ''})`, () => {
    beforeAll(async () => {
      await useBackend('cpu');
      if (fast) expect(registerFastKernels('cpu')).toHaveLength(7); // the convolution, dense and max-pool families, the optimizer update
    });
    afterAll(() => unregisterFastKernels('cpu'));

    for (const { label, spec, shape } of convCases) {
      it(`conv2d ${label}`, () => {
        const { ours, stock } = compareWithStock(spec, shape);
        expect(ours.length).toBe(stock.length);
        for (const [i, g] of ours.entries()) expect(relativeError(g, stock[i]!)).toBeLessThan(1e-5);
      });
    }

    it('conv2d as the first layer skips the input gradient', () => {
      const { ours } = compareWithStock(convCases[0]!.spec, convCases[0]!.shape, false);
      expect(Array.from(ours[0]!)).toEqual([0]);
    });

    it('maxPool2d 2x2 on odd 7x7 input (cropped edge gets zero gradient)', () => {
      const { ours, stock } = compareWithStock({ type: 'maxPool2d', poolSize: 2 }, [2, 7, 7, 3]);
      expect(relativeError(ours[0]!, stock[0]!)).toBeLessThan(1e-6);
    });

    it('maxPool2d 2x2 on even 8x6 input (the windows tile it)', () => {
      const { ours, stock } = compareWithStock({ type: 'maxPool2d', poolSize: 2 }, [3, 8, 6, 4]);
      expect(relativeError(ours[0]!, stock[0]!)).toBeLessThan(1e-6);
    });

    it('maxPool2d 3x3 on 9x6 input, batch 1', () => {
      const { ours, stock } = compareWithStock({ type: 'maxPool2d', poolSize: 3 }, [1, 9, 6, 2]);
      expect(relativeError(ours[0]!, stock[0]!)).toBeLessThan(1e-6);
    });

    it('maxPool2d 3x3 on 11x10 input (leftover rows and columns), batch 2', () => {
      const { ours, stock } = compareWithStock({ type: 'maxPool2d', poolSize: 3 }, [2, 11, 10, 2]);
      expect(relativeError(ours[0]!, stock[0]!)).toBeLessThan(1e-6);
    });

    it('dense relu', () => {
      const { ours, stock } = compareWithStock({ type: 'dense', units: 6, activation: 'relu' }, [4, 5]);
      for (const [i, g] of ours.entries()) expect(relativeError(g, stock[i]!)).toBeLessThan(1e-5);
    });

    it('dense linear 128 → 10 (the reference head), batch 3', () => {
      const { ours, stock } = compareWithStock({ type: 'dense', units: 10 }, [3, 128]);
      for (const [i, g] of ours.entries()) expect(relativeError(g, stock[i]!)).toBeLessThan(1e-5);
    });

    it('batchNorm over channels of a 4-D input', () => {
      const { ours, stock } = compareWithStock({ type: 'batchNorm' }, [3, 4, 5, 2]);
      for (const [i, g] of ours.entries()) expect(relativeError(g, stock[i]!)).toBeLessThan(1e-4);
    });

    it('batchNorm over features of a 2-D input', () => {
      const { ours, stock } = compareWithStock({ type: 'batchNorm' }, [6, 5]);
      for (const [i, g] of ours.entries()) expect(relativeError(g, stock[i]!)).toBeLessThan(1e-4);
    });
  });
}

/**
 * Geometries that send the conv gradients through the convolution kernel; those of 1 or 2 channels (kw · c not a
 * multiple of 16) only without the input gradient, as a first layer.
 */
const wasmConvCases: { label: string; spec: LayerSpec; shape: number[]; inputGradient: boolean }[] = [
  {
    label: 'input gradient: 16 channels, stride 2 valid, even 8x10 (unused edge)',
    spec: { type: 'conv2d', filters: 16, kernelSize: 3, strides: 2, activation: 'relu' },
    shape: [2, 8, 10, 16],
    inputGradient: true,
  },
  {
    label: 'input gradient: 16 channels, stride 2 same, 5x5 kernel, odd 11x11',
    spec: { type: 'conv2d', filters: 32, kernelSize: 5, strides: 2, padding: 'same' },
    shape: [2, 11, 11, 16],
    inputGradient: true,
  },
  {
    label: 'input gradient: 8 channels, rectangular 2x2 kernel, strides [2, 1], no bias',
    spec: { type: 'conv2d', filters: 16, kernelSize: [2, 2], strides: [2, 1], useBias: false },
    shape: [3, 7, 6, 8],
    inputGradient: true,
  },
  {
    label: 'no input gradient: 1 channel (odd patch), 3x3 stride 2 valid, even 8x10 (unused edge), 16 filters',
    spec: { type: 'conv2d', filters: 16, kernelSize: 3, strides: 2, activation: 'relu' },
    shape: [2, 8, 10, 1],
    inputGradient: false,
  },
  {
    label: 'no input gradient: 2 channels, 2x3 same, 32 filters, no bias',
    spec: { type: 'conv2d', filters: 32, kernelSize: [2, 3], padding: 'same', useBias: false },
    shape: [3, 6, 7, 2],
    inputGradient: false,
  },
];

describe('conv gradients through the convolution kernels match stock cpu gradients', () => {
  afterAll(async () => {
    unregisterFastKernels('cpu');
    unregisterFastKernels('wasm');
    await useBackend('cpu');
  });

  for (const backend of ['cpu', 'wasm'] as const) {
    for (const { label, spec, shape, inputGradient } of wasmConvCases) {
      it(`conv2d on ${backend}, ${label}`, async () => {
        await useBackend('cpu');
        unregisterFastKernels('cpu');
        const { stock } = compareWithStock(spec, shape, inputGradient);
        await useBackend(backend);
        expect(registerFastKernels(backend)).toContain('MnistCnnConvGradient');
        const { layer, variables } = buildLayer(spec, shape.slice(1) as [number, number, number]);
        const x = layerInput(shape);
        const ran = (await tf.profile(() => ourGradients(layer, x, inputGradient))).kernelNames;
        expect(ran).toContain('MnistCnnConvGradient');
        const ours = ourGradients(layer, x, inputGradient);
        tf.dispose([x, ...variables]);
        expect(ours.length).toBe(stock.length);
        for (const [i, g] of ours.entries()) expect(relativeError(g, stock[i]!)).toBeLessThan(1e-5);
      });
    }
  }
});

describe('fast max-pool gradient with tied maxima', () => {
  afterAll(() => {
    unregisterFastKernels('cpu');
    unregisterFastKernels('wasm');
  });

  // With 2x2 windows, 7 rows leave an edge no window covers (the upsampling mask) and 8 are tiled exactly (the
  // broadcast mask). The compiled loop takes channels four at a time, and the rest one at a time (3, 7 channels).
  // After a ReLU (`relu`), windows of zeros (tied at 0) pass no gradient.
  for (const [backend, rows, channels, pool, relu] of [
    ['cpu', 7, 3, 2, false],
    ['cpu', 8, 3, 2, true],
    ['wasm', 7, 3, 2, false],
    ['wasm', 8, 4, 2, false],
    ['wasm', 7, 8, 2, true],
    ['wasm', 9, 4, 3, false],
    ['wasm', 10, 8, [3, 2], true],
    ['wasm', 8, 7, 2, false],
    ['cpu', 9, 4, 3, true],
  ] as const) {
    it(`shares each window's gradient equally between ties, like the op-based mask (${backend}, ${rows}x6x${channels}, pool ${pool}${relu ? ', after a ReLU' : ''})`, async () => {
      await useBackend(backend);
      // Values from {0, 1, 2}: most windows hold tied maxima. A ReLU's output is 0 more often: many windows of zeros.
      const values = Array.from(fixedRandom(2 * rows * 6 * channels, 5), (v) =>
        Math.max(0, Math.floor((v + 1) * 1.5) - (relu ? 1 : 0)),
      );
      const gradient = (afterRelu: boolean) => {
        const spec: LayerSpec = { type: 'maxPool2d', poolSize: typeof pool === 'number' ? pool : [pool[0], pool[1]] };
        const layer: Layer = new MaxPool2dLayer(buildLayer(spec, [rows, 6, channels]).layer.plan, afterRelu);
        return tf.tidy(() => {
          const x = tf.tensor(values, [2, rows, 6, channels]);
          const { y, backward } = layer.forward(x, { training: true });
          const dx = backward(tf.tensor(fixedRandom(y.size, 3), y.shape), true).dx!;
          return { dx: dx.dataSync().slice(), throughRelu: tf.mul(dx, tf.step(x)).dataSync().slice() };
        });
      };
      const opBased = gradient(relu);
      expect(registerFastKernels(backend)).toContain('MnistCnnMaxPoolBackprop');
      const fast = gradient(relu);
      // The gradient after a ReLU is the pool's own passed through the ReLU's.
      if (relu) {
        const plain = gradient(false);
        expect(relativeError(fast.dx, plain.throughRelu)).toBeLessThan(1e-6);
        expect(relativeError(fast.dx, plain.dx)).toBeGreaterThan(0.01); // some windows of zeros were masked
      }
      unregisterFastKernels(backend);
      expect(relativeError(fast.dx, opBased.dx)).toBeLessThan(1e-6);
      expect(opBased.dx.filter((g) => g !== 0).length).toBeGreaterThan(opBased.dx.length / 4);
    });
  }
});

describe("the max-pool kernel matches tfjs's maxPool", () => {
  afterAll(() => {
    unregisterFastKernels('cpu');
    unregisterFastKernels('wasm');
  });

  // Random shapes: odd sizes (uncovered edges), 1 to 33 channels (whole vectors, a tail of single channels, both),
  // square and rectangular pools; the 2 × 2 pools of channels in whole vectors take their own loop.
  for (const backend of ['cpu', 'wasm'] as const) {
    it(`on ${backend}, random shapes`, async () => {
      await useBackend(backend);
      expect(registerFastKernels(backend)).toContain('MnistCnnMaxPool');
      for (let seed = 1; seed <= 12; seed++) {
        const draws = Array.from(fixedRandom(8, seed).slice(3), (v) => (v + 1) / 2);
        const pick = (values: number[], k: number) => values[Math.floor(draws[k]! * values.length)]!;
        const [n, h, w, c] = [
          pick([1, 2, 3], 0),
          pick([2, 5, 8, 13], 1),
          pick([3, 6, 7, 12], 2),
          pick([1, 3, 4, 8, 33], 3),
        ];
        const pool: [number, number] = seed % 3 ? [2, 2] : [pick([1, 2, 3], 4), 2];
        const x = tf.tensor4d(fixedRandom(n * h * w * c, seed), [n, h, w, c]);
        const ours = tf.engine().runKernel('MnistCnnMaxPool', { x }, { pool }) as tf.Tensor;
        const stock = tf.maxPool(x, pool, pool, 'valid');
        const label = `x [${n},${h},${w},${c}], pool ${pool}`;
        expect(ours.shape, label).toEqual(stock.shape);
        expect(Array.from(ours.dataSync()), label).toEqual(Array.from(stock.dataSync()));
        tf.dispose([x, ours, stock]);
      }
    });
  }
});
