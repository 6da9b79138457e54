import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { wasmHeap } from './wasm/heap.js';
import { compiledKernel } from './wasm/module.js';

/**
 * Convolution gradient kernels for tfjs-backend-wasm, compiled from wasm/assembly/conv-gradients.ts: col2im for the
 * input gradient and the short-patch filter gradient. Both take an already padded NHWC image and run per image.
 */

type Shape4 = [number, number, number, number];
type Args = { inputs: Record<string, TensorInfo | undefined>; backend: unknown; attrs?: unknown };
type Geometry = { kernel: [number, number]; strides: [number, number] };

/** Patches up to this long keep their accumulators in registers, a few at a time; longer ones use XNNPACK. */
export const shortPatchLimit = 12;

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const outputSize = (size: number, kernel: number, stride: number) => Math.floor((size - kernel) / stride) + 1;

/**
 * col2im: inputs {columns} [rows, kh·kw·c], attrs {kernel, strides, shape} → the padded image `shape`, every row's
 * values added at its output pixel's patch (pixels no patch covers are 0). Needs c % 4 = 0.
 */
export const wasmAddPatches = (({ inputs, backend, attrs }: Args) => {
  const heap = wasmHeap(backend);
  const { kernel, strides, shape } = attrs as Geometry & { shape: Shape4 };
  const [n, h, w, c] = shape;
  const [outH, outW] = [outputSize(h, kernel[0], strides[0]), outputSize(w, kernel[1], strides[1])];
  const columns = inputs.columns;
  const patch = kernel[0] * kernel[1] * c;
  if (!columns || columns.shape[0] !== n * outH * outW || columns.shape[1] !== patch || c % 4 !== 0) {
    throw new Error(
      `col2im expected columns [${n * outH * outW}, ${patch}] with channels % 4 = 0, got [${columns?.shape}]`,
    );
  }
  const image = heap.allocate(shape);
  const [imageAt, matrixAt] = [heap.offsetOf(image), heap.offsetOf(columns)];
  new Float32Array(heap.memory.buffer, imageAt, sizeOf(shape)).fill(0);
  const addPatchRows = compiledKernel(heap.memory, 'addPatchRows');
  for (let b = 0; b < n; b++) {
    addPatchRows(
      imageAt + b * h * w * c * 4,
      matrixAt + b * outH * outW * patch * 4,
      ...[outH, outW, w, c, kernel[0], kernel[1], strides[0], strides[1]],
    );
  }
  return image;
}) as unknown as KernelFunc;

/**
 * dL/dW and dL/db of a convolution with a short patch: inputs {x (already padded), dy}, attrs {kernel, strides} →
 * [dW [kh, kw, c, outC], db [outC]]. Needs kh · kw · c ≤ shortPatchLimit and outC % 4 = 0.
 */
export const wasmFilterGradient = (({ inputs, backend, attrs }: Args) => {
  const heap = wasmHeap(backend);
  const { kernel, strides } = attrs as Geometry;
  const { x, dy } = inputs;
  if (!x || !dy) throw new Error('the filter gradient needs inputs x and dy');
  const [n, h, w, c] = x.shape as Shape4;
  const [, outH, outW, outC] = dy.shape as Shape4;
  if (kernel[0] * kernel[1] * c > shortPatchLimit || outC % 4 !== 0) {
    throw new Error(`the short-patch filter gradient needs a patch of at most ${shortPatchLimit} and outC % 4 = 0`);
  }
  const dW = heap.allocate([kernel[0], kernel[1], c, outC]);
  const dB = heap.allocate([outC]);
  const [xAt, dyAt, dWAt, dBAt] = [x, dy, dW, dB].map((info) => heap.offsetOf(info)) as [
    number,
    number,
    number,
    number,
  ];
  new Float32Array(heap.memory.buffer, dWAt, kernel[0] * kernel[1] * c * outC).fill(0);
  new Float32Array(heap.memory.buffer, dBAt, outC).fill(0);
  const filterGradient = compiledKernel(heap.memory, 'filterGradient');
  for (let b = 0; b < n; b++) {
    filterGradient(
      xAt + b * h * w * c * 4,
      dyAt + b * outH * outW * outC * 4,
      dWAt,
      dBAt,
      ...[outH, outW, w, c, kernel[0], kernel[1], strides[0], strides[1], outC],
    );
  }
  return [dW, dB];
}) as unknown as KernelFunc;
