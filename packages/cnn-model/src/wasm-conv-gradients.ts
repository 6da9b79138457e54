import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { code, simdKernels, simdOp, valType } from './wasm-assembly.js';
import { isWasmBackend, offsetOf } from './wasm-heap.js';
import { heapBackend, type KernelArgs, type Shape4 } from './wasm-kernels.js';

/**
 * Convolution gradients as WebAssembly SIMD loops on tfjs-backend-wasm's heap, where the stock formulations
 * (conv-gradients.ts) leave XNNPACK a poor shape:
 * - col2im, which adds patch rows back into an image, so that the input gradient becomes one plain matrix product
 *   (XNNPACK's fastest shape) instead of a convolution through a border of zeros;
 * - the filter gradient of a layer with a short patch (the first layer: 3 × 3 × 1), accumulated directly in registers
 *   instead of an im2col convolution, a transpose and a matrix product with only 10 columns.
 */

// In NHWC one kernel row of a patch is kw · c consecutive floats, so each patch is kh runs of memory. The col2im loop
// walks one image's output pixels and, for each, the kh runs of its patch: `pixel` is the run's first byte in the
// image, `row` the patch row's first byte in the matrix. Parameters, then locals:
const [image, matrix, outH, outW, kernelH, runBytes, rowBytes, strideYBytes, strideXBytes, matrixRowBytes] = [
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
];
const [oy, ox, ky, j, pixel, row] = [10, 11, 12, 13, 14, 15];
const { get, set, add, mul, load, store, loop } = code;
const imageAt = () => add(add(get(pixel), mul(get(ky), get(rowBytes))), get(j));
const matrixAt = () => add(add(get(row), mul(get(ky), get(runBytes))), get(j));
const overPatchRuns = (body: number[]) => [
  ...set(row, get(matrix)),
  ...loop(
    oy,
    get(outH),
    1,
    loop(ox, get(outW), 1, [
      ...set(pixel, add(add(get(image), mul(get(oy), get(strideYBytes))), mul(get(ox), get(strideXBytes)))),
      ...loop(ky, get(kernelH), 1, loop(j, get(runBytes), 16, body)),
      ...set(row, add(get(row), get(matrixRowBytes))),
    ]),
  ),
];
/** addPatchRows: image[patch of the pixel] += matrix[row], run by run; overlapping patches add up (col2im). */
const addPatchRows = {
  name: 'addPatchRows',
  params: Array(10).fill(valType.i32),
  locals: Array(6).fill(valType.i32),
  body: overPatchRuns(store(imageAt(), code.simd(simdOp.f32x4Add, load(imageAt()), load(matrixAt())))),
};

type PatchExports = { addPatchRows(...args: number[]): void };

const instantiate = simdKernels<PatchExports>([addPatchRows]);

/** Whether these kernels run on this backend (tfjs-backend-wasm with WebAssembly SIMD on an unshared heap). */
export function wasmConvGradientKernelsAvailable(backend: unknown): boolean {
  return isWasmBackend(backend) && instantiate(backend.wasm.asm.memory) !== null;
}

type Geometry = { kernel: [number, number]; strides: [number, number] };

/** Output size and the col2im loop's byte strides, for an already padded [n, h, w, c] image with c % 4 = 0. */
function layout([n, h, w, c]: Shape4, { kernel, strides }: Geometry) {
  if (c % 4 !== 0) throw new Error(`patch kernels need channels in multiples of 4, got ${c}`);
  const outH = Math.floor((h - kernel[0]) / strides[0]) + 1;
  const outW = Math.floor((w - kernel[1]) / strides[1]) + 1;
  const columns = kernel[0] * kernel[1] * c;
  const arguments_ = (imageAt: number, matrixAt: number, b: number) => [
    imageAt + b * h * w * c * 4,
    matrixAt + b * outH * outW * columns * 4,
    outH,
    outW,
    kernel[0],
    kernel[1] * c * 4,
    w * c * 4,
    strides[0] * w * c * 4,
    strides[1] * c * 4,
    columns * 4,
  ];
  return { rows: n * outH * outW, columns, arguments_ };
}

/**
 * col2im: inputs {columns} [rows, kh·kw·c], attrs {kernel, strides, shape} → the padded image `shape` in which every
 * row's values are added at its patch (pixels no patch covers are 0): the input gradient from patch gradients.
 */
function addPatches(args: KernelArgs): TensorInfo {
  const backend = heapBackend(args);
  const kernels = instantiate(backend.wasm.asm.memory);
  if (!kernels) throw new Error('col2im needs WebAssembly SIMD');
  const columnsInfo = args.inputs.columns;
  if (!columnsInfo) throw new Error('patch scatter needs input columns');
  const attrs = args.attrs as Geometry & { shape: Shape4 };
  const { rows, columns, arguments_ } = layout(attrs.shape, attrs);
  if (columnsInfo.shape[0] !== rows || columnsInfo.shape[1] !== columns)
    throw new Error(`patch scatter expected columns [${rows}, ${columns}], got [${columnsInfo.shape}]`);
  const result = backend.makeOutput(attrs.shape, 'float32');
  const [matrixAt, imageAt] = [offsetOf(backend, columnsInfo), offsetOf(backend, result)];
  new Float32Array(
    backend.wasm.asm.memory.buffer,
    imageAt,
    attrs.shape.reduce((a, b) => a * b, 1),
  ).fill(0);
  for (let b = 0; b < attrs.shape[0]; b++) kernels.addPatchRows(...arguments_(imageAt, matrixAt, b));
  return result;
}

/** Patches up to this long keep one accumulator per patch element in registers (x64 has 16 vector registers). */
export const shortPatchLimit = 12;

/**
 * shortPatchFilterGradient(x, dz, dW, dB, outH, outW, strideYBytes, strideXBytes), assembled for one patch geometry:
 * for each vector of 4 output channels, one pass over an image's output pixels adds, for every patch element k,
 * x[pixel + offset_k] · dz[pixel] to dW[k] and dz[pixel] to dB, all in registers. The patch offsets are immediates.
 */
function shortPatchFilterGradient(offsets: readonly number[], outChannels: number) {
  const [xAt, dzAt, dW, dB, rows, columns, strideY, strideX] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [v, y, x, pixel, dzRow, dzVector, biasSum] = [8, 9, 10, 11, 12, 13, 14];
  const sum = (k: number) => 15 + k;
  const { get, set, add, mul, load, store, loop, splat } = code;
  const vadd = (a: number[], b: number[]) => code.simd(simdOp.f32x4Add, a, b);
  const vmul = (a: number[], b: number[]) => code.simd(simdOp.f32x4Mul, a, b);
  const rowBytes = outChannels * 4;
  const body = loop(v, code.i32(rowBytes), 16, [
    ...set(biasSum, load(add(get(dB), get(v)))),
    ...offsets.flatMap((_, k) => set(sum(k), load(add(get(dW), get(v)), k * rowBytes))),
    ...set(dzRow, add(get(dzAt), get(v))),
    ...loop(
      y,
      get(rows),
      1,
      loop(x, get(columns), 1, [
        ...set(pixel, add(add(get(xAt), mul(get(y), get(strideY))), mul(get(x), get(strideX)))),
        ...set(dzVector, load(get(dzRow))),
        ...offsets.flatMap((offset, k) =>
          set(sum(k), vadd(get(sum(k)), vmul(splat(get(pixel), offset), get(dzVector)))),
        ),
        ...set(biasSum, vadd(get(biasSum), get(dzVector))),
        ...set(dzRow, add(get(dzRow), code.i32(rowBytes))),
      ]),
    ),
    ...store(add(get(dB), get(v)), get(biasSum)),
    ...offsets.flatMap((_, k) => store(add(get(dW), get(v)), get(sum(k)), k * rowBytes)),
  ]);
  return {
    name: 'shortPatchFilterGradient',
    params: Array(8).fill(valType.i32),
    locals: [...Array(5).fill(valType.i32), ...Array(2 + offsets.length).fill(valType.v128)],
    body,
  };
}

type FilterGradientExports = { shortPatchFilterGradient(...args: number[]): void };

/** One module per patch geometry and output width (a network has one or two), keyed by both. */
const filterGradientModules = new Map<string, (memory: WebAssembly.Memory) => FilterGradientExports | null>();

function filterGradientFor(memory: WebAssembly.Memory, offsets: number[], outChannels: number) {
  const key = `${offsets.join(',')}/${outChannels}`;
  let instantiateFor = filterGradientModules.get(key);
  if (!instantiateFor) {
    instantiateFor = simdKernels<FilterGradientExports>([shortPatchFilterGradient(offsets, outChannels)]);
    filterGradientModules.set(key, instantiateFor);
  }
  const kernels = instantiateFor(memory);
  if (!kernels) throw new Error('the filter gradient kernel needs WebAssembly SIMD');
  return kernels.shortPatchFilterGradient;
}

/**
 * dL/dW and dL/db of a convolution with a short patch: inputs {x (already padded), dy}, attrs {kernel, strides} →
 * [dW [kh, kw, c, outC], db [outC]]. Needs kh · kw · c ≤ shortPatchLimit and outC a multiple of 4.
 */
function shortPatchFilterGradientKernel(args: KernelArgs): TensorInfo[] {
  const backend = heapBackend(args);
  const { x: xInfo, dy: dyInfo } = args.inputs;
  if (!xInfo || !dyInfo) throw new Error('the filter gradient needs inputs x and dy');
  const { kernel, strides } = args.attrs as Geometry;
  const [n, h, w, c] = xInfo.shape as Shape4;
  const [, outH, outW, outC] = dyInfo.shape as Shape4;
  const offsets: number[] = [];
  for (let ky = 0; ky < kernel[0]; ky++) {
    for (let kx = 0; kx < kernel[1]; kx++) {
      for (let ch = 0; ch < c; ch++) offsets.push(((ky * w + kx) * c + ch) * 4);
    }
  }
  if (offsets.length > shortPatchLimit || outC % 4 !== 0)
    throw new Error(`the short-patch filter gradient needs a patch of at most ${shortPatchLimit} and outC % 4 = 0`);
  const gradient = filterGradientFor(backend.wasm.asm.memory, offsets, outC);
  const dW = backend.makeOutput([kernel[0], kernel[1], c, outC], 'float32');
  const dB = backend.makeOutput([outC], 'float32');
  const [xAt, dyAt, dWAt, dBAt] = [xInfo, dyInfo, dW, dB].map((info) => offsetOf(backend, info)) as [
    number,
    number,
    number,
    number,
  ];
  const buffer = backend.wasm.asm.memory.buffer;
  new Float32Array(buffer, dWAt, offsets.length * outC).fill(0);
  new Float32Array(buffer, dBAt, outC).fill(0);
  for (let b = 0; b < n; b++) {
    const image = xAt + b * h * w * c * 4;
    const gradients = dyAt + b * outH * outW * outC * 4;
    gradient(image, gradients, dWAt, dBAt, outH, outW, strides[0] * w * c * 4, strides[1] * c * 4);
  }
  return [dW, dB];
}

/** The kernels by the fast-kernel name they implement. */
export const wasmConvGradientFuncs = {
  addPatches: addPatches as unknown as KernelFunc,
  shortPatchFilterGradient: shortPatchFilterGradientKernel as unknown as KernelFunc,
};
