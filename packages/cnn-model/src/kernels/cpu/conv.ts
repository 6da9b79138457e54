import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { cpuMemory } from './memory.js';
import { convPatches, gradTimesFilterScatter, patchTimesFilter, patchTransposedTimesGrad } from './patch-gemm.js';

/**
 * The cpu convolution kernels: JavaScript loops on tfjs-backend-cpu's arrays (patch-gemm.ts), a fused forward (bias and
 * ReLU) and every gradient in one backward kernel, which applies the ReLU mask itself. The dense layers run on them as
 * 1 × 1 convolutions over a 1 × 1 image.
 */

type Shape4 = [number, number, number, number];
type Pads4 = [number, number, number, number];

/** One reusable buffer for a kernel's temporary dz (never escapes a kernel; kernels run one at a time). */
let scratch = new Float32Array(0);

function scratchFloats(size: number): Float32Array {
  if (scratch.length < size) scratch = new Float32Array(size);
  return scratch.subarray(0, size);
}

type KernelArgs = { inputs: Record<string, TensorInfo | undefined>; backend: unknown; attrs?: unknown };

function required(args: KernelArgs, name: string): TensorInfo {
  const info = args.inputs[name];
  if (!info) throw new Error(`the convolution kernel needs input ${name}`);
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
export function conv2d(args: KernelArgs): TensorInfo {
  const x = required(args, 'x');
  const filter = required(args, 'filter');
  const { strides, pads, relu } = convAttrs(args);
  const [kh, kw, , outC] = filter.shape as Shape4;
  const g = convPatches(paddedShape(x.shape as Shape4, pads), [kh, kw], strides);
  const [n, ph, pw] = paddedShape(x.shape as Shape4, pads);
  const outShape = [n, Math.floor((ph - kh) / strides[0]) + 1, Math.floor((pw - kw) / strides[1]) + 1, outC];
  const memory = cpuMemory(args.backend);
  const y = memory.output(outShape);
  const bias = args.inputs.bias ? memory.view(args.inputs.bias) : null;
  const input = padded(memory.view(x), x.shape as Shape4, pads).values;
  patchTimesFilter(input, g, memory.view(filter), outC, bias, relu, memory.view(y));
  return y;
}

/**
 * Gradients of a fused convolution from its output gradient: inputs {x, filter, dy, y?} (y when relu, to mask dy),
 * attrs {strides, pads, relu, bias, inputGradient}; outputs [dFilter, dBias if bias, dx if inputGradient].
 */
export function conv2dBackprop(args: KernelArgs): TensorInfo[] {
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
  const memory = cpuMemory(args.backend);
  const outputs = shapes.map((shape) => memory.output([...shape]));
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

/** A dense layer's x [n, in] and kernel [in, units] seen as a 1 × 1 convolution's image and filter. */
function asConvolution(args: KernelArgs): KernelArgs {
  const { x, kernel, dy, y } = args.inputs;
  if (!x || !kernel) throw new Error('the dense kernel needs inputs x and kernel');
  const [n, inputs] = x.shape as [number, number];
  const units = kernel.shape[1]!;
  const image = (info: TensorInfo | undefined, channels: number) => info && { ...info, shape: [n, 1, 1, channels] };
  return {
    backend: args.backend,
    inputs: {
      ...args.inputs,
      x: image(x, inputs),
      filter: { ...kernel, shape: [1, 1, inputs, units] },
      dy: image(dy, units),
      y: image(y, units),
    },
    attrs: { ...(args.attrs as object), strides: [1, 1], pads: [0, 0, 0, 0] },
  };
}

/** Dense forward, matMul + bias + optional ReLU: inputs {x, kernel, bias?}, attrs {relu}. */
export function dense(args: KernelArgs): TensorInfo {
  const y = conv2d(asConvolution(args));
  return { ...y, shape: [y.shape[0]!, y.shape[3]!] };
}

/** Dense gradients: inputs {x, kernel, dy, y?}, attrs {relu, bias, inputGradient}; outputs [dKernel, dBias?, dx?]. */
export function denseBackprop(args: KernelArgs): TensorInfo[] {
  const [dKernel, ...rest] = conv2dBackprop(asConvolution(args));
  const { x, kernel } = args.inputs as { x: TensorInfo; kernel: TensorInfo };
  const needDx = (args.attrs as { inputGradient: boolean }).inputGradient;
  const dx = needDx ? rest.pop()! : undefined;
  return [{ ...dKernel!, shape: kernel.shape }, ...rest, ...(dx ? [{ ...dx, shape: x.shape }] : [])];
}

export const cpuConvKernels = {
  conv2d: conv2d as unknown as KernelFunc,
  conv2dBackprop: conv2dBackprop as unknown as KernelFunc,
  dense: dense as unknown as KernelFunc,
  denseBackprop: denseBackprop as unknown as KernelFunc,
};
