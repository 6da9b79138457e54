import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { afterAll, describe, expect, it } from 'vitest';
import { fixedRandom, relativeError, useBackend } from '../__tests__/backends.js';
import { convFilterGradient, convForward, convInputGradient } from './convolution.js';
import { registerKernels, unregisterKernels } from './tables.js';

type Shape4 = [number, number, number, number];
const unpadded = { strides: [1, 1] as const, pads: [0, 0, 0, 0] };

/** The test's x, filter, bias and dy on the active backend. */
function tensorsOf(xShape: Shape4, filterShape: Shape4, dyShape: Shape4, values: Float32Array[]) {
  const [x, filter, bias, dy] = values as [Float32Array, Float32Array, Float32Array, Float32Array];
  return {
    x: tf.tensor4d(x, xShape),
    filter: tf.tensor4d(filter, filterShape),
    bias: tf.tensor1d(bias),
    dy: tf.tensor4d(dy, dyShape),
  };
}

// tfjs-backend-cpu's own Conv2D and its gradients (Conv2DBackpropFilter / Conv2DBackpropInput), as plain arrays.
async function stockOnCpu(xShape: Shape4, filterShape: Shape4, dyShape: Shape4, values: Float32Array[]) {
  await useBackend('cpu');
  const { x, filter, bias, dy } = tensorsOf(xShape, filterShape, dyShape, values);
  const y = tf.relu(tf.add(tf.conv2d(x, filter, 1, 'valid'), bias));
  const [dx, dFilter] = tf.grads((a, b) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'valid'))([x, filter], dy);
  const result = {
    y: y.dataSync().slice(),
    dx: dx!.dataSync().slice(),
    dFilter: dFilter!.dataSync().slice(),
    dBias: tf.sum(dy, [0, 1, 2]).dataSync().slice(),
  };
  tf.dispose([x, filter, bias, dy, y, dx!, dFilter!]);
  return result;
}

describe('convolution kernels on wasm', () => {
  afterAll(() => unregisterKernels('wasm'));

  // Odd pixel counts (a last tile of one pixel), several 128-pixel blocks, a batch of one, rectangular kernels.
  for (const [n, h, w, c, kh, kw, oc] of [
    [3, 13, 13, 32, 3, 3, 64],
    [1, 7, 6, 16, 3, 2, 16],
    [2, 5, 9, 8, 2, 4, 32],
  ] as const) {
    it(`match tfjs-backend-cpu's conv2d and its gradients: x [${n}, ${h}, ${w}, ${c}], filter ${kh}×${kw}×${c}×${oc}`, async () => {
      const xShape: Shape4 = [n, h, w, c];
      const filterShape: Shape4 = [kh, kw, c, oc];
      const dyShape: Shape4 = [n, h - kh + 1, w - kw + 1, oc];
      const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
      const values = [size(xShape), size(filterShape), oc, size(dyShape)].map((length, k) =>
        fixedRandom(length, k + 1),
      );
      const expected = await stockOnCpu(xShape, filterShape, dyShape, values);

      await useBackend('wasm');
      registerKernels('wasm');
      const { x, filter, bias, dy } = tensorsOf(xShape, filterShape, dyShape, values);
      const y = convForward(x, filter, bias, { ...unpadded, relu: true });
      const gradients = convFilterGradient(x, dy, [kh, kw], unpadded, true);
      const dx = convInputGradient(dy, filter, xShape, unpadded);
      expect(y && gradients?.bias && dx).toBeTruthy();
      expect(relativeError(y!.dataSync(), expected.y)).toBeLessThan(1e-5);
      expect(relativeError(gradients!.filter.dataSync(), expected.dFilter)).toBeLessThan(1e-5);
      expect(relativeError(gradients!.bias!.dataSync(), expected.dBias)).toBeLessThan(1e-5);
      expect(relativeError(dx!.dataSync(), expected.dx)).toBeLessThan(1e-5);
      tf.dispose([x, filter, bias, dy, y!, gradients!.filter, gradients!.bias!, dx!]);
    });
  }

  it('decline geometries they do not take, so the layer runs the stock ops', async () => {
    await useBackend('wasm');
    registerKernels('wasm');
    const x = tf.zeros([1, 8, 8, 3]) as tf.Tensor4D;
    const filter = tf.zeros([3, 3, 3, 16]) as tf.Tensor4D;
    const dy = tf.zeros([1, 6, 6, 16]) as tf.Tensor4D;
    expect(convForward(x, filter, undefined, { strides: [2, 2], pads: [0, 0, 0, 0], relu: false })).toBeNull();
    expect(convForward(x, filter, undefined, { strides: [1, 1], pads: [1, 1, 1, 1], relu: false })).toBeNull();
    // kw · c = 9: odd, and not a multiple of 16.
    expect(convFilterGradient(x, dy, [3, 3], unpadded, false)).toBeNull();
    expect(convInputGradient(dy, filter, [1, 8, 8, 3], unpadded)).toBeNull();
    unregisterKernels('wasm');
    expect(convForward(x, filter, undefined, { ...unpadded, relu: false })).toBeNull();
    tf.dispose([x, filter, dy]);
  });
});
