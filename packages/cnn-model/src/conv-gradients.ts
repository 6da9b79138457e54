import * as tf from '@tensorflow/tfjs-core';
import { convolutionTakes } from './kernels/convolution.js';
import { kernelNames, kernelOr } from './kernels/names.js';

/**
 * Convolution gradients. Their stock paths are written as forward convolutions, because forward Conv2D is fast on
 * every backend (XNNPACK on wasm) while wasm has no Conv2DBackpropFilter kernel and its Conv2DBackpropInput is a slow
 * loop.
 */

/** Spatial padding of a convolution: [before, after] rows and columns. */
export type Pads = { top: number; bottom: number; left: number; right: number };

/** A convolution's kernel size, strides and padding. */
export type ConvGeometry = { kernel: [number, number]; strides: [number, number]; pads: Pads };

/** Pads (positive amounts) or crops (negative amounts) the two spatial axes of an NHWC tensor. */
export function padOrCrop(x: tf.Tensor4D, top: number, bottom: number, left: number, right: number): tf.Tensor4D {
  let result = x;
  if (top < 0 || bottom < 0 || left < 0 || right < 0) {
    const [n, h, w, c] = result.shape;
    const t = Math.max(0, -top);
    const l = Math.max(0, -left);
    result = tf.slice(result, [0, t, l, 0], [n, h - t - Math.max(0, -bottom), w - l - Math.max(0, -right), c]);
  }
  if (top > 0 || bottom > 0 || left > 0 || right > 0) {
    const p = (v: number) => Math.max(0, v);
    result = tf.pad(result, [
      [0, 0],
      [p(top), p(bottom)],
      [p(left), p(right)],
      [0, 0],
    ]);
  }
  return result;
}

/** Inserts (stride − 1) zeros between neighbouring rows and columns: [n, h, w, c] → [n, (h−1)·sh+1, (w−1)·sw+1, c]. */
export function dilateSpatial(x: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  if (sh === 1 && sw === 1) return x;
  const [n, h, w, c] = x.shape;
  // NHWC is contiguous, so [n, h, 1, w, 1, c] padded to [n, h, sh, w, sw, c] is the zero-interleaved image.
  const spread = tf.pad(tf.reshape(x, [n, h, 1, w, 1, c]), [
    [0, 0],
    [0, 0],
    [0, sh - 1],
    [0, 0],
    [0, sw - 1],
    [0, 0],
  ]);
  const full = tf.reshape(spread, [n, h * sh, w * sw, c]);
  return tf.slice(full, [0, 0, 0, 0], [n, (h - 1) * sh + 1, (w - 1) * sw + 1, c]) as tf.Tensor4D;
}

/**
 * dL/dW, with `withBias` dL/db (the sum of dy over all but the channel axis) and with `withInput` dL/dx, for
 * y = conv(x, W): the convolution kernel of the active backend's table where it has one that takes these channel
 * counts, else tfjs ops.
 */
export function conv2dGradients(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  geometry: ConvGeometry,
  withBias: boolean,
  withInput: boolean,
): { filter: tf.Tensor4D; bias: tf.Tensor1D | null; dx: tf.Tensor4D | null } {
  const { kernel, strides, pads } = geometry;
  const [, h, w] = x.shape;
  const [, oh, ow, outChannels] = dy.shape;
  // The padded input, less the rows and columns past the last patch (negative: none to add, some to cut).
  const bottom = (oh - 1) * strides[0] + kernel[0] - h - pads.top;
  const right = (ow - 1) * strides[1] + kernel[1] - w - pads.left;
  const input = () => padOrCrop(x, pads.top, bottom, pads.left, right);
  const stock = () => ({
    ...swappedFilterGradient(input(), dy, strides, withBias),
    dx: withInput ? stockInputGradient(dy, filter, [h, w], geometry) : null,
  });
  if (!convolutionTakes.gradient(filter.shape, withInput)) return stock();
  return kernelOr(
    kernelNames.convGradient,
    (run) => {
      const inputs: tf.NamedTensorMap = { x: input(), dy };
      // The input gradient's product runs along rows of the filter as [outC, kh · kw · c]: one small transpose a step.
      if (withInput) inputs.filterRows = tf.transpose(tf.reshape(filter, [-1, outChannels]));
      const [dFilter, bias, image] = run(inputs, { kernel, strides }) as [tf.Tensor4D, tf.Tensor1D, tf.Tensor4D?];
      if (!withBias) bias.dispose();
      // The padded input's gradient less its padding, and zeros for the rows and columns past the last patch.
      const dx = image ? padOrCrop(image, -pads.top, -bottom, -pads.left, -right) : null;
      return { filter: dFilter, bias: withBias ? bias : null, dx };
    },
    stock,
  );
}

/**
 * The filter gradient in tfjs ops, computed with the bias gradient in one product so dy is packed for XNNPACK only
 * once: a forward convolution with batch and channels swapped. The input becomes [inC, H, W, N], the output gradient
 * becomes the filter [OH, OW, N, outC], the stride becomes a dilation, and the result [inC, kh, kw, outC] is
 * transposed back to [kh, kw, inC, outC]. The bias gradient rides along as one extra input "channel" of ones.
 */
function swappedFilterGradient(
  input: tf.Tensor4D,
  dy: tf.Tensor4D,
  strides: [number, number],
  withBias: boolean,
): { filter: tf.Tensor4D; bias: tf.Tensor1D | null } {
  const inChannels = input.shape[3];
  const outChannels = dy.shape[3];
  const transposed = tf.transpose(input, [3, 1, 2, 0]) as tf.Tensor4D;
  const [, h, w, n] = transposed.shape;
  // tf.ones, not a slice of the input: Slice on wasm copies its whole input out of the heap first.
  const swappedInput = withBias ? tf.concat<tf.Tensor4D>([transposed, tf.ones([1, h, w, n])], 0) : transposed;
  const swappedFilter = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D;
  let grad = tf.conv2d(swappedInput, swappedFilter, 1, 'valid', 'NHWC', strides);
  let bias: tf.Tensor1D | null = null;
  if (withBias) {
    bias = tf.reshape(tf.slice(grad, [inChannels, 0, 0, 0], [1, 1, 1, outChannels]), [outChannels]);
    grad = tf.slice(grad, 0, inChannels);
  }
  return { filter: tf.transpose(grad, [1, 2, 0, 3]), bias };
}

/**
 * dL/dx for y = conv(x, W) in tfjs ops: a forward convolution of the (stride-dilated, re-padded) output gradient with
 * the kernel rotated by 180° and its channel axes swapped.
 */
function stockInputGradient(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  inputSize: [number, number],
  { strides, pads }: ConvGeometry,
): tf.Tensor4D {
  const [kh, kw] = filter.shape;
  const spread = dilateSpatial(dy, strides[0], strides[1]);
  const [, sh, sw] = spread.shape;
  const top = kh - 1 - pads.top;
  const left = kw - 1 - pads.left;
  const bottom = inputSize[0] + kh - 1 - sh - top;
  const right = inputSize[1] + kw - 1 - sw - left;
  const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
  if (top < 0 || bottom < 0 || left < 0 || right < 0) {
    return tf.conv2d(padOrCrop(spread, top, bottom, left, right), flipped, 1, 'valid');
  }
  const explicit: [[number, number], [number, number], [number, number], [number, number]] = [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ];
  return tf.conv2d(spread, flipped, 1, explicit);
}
