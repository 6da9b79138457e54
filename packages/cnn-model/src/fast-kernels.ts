import type { KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { kernelNames as fastKernelNames, type KernelName } from './kernels/names.js';
import { maxPoolBackward, maxPoolForward } from './max-pool-loops.js';
import { convPatches, gradTimesFilterScatter, patchTimesFilter, patchTransposedTimesGrad } from './patch-gemm.js';
import { type KernelMemory, kernelMemory } from './tensor-memory.js';
import { wasmConvGradientFuncs, wasmConvGradientKernelsAvailable } from './wasm-conv-gradients.js';
import { wasmKernelFuncs, wasmKernelsAvailable } from './wasm-kernels.js';

/**
 * Opt-in kernels for the layers' hot spots, written in JavaScript on the backend's own tensor memory. They are
 * registered under our own kernel names for a backend the caller already set up; layers use them when present for
 * the active backend and fall back to stock tfjs-core ops otherwise.
 */

type FastKernelName = KernelName;
type Shape4 = [number, number, number, number];
type Pads4 = [number, number, number, number];

/**
 * Which kernels pay off where. On cpu, all of them (JavaScript on the backend's arrays). On wasm, XNNPACK's
 * convolutions and matrix products beat anything else, and JavaScript loops on the heap measured slower than the stock
 * op sequences; only the max-pool and ReLU gradients are replaced, by WebAssembly SIMD loops on the backend's own heap
 * (wasm-kernels.ts) that do in one pass what the stock ops do in two to seven, and the filter rotation of the input
 * gradient, whose stock Reverse kernel is a slow generic loop. A SIMD loop that adds patch rows back into an image
 * (wasm-conv-gradients.ts) lets XNNPACK compute the input gradient as a plain matrix product.
 */
export function layerKernelsFor(backendName: string, backend: unknown): Partial<Record<FastKernelName, KernelFunc>> {
  if (backendName === 'cpu') return kernelMemory(backend, backendName) ? kernelFuncs : {};
  if (backendName === 'wasm' && wasmKernelsAvailable(backend)) {
    return {
      [fastKernelNames.maxPoolBackprop]: wasmKernelFuncs.maxPoolBackprop,
      [fastKernelNames.reluBackprop]: wasmKernelFuncs.reluBackprop,
      [fastKernelNames.rotateFilter]: wasmKernelFuncs.rotateFilter,
      ...(wasmConvGradientKernelsAvailable(backend) && {
        [fastKernelNames.addPatches]: wasmConvGradientFuncs.addPatches,
        [fastKernelNames.shortPatchFilterGradient]: wasmConvGradientFuncs.shortPatchFilterGradient,
      }),
    };
  }
  return {};
}

/** Whether a fast kernel is registered for the active backend (cheap: one registry lookup). */
export function hasFastKernel(name: FastKernelName): boolean {
  return tf.getKernel(name, tf.getBackend()) !== undefined;
}

/** One reusable buffer for a kernel's temporary dz (never escapes a kernel; kernels run one at a time). */
let scratch = new Float32Array(0);

function scratchFloats(size: number): Float32Array {
  if (scratch.length < size) scratch = new Float32Array(size);
  return scratch.subarray(0, size);
}

type KernelArgs = { inputs: Record<string, TensorInfo | undefined>; backend: unknown; attrs?: NamedAttrMap };

function memoryOf(args: KernelArgs): KernelMemory {
  const memory = kernelMemory(args.backend, tf.getBackend());
  if (!memory) throw new Error(`fast kernels cannot run on backend ${tf.getBackend()}`);
  return memory;
}

function required(args: KernelArgs, name: string): TensorInfo {
  const info = args.inputs[name];
  if (!info) throw new Error(`fast kernel input ${name} is missing`);
  return info;
}

/** A copy of an NHWC tensor with zero rows/columns around it, or the tensor itself when no padding is needed. */
function padded(x: Float32Array, shape: Shape4, pads: Pads4): { values: Float32Array; shape: Shape4 } {
  const [n, h, w, c] = shape;
  const [top, bottom, left, right] = pads;
  if (pads.every((p) => p === 0)) return { values: x, shape };
  const ph = h + top + bottom;
  const pw = w + left + right;
  const values = new Float32Array(n * ph * pw * c);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < h; y++) {
      const from = (b * h + y) * w * c;
      values.set(x.subarray(from, from + w * c), ((b * ph + y + top) * pw + left) * c);
    }
  }
  return { values, shape: [n, ph, pw, c] };
}

/** The inverse of {@link padded}: the interior of a padded NHWC tensor, written into `out`. */
function crop(values: Float32Array, paddedShape: Shape4, pads: Pads4, out: Float32Array): void {
  const [n, ph, pw, c] = paddedShape;
  const [top, bottom, left, right] = pads;
  const h = ph - top - bottom;
  const w = pw - left - right;
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < h; y++) {
      const from = ((b * ph + y + top) * pw + left) * c;
      out.set(values.subarray(from, from + w * c), (b * h + y) * w * c);
    }
  }
}

function convAttrs(args: KernelArgs) {
  return args.attrs as { strides: [number, number]; pads: Pads4; relu: boolean };
}

function paddedShape(shape: Shape4, pads: Pads4): Shape4 {
  return [shape[0], shape[1] + pads[0] + pads[1], shape[2] + pads[2] + pads[3], shape[3]];
}

/** Fused convolution + bias + optional ReLU: inputs {x, filter, bias?}, attrs {strides, pads, relu}. */
function conv2d(args: KernelArgs): TensorInfo {
  const x = required(args, 'x');
  const filter = required(args, 'filter');
  const { strides, pads, relu } = convAttrs(args);
  const [kh, kw, , outC] = filter.shape as Shape4;
  const g = convPatches(paddedShape(x.shape as Shape4, pads), [kh, kw], strides);
  const [n, ph, pw] = paddedShape(x.shape as Shape4, pads);
  const outShape = [n, Math.floor((ph - kh) / strides[0]) + 1, Math.floor((pw - kw) / strides[1]) + 1, outC];
  const memory = memoryOf(args);
  const [y] = memory.allocate([outShape]) as [TensorInfo];
  const bias = args.inputs.bias ? memory.view(args.inputs.bias) : null;
  const input = padded(memory.view(x), x.shape as Shape4, pads).values;
  patchTimesFilter(input, g, memory.view(filter), outC, bias, relu, memory.view(y));
  return y;
}

/**
 * Gradients of a fused convolution from its output gradient: inputs {x, filter, dy, y?} (y when relu, to mask dy),
 * attrs {strides, pads, relu, bias, inputGradient}; outputs [dFilter, dBias if bias, dx if inputGradient].
 */
function conv2dBackprop(args: KernelArgs): TensorInfo[] {
  const x = required(args, 'x');
  const filter = required(args, 'filter');
  const dy = required(args, 'dy');
  const { strides, pads, relu } = convAttrs(args);
  const { bias: hasBias, inputGradient } = args.attrs as { bias: boolean; inputGradient: boolean };
  const xShape = x.shape as Shape4;
  const [kh, kw, , outC] = filter.shape as Shape4;
  const inputShape = paddedShape(xShape, pads);
  const g = convPatches(inputShape, [kh, kw], strides);
  const shapes = [filter.shape];
  if (hasBias) shapes.push([outC]);
  if (inputGradient) shapes.push(xShape);
  const memory = memoryOf(args);
  const outputs = memory.allocate(shapes);
  // One pass: mask dy where the ReLU output was not positive, and sum the bias gradient.
  const upstream = memory.view(dy);
  const y = relu ? memory.view(required(args, 'y')) : null;
  const dz = scratchFloats(upstream.length);
  const sums = new Float64Array(outC);
  for (let i = 0; i < upstream.length; i += outC) {
    for (let j = 0; j < outC; j++) {
      const value = y && !(y[i + j]! > 0) ? 0 : upstream[i + j]!;
      dz[i + j] = value;
      sums[j]! += value;
    }
  }
  if (hasBias) memory.view(outputs[1]!).set(sums);
  const input = padded(memory.view(x), xShape, pads).values;
  patchTransposedTimesGrad(input, g, dz, outC, memory.view(outputs[0]!));
  if (inputGradient) {
    const dx = memory.view(outputs[outputs.length - 1]!);
    const noPads = pads.every((p) => p === 0);
    const target = noPads ? dx : new Float32Array(inputShape.reduce((a, b) => a * b, 1));
    gradTimesFilterScatter(dz, g, memory.view(filter), outC, target);
    if (!noPads) crop(target, inputShape, pads, dx);
  }
  return outputs;
}

function poolSize(args: KernelArgs): [number, number] {
  return (args.attrs as { pool: [number, number] }).pool;
}

/** Non-overlapping 'valid' max pooling: inputs {x}, attrs {pool}. */
function maxPool(args: KernelArgs): TensorInfo {
  const x = required(args, 'x');
  const [n, h, w, c] = x.shape as Shape4;
  const pool = poolSize(args);
  const memory = memoryOf(args);
  const [y] = memory.allocate([[n, Math.floor(h / pool[0]), Math.floor(w / pool[1]), c]]) as [TensorInfo];
  maxPoolForward(memory.view(x), [n, h, w, c], pool, memory.view(y));
  return y;
}

/** Its gradient, ties sharing equally: inputs {x, dy}, attrs {pool}. */
function maxPoolBackprop(args: KernelArgs): TensorInfo {
  const x = required(args, 'x');
  const memory = memoryOf(args);
  const [dx] = memory.allocate([x.shape]) as [TensorInfo];
  const out = memory.view(dx);
  maxPoolBackward(memory.view(x), memory.view(required(args, 'dy')), x.shape as Shape4, poolSize(args), out);
  return dx;
}

/** A filter [kh, kw, in, out] rotated by 180° with its channel axes swapped: the input gradient's filter. */
export function rotatedFilter(filter: tf.Tensor4D): tf.Tensor4D {
  return hasFastKernel(fastKernelNames.rotateFilter)
    ? (runFastKernel(fastKernelNames.rotateFilter, { filter }, {}) as tf.Tensor4D)
    : tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]);
}

/** dL/dz for z → relu → y: a registered ReLU-gradient kernel when there is one, else dy · step(y). */
export function reluGradient(dy: tf.Tensor, y: tf.Tensor): tf.Tensor {
  return hasFastKernel(fastKernelNames.reluBackprop)
    ? (runFastKernel(fastKernelNames.reluBackprop, { dy, y }, {}) as tf.Tensor)
    : tf.mul(dy, tf.step(y));
}

/** The cpu kernels: the convolution kernels apply the ReLU mask themselves, so no separate ReLU gradient is needed. */
const kernelFuncs: Partial<Record<FastKernelName, KernelFunc>> = {
  [fastKernelNames.conv2d]: conv2d as unknown as KernelFunc,
  [fastKernelNames.conv2dBackprop]: conv2dBackprop as unknown as KernelFunc,
  [fastKernelNames.maxPool]: maxPool as unknown as KernelFunc,
  [fastKernelNames.maxPoolBackprop]: maxPoolBackprop as unknown as KernelFunc,
};

/** Runs one of our registered kernels on the active backend (callers check {@link hasFastKernel} first). */
export function runFastKernel(name: FastKernelName, inputs: tf.NamedTensorMap, attrs: object): tf.Tensor | tf.Tensor[] {
  return tf.engine().runKernel(name, inputs, attrs as NamedAttrMap) as tf.Tensor | tf.Tensor[];
}
