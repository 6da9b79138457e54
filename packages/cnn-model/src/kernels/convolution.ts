import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { kernelNames } from './names.js';
import { wasmHeap } from './wasm/heap.js';
import { compiledKernel } from './wasm/module.js';

/**
 * The convolution family: the forward product (bias and ReLU fused), the filter gradient (with the bias gradient) and
 * the input gradient of a convolution, each one register-blocked matrix product that reads patches in place
 * (wasm/assembly/convolutions.ts). Each op returns null where the active backend has no such kernel or the geometry
 * is not one the kernels take (stride 1, no padding, channel counts below); the layer then runs the stock ops.
 */

type Shape4 = [number, number, number, number];
/** Strides, and padding as [top, bottom, left, right]. */
export type ConvGeometry = { strides: readonly [number, number]; pads: readonly number[] };

const takes = (name: string, { strides, pads }: ConvGeometry) =>
  strides[0] === 1 &&
  strides[1] === 1 &&
  pads.every((pad) => pad === 0) &&
  tf.getKernel(name, tf.getBackend()) !== undefined;

/** relu?(conv(x, filter) + bias), or null; needs a multiple of 16 filters. */
export function convForward(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  bias: tf.Tensor1D | undefined,
  geometry: ConvGeometry & { relu: boolean },
): tf.Tensor4D | null {
  const [n, h, w] = x.shape;
  const [kh, kw, , outChannels] = filter.shape;
  if (outChannels % 16 !== 0 || n * (h - kh + 1) * (w - kw + 1) < 2 || !takes(kernelNames.convForward, geometry))
    return null;
  const inputs: tf.NamedTensorMap = bias ? { x, filter, bias } : { x, filter };
  return tf.engine().runKernel(kernelNames.convForward, inputs, { relu: geometry.relu }) as tf.Tensor4D;
}

/** dL/dfilter (and dL/dbias with `withBias`) from x and dy, or null; needs kw · c even and a multiple of 16 filters. */
export function convFilterGradient(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  kernel: readonly [number, number],
  geometry: ConvGeometry,
  withBias: boolean,
): { filter: tf.Tensor4D; bias: tf.Tensor1D | null } | null {
  const channels = x.shape[3];
  const outChannels = dy.shape[3];
  if ((kernel[1] * channels) % 2 !== 0 || outChannels % 16 !== 0 || !takes(kernelNames.convFilterGradient, geometry))
    return null;
  const [filter, bias] = tf
    .engine()
    .runKernel(kernelNames.convFilterGradient, { x, dy }, { kernel: [...kernel], withBias }) as [
    tf.Tensor4D,
    tf.Tensor1D?,
  ];
  return { filter, bias: bias ?? null };
}

/** dL/dx from dy and the filter, or null; needs kw · c a multiple of 16. */
export function convInputGradient(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  inputShape: Shape4,
  geometry: ConvGeometry,
): tf.Tensor4D | null {
  const [kh, kw, channels, outChannels] = filter.shape;
  if ((kw * channels) % 16 !== 0 || !takes(kernelNames.convInputGradient, geometry)) return null;
  return tf.tidy(() => {
    // The product runs along rows of the filter as [outC, kh · kw · c]: one small transpose per step.
    const filterRows = tf.transpose(tf.reshape(filter, [kh * kw * channels, outChannels]));
    return tf
      .engine()
      .runKernel(
        kernelNames.convInputGradient,
        { dy, filterRows },
        { kernel: [kh, kw], inputShape: [...inputShape] },
      ) as tf.Tensor4D;
  });
}

const shape4 = (info: TensorInfo) => info.shape as Shape4;

export const wasmConvForward = (({ inputs, backend, attrs }) => {
  const heap = wasmHeap(backend);
  const { x, filter, bias } = inputs;
  if (!x || !filter) throw new Error('the convolution needs inputs x and filter');
  const [n, h, w, c] = shape4(x);
  const [kh, kw, , oc] = shape4(filter);
  const y = heap.allocate([n, h - kh + 1, w - kw + 1, oc]);
  const at = heap.offsetOf;
  const relu = (attrs as unknown as { relu: boolean }).relu;
  compiledKernel(heap.memory, 'convForward')(
    at(x),
    at(filter),
    bias ? at(bias) : 0,
    at(y),
    n,
    h,
    w,
    c,
    kh,
    kw,
    oc,
    relu ? 1 : 0,
  );
  return y;
}) as KernelFunc;

export const wasmConvFilterGradient = (({ inputs, backend, attrs }) => {
  const heap = wasmHeap(backend);
  const { x, dy } = inputs;
  if (!x || !dy) throw new Error('the filter gradient needs inputs x and dy');
  const { kernel, withBias } = attrs as unknown as { kernel: [number, number]; withBias: boolean };
  const [n, h, w, c] = shape4(x);
  const [, oh, ow, oc] = shape4(dy);
  const dFilter = heap.allocate([kernel[0], kernel[1], c, oc]);
  const dBias = withBias ? heap.allocate([oc]) : undefined;
  const at = heap.offsetOf;
  compiledKernel(heap.memory, 'convFilterGradient')(at(x), at(dy), at(dFilter), n, h, w, c, kernel[0], kernel[1], oc);
  if (!dBias) return [dFilter];
  compiledKernel(heap.memory, 'convBiasGradient')(at(dy), at(dBias), n * oh * ow, oc);
  return [dFilter, dBias];
}) as KernelFunc;

export const wasmConvInputGradient = (({ inputs, backend, attrs }) => {
  const heap = wasmHeap(backend);
  const { dy, filterRows } = inputs;
  if (!dy || !filterRows) throw new Error('the input gradient needs inputs dy and filterRows');
  const { kernel, inputShape } = attrs as unknown as { kernel: [number, number]; inputShape: Shape4 };
  const [n, h, w, c] = inputShape;
  const dx = heap.allocate(inputShape);
  const at = heap.offsetOf;
  compiledKernel(heap.memory, 'convInputGradient')(
    at(dy),
    at(filterRows),
    at(dx),
    n,
    h,
    w,
    c,
    kernel[0],
    kernel[1],
    shape4(dy)[3],
  );
  return dx;
}) as KernelFunc;
