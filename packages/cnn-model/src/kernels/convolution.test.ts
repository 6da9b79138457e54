import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { afterAll, describe, expect, it } from 'vitest';
import { fixedRandom, relativeError, useBackend } from '../__tests__/backends.js';
import { conv2dGradients } from '../conv-gradients.js';
import { kernelNames } from './names.js';
import { registerKernels, unregisterKernels } from './tables.js';

type Shape4 = [number, number, number, number];
type Case = { x: Shape4; kernel: [number, number]; strides: [number, number]; oc: number };

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const outputShape = ({ x: [n, h, w], kernel, strides, oc }: Case): Shape4 => [
  n,
  Math.floor((h - kernel[0]) / strides[0]) + 1,
  Math.floor((w - kernel[1]) / strides[1]) + 1,
  oc,
];

/** The case's x, filter, bias and dy on the active backend. */
function tensorsOf(test: Case, values: Float32Array[]) {
  const [x, filter, bias, dy] = values as [Float32Array, Float32Array, Float32Array, Float32Array];
  return {
    x: tf.tensor4d(x, test.x),
    filter: tf.tensor4d(filter, [...test.kernel, test.x[3], test.oc]),
    bias: tf.tensor1d(bias),
    dy: tf.tensor4d(dy, outputShape(test)),
  };
}

// tfjs-backend-cpu's own Conv2D and its gradients (Conv2DBackpropFilter / Conv2DBackpropInput), as plain arrays.
async function stockOnCpu(test: Case, values: Float32Array[]) {
  await useBackend('cpu');
  const { x, filter, bias, dy } = tensorsOf(test, values);
  const conv = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, test.strides, 'valid');
  const y = tf.relu(tf.add(conv(x, filter), bias));
  const [dx, dFilter] = tf.grads(conv)([x, filter], dy);
  const arrays = [y, dFilter!, tf.sum(dy, [0, 1, 2]), dx!].map((tensor) => tensor.dataSync().slice());
  tf.dispose([x, filter, bias, dy, y, dx!, dFilter!]);
  return arrays;
}

/** The two kernels of the family, through the kernel table, as plain arrays. */
function oursOnWasm(test: Case, values: Float32Array[]) {
  const { x, filter, bias, dy } = tensorsOf(test, values);
  const { kernel, strides } = test;
  const run = (name: string, inputs: tf.NamedTensorMap, attrs: object) =>
    tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];
  const y = run(kernelNames.convForward, { x, filter, bias }, { strides, relu: true }) as tf.Tensor;
  const filterRows = tf.transpose(tf.reshape(filter, [sizeOf(filter.shape) / test.oc, test.oc]));
  const [dFilter, dBias, dx] = run(kernelNames.convGradient, { x, dy, filterRows }, { kernel, strides }) as tf.Tensor[];
  const arrays = [y, dFilter!, dBias!, dx!].map((tensor) => tensor.dataSync().slice());
  tf.dispose([x, filter, bias, dy, y, dFilter!, dBias!, filterRows, dx!]);
  return arrays;
}

describe('convolution kernels on wasm', () => {
  afterAll(() => unregisterKernels('wasm'));

  // Odd pixel counts (a last tile of one pixel), several 128-pixel blocks, a batch of one, rectangular kernels,
  // strides that leave an unused edge, an odd patch (its last tile of one column); the 3×3 stride-1 forwards run as
  // Winograd's, with odd output sizes (tiles cut at the edge) and an odd tile count.
  for (const test of [
    { x: [3, 13, 13, 32], kernel: [3, 3], strides: [1, 1], oc: 64 },
    { x: [1, 8, 7, 16], kernel: [3, 3], strides: [1, 1], oc: 16 },
    { x: [1, 7, 6, 16], kernel: [3, 2], strides: [1, 1], oc: 16 },
    { x: [2, 5, 9, 8], kernel: [2, 4], strides: [1, 1], oc: 32 },
    { x: [2, 12, 11, 32], kernel: [5, 5], strides: [2, 2], oc: 32 },
    { x: [3, 9, 10, 16], kernel: [3, 2], strides: [2, 1], oc: 16 },
  ] as Case[]) {
    it(`match tfjs-backend-cpu's conv2d and its gradients: x [${test.x}], kernel ${test.kernel}, strides ${test.strides}, ${test.oc} filters`, async () => {
      const values = [sizeOf(test.x), sizeOf([...test.kernel, test.x[3], test.oc]), test.oc, sizeOf(outputShape(test))];
      const inputs = values.map((length, k) => fixedRandom(length, k + 1));
      const expected = await stockOnCpu(test, inputs);
      await useBackend('wasm');
      registerKernels('wasm');
      const ours = oursOnWasm(test, inputs);
      for (const [k, name] of ['y', 'dFilter', 'dBias', 'dx'].entries()) {
        expect(relativeError(ours[k]!, expected[k]!), name).toBeLessThan(1e-5);
      }
    });
  }

  // The forward product of 3×3 stride-1 filters with inC % 4 = 0 runs as Winograd's F(2×2, 3×3) (its 2×2 output
  // tiles cut at odd edges, its chunks of tiles ending mid-batch): random shapes against tfjs's own conv2d, with
  // 'same' padding done by padding x, as the layer would; inC = 6 runs the direct product beside it.
  it("Winograd's forward matches tfjs's conv2d on random shapes, odd sizes, 'same' and 'valid'", async () => {
    await useBackend('wasm');
    registerKernels('wasm');
    for (let seed = 1; seed <= 12; seed++) {
      // The generator's first draws barely move with the seed: skip them.
      const draws = fixedRandom(8, seed).slice(3);
      const pick = (values: number[], k: number) => values[Math.floor(((draws[k]! + 1) / 2) * values.length)]!;
      const [n, h, w] = [pick([1, 2, 3, 5], 0), pick([3, 4, 5, 8, 13, 14], 1), pick([3, 6, 7, 11], 2)];
      const [c, oc] = [pick([4, 6, 8, 32], 3), pick([16, 32, 64], 4)];
      const padding = seed % 2 ? 'same' : 'valid';
      const relu = seed % 3 !== 0;
      const x = tf.tensor4d(fixedRandom(n * h * w * c, seed), [n, h, w, c]);
      const filter = tf.tensor4d(fixedRandom(9 * c * oc, seed + 100), [3, 3, c, oc]);
      const bias = seed % 4 ? tf.tensor1d(fixedRandom(oc, seed + 200)) : undefined;
      const activation = relu ? 'relu' : 'linear';
      const expected = tf.fused.conv2d({ x, filter, bias, strides: 1, pad: padding, activation });
      const padded =
        padding === 'same'
          ? tf.pad(x, [
              [0, 0],
              [1, 1],
              [1, 1],
              [0, 0],
            ])
          : x;
      const inputs: tf.NamedTensorMap = bias ? { x: padded, filter, bias } : { x: padded, filter };
      const y = tf.engine().runKernel(kernelNames.convForward, inputs, { strides: [1, 1], relu }) as tf.Tensor;
      const label = `x [${x.shape}], ${oc} filters, ${padding}, ${activation}${bias ? '' : ', no bias'}`;
      expect(y.shape, label).toEqual(expected.shape);
      expect(relativeError(y.dataSync(), expected.dataSync()), label).toBeLessThan(1e-5);
      tf.dispose([x, filter, bias, expected, padded, y].filter((tensor) => tensor !== undefined));
    }
    // Its scratch (transformed filter, tiles and products) is freed: once the output is disposed, the backend holds
    // as many buffers as before the call.
    const [x, filter] = [tf.ones([2, 7, 7, 4]), tf.ones([3, 3, 4, 16])];
    const held = tf.backend().numDataIds();
    tf.dispose(tf.engine().runKernel(kernelNames.convForward, { x, filter }, { strides: [1, 1], relu: false }));
    expect(tf.backend().numDataIds()).toBe(held);
    tf.dispose([x, filter]);
  });

  // The gradients of 3×3 stride-1 convolutions run as Winograd's too, in one call: through the layer's own call ('same'
  // padding, crops), on both backends, against tfjs-backend-cpu's Conv2DBackpropFilter and Conv2DBackpropInput.
  it("Winograd's gradients match tfjs's on random shapes, odd sizes, 'same' and 'valid', on cpu and wasm", async () => {
    for (let seed = 1; seed <= 10; seed++) {
      const draws = fixedRandom(8, seed).slice(3);
      const pick = (values: number[], k: number) => values[Math.floor(((draws[k]! + 1) / 2) * values.length)]!;
      const [n, h, w] = [pick([1, 2, 3, 5], 0), pick([3, 4, 5, 8, 13, 14], 1), pick([3, 6, 7, 11], 2)];
      const [c, oc] = [pick([4, 8, 16, 32], 3), pick([16, 32, 64], 4)];
      const padding = seed % 2 ? 'same' : 'valid';
      const pads =
        padding === 'same' ? { top: 1, bottom: 1, left: 1, right: 1 } : { top: 0, bottom: 0, left: 0, right: 0 };
      const geometry = { kernel: [3, 3] as [number, number], strides: [1, 1] as [number, number], pads };
      const dyShape: Shape4 = padding === 'same' ? [n, h, w, oc] : [n, h - 2, w - 2, oc];
      const values = [
        fixedRandom(n * h * w * c, seed),
        fixedRandom(9 * c * oc, seed + 100),
        fixedRandom(sizeOf(dyShape), seed + 200),
      ];
      const label = `x [${n},${h},${w},${c}], ${oc} filters, ${padding}`;
      await useBackend('cpu');
      unregisterKernels('cpu');
      const expected = (() => {
        const [x, filter, dy] = [
          tf.tensor4d(values[0]!, [n, h, w, c]),
          tf.tensor4d(values[1]!, [3, 3, c, oc]),
          tf.tensor4d(values[2]!, dyShape),
        ];
        const conv = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, padding);
        const [dx, dFilter] = tf.grads(conv)([x, filter], dy);
        const arrays = [dFilter!, dx!, tf.sum(dy, [0, 1, 2])].map((tensor) => tensor.dataSync().slice());
        tf.dispose([x, filter, dy, dx!, dFilter!]);
        return arrays;
      })();
      for (const backend of ['cpu', 'wasm'] as const) {
        await useBackend(backend);
        registerKernels(backend);
        const [x, filter, dy] = [
          tf.tensor4d(values[0]!, [n, h, w, c]),
          tf.tensor4d(values[1]!, [3, 3, c, oc]),
          tf.tensor4d(values[2]!, dyShape),
        ];
        // The input gradient needs c % 16 = 0; without it the filter gradient runs as Winograd's alone.
        const ours = conv2dGradients(x, dy, filter, geometry, true, c % 16 === 0);
        expect(ours.dx === null, label).toBe(c % 16 !== 0);
        for (const [k, name] of (['filter', 'dx', 'bias'] as const).entries()) {
          if (name === 'dx' && !ours.dx) continue;
          const gradient = ours[name]!.dataSync();
          expect(relativeError(gradient, expected[k]!), `${name}, ${label}, ${backend}`).toBeLessThan(1e-5);
        }
        tf.dispose([x, filter, dy, ...Object.values(ours).filter((tensor) => tensor !== null)]);
        unregisterKernels(backend);
      }
    }
  });

  // One input channel (the presets' first layer) has a forward loop of its own, and an odd patch of 9 columns for the
  // filter gradient (its last tile of one column); its input gradient is never needed, nor taken (kw · c = 3).
  for (const test of [
    { x: [3, 9, 9, 1], kernel: [3, 3], strides: [1, 1], oc: 32 },
    { x: [2, 11, 10, 1], kernel: [5, 4], strides: [2, 3], oc: 16 },
  ] as Case[]) {
    it(`forward and filter gradient of one input channel: x [${test.x}], kernel ${test.kernel}, strides ${test.strides}`, async () => {
      const sizes = [sizeOf(test.x), sizeOf(test.kernel) * test.oc, test.oc, sizeOf(outputShape(test))];
      const inputs = sizes.map((n, k) => fixedRandom(n, k + 1));
      const [y, dFilter, dBias] = await stockOnCpu(test, inputs);
      await useBackend('wasm');
      registerKernels('wasm');
      const { x, dy, filter, bias } = tensorsOf(test, inputs);
      const { kernel, strides } = test;
      const ours = [
        tf.engine().runKernel(kernelNames.convForward, { x, filter, bias }, { strides, relu: true }) as tf.Tensor,
        ...(tf.engine().runKernel(kernelNames.convGradient, { x, dy }, { kernel, strides }) as tf.Tensor[]),
      ];
      for (const [k, expected] of [y, dFilter, dBias].entries()) {
        expect(relativeError(ours[k]!.dataSync(), expected!), ['y', 'dFilter', 'dBias'][k]).toBeLessThan(1e-5);
      }
      tf.dispose([x, dy, filter, bias, ...ours]);
    });
  }

  it('refuse geometries they do not take with an error naming what they expected', async () => {
    await useBackend('wasm');
    registerKernels('wasm');
    const x = tf.zeros([1, 8, 8, 3]);
    const dy = tf.zeros([1, 6, 6, 16]);
    const run = (name: string, inputs: tf.NamedTensorMap, attrs: object) =>
      tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap);
    const twelveFilters = tf.zeros([3, 3, 3, 12]);
    expect(() => run(kernelNames.convForward, { x, filter: twelveFilters }, { strides: [1, 1], relu: false })).toThrow(
      /multiple of 16/,
    );
    const filterRows = tf.zeros([16, 27]);
    const geometry = { kernel: [3, 3], strides: [1, 1] };
    // kw · c = 9, not a multiple of 16.
    expect(() => run(kernelNames.convGradient, { x, dy, filterRows }, geometry)).toThrow(/multiple of 16/);
    const wrongDy = { kernel: [3, 3], strides: [2, 2] };
    expect(() => run(kernelNames.convGradient, { x, dy }, wrongDy)).toThrow(/expected dy \[1,3,3, oc\]/);
    tf.dispose([x, dy, twelveFilters, filterRows]);
  });
});
