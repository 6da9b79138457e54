import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { afterAll, describe, expect, it } from 'vitest';
import { fixedRandom, relativeError, useBackend } from '../__tests__/backends.js';
import { kernelNames } from './names.js';
import { registerKernels, unregisterKernels } from './tables.js';

type Case = { n: number; k: number; m: number; relu: boolean; bias: boolean; inputGradient: boolean };

/** The case's x, kernel, bias and upstream gradient (as arrays), from its own seeds. */
const valuesOf = ({ n, k, m }: Case, seed: number) =>
  [n * k, k * m, m, n * m].map((size, i) => fixedRandom(size, seed * 10 + i));

/** tfjs-backend-cpu's own ops and their registered gradients: [y, dKernel, dBias, dx]. */
async function stockOnCpu(test: Case, values: Float32Array[]) {
  await useBackend('cpu');
  unregisterKernels('cpu');
  const [x, kernel, bias, dy] = tensorsOf(test, values);
  const forward = (a: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => {
    const z = tf.add(tf.matMul(a as tf.Tensor2D, w as tf.Tensor2D), test.bias ? b : tf.mul(b, 0));
    return test.relu ? tf.relu(z) : z;
  };
  const y = forward(x, kernel, bias);
  const [dx, dKernel, dBias] = tf.grads(forward)([x, kernel, bias], dy);
  const arrays = [y, dKernel!, dBias!, dx!].map((t) => t.dataSync().slice());
  tf.dispose([x, kernel, bias, dy, y, dx!, dKernel!, dBias!]);
  return arrays;
}

function tensorsOf({ n, k, m }: Case, [x, kernel, bias, dy]: Float32Array[]) {
  const tensors = [tf.tensor2d(x!, [n, k]), tf.tensor2d(kernel!, [k, m]), tf.tensor1d(bias!), tf.tensor2d(dy!, [n, m])];
  return tensors as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.Tensor2D];
}

/** The family's two kernels through the active backend's table: [y, dKernel, dBias, dx]. */
function ours(test: Case, values: Float32Array[]) {
  const [x, kernel, bias, dy] = tensorsOf(test, values);
  const run = (name: string, inputs: tf.NamedTensorMap, attrs: object) =>
    tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];
  const y = run(kernelNames.denseForward, test.bias ? { x, kernel, bias } : { x, kernel }, test) as tf.Tensor;
  const inputs: tf.NamedTensorMap = test.relu ? { x, kernel, dy, y } : { x, kernel, dy };
  const grads = run(kernelNames.denseGradient, inputs, test) as tf.Tensor[];
  expect(grads.map((t) => t.shape)).toEqual([[test.k, test.m], [test.m], ...(test.inputGradient ? [x!.shape] : [])]);
  const arrays = [y, ...grads].map((t) => t.dataSync().slice());
  tf.dispose([x, kernel, bias, dy, y, ...grads]);
  return arrays;
}

describe('dense kernels', () => {
  afterAll(async () => {
    unregisterKernels('wasm');
    unregisterKernels('cpu');
    await useBackend('cpu');
  });

  // The reference net's two dense layers at batches 64 and 31, then odd batches (a last tile of one row), k not a
  // multiple of 4 (a last dot of fewer than 4), m not a multiple of 16 (the zero-filled copies), no bias, no dx.
  const cases: Case[] = [
    { n: 64, k: 1600, m: 128, relu: true, bias: true, inputGradient: true },
    { n: 31, k: 128, m: 10, relu: false, bias: true, inputGradient: true },
    ...[
      [1, 1, 1],
      [2, 3, 16],
      [5, 6, 7],
      [9, 17, 20],
      [4, 40, 48],
      [3, 2, 33],
    ].map(([n, k, m], i) => ({ n: n!, k: k!, m: m!, relu: i % 2 === 0, bias: i !== 3, inputGradient: i !== 4 })),
  ];
  for (const backend of ['wasm', 'cpu'] as const) {
    it(`match tfjs's matMul, bias, ReLU and their gradients on ${backend}`, async () => {
      for (const [index, test] of cases.entries()) {
        const values = valuesOf(test, index + 1);
        const expected = await stockOnCpu(test, values);
        await useBackend(backend);
        expect(registerKernels(backend)).toContain(kernelNames.denseGradient);
        const result = ours(test, values);
        const label = JSON.stringify(test);
        for (const [i, name] of ['y', 'dKernel', 'dBias', 'dx'].entries()) {
          if (name === 'dx' && !test.inputGradient) continue;
          if (name === 'dBias' && !test.bias) continue;
          expect(relativeError(result[i]!, expected[i]!), `${name} ${label}`).toBeLessThan(1e-5);
        }
      }
    });
  }

  it('refuse mismatched shapes with an error naming what they expected', async () => {
    await useBackend('wasm');
    registerKernels('wasm');
    const [x, kernel, dy] = [tf.zeros([4, 6]), tf.zeros([5, 16]), tf.zeros([4, 16])];
    const run = (name: string, inputs: tf.NamedTensorMap) =>
      tf.engine().runKernel(name, inputs, { relu: false, inputGradient: true });
    expect(() => run(kernelNames.denseForward, { x, kernel })).toThrow(
      /expected float32 x \[n, k\], kernel \[k, m\]; got x \[4,6\], kernel \[5,16\]/,
    );
    expect(() => run(kernelNames.denseGradient, { x: tf.zeros([4, 5]), kernel, dy: tf.zeros([4, 15]) })).toThrow(
      /dy \[n, m\]; got .*dy \[4,15\]/,
    );
    tf.dispose([x, kernel, dy]);
  });
});
