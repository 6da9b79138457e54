import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { maxPoolBackward } from './max-pool-loops.js';
import { code, simdKernels, simdOp, valType } from './wasm-assembly.js';
import { isWasmBackend, offsetOf, type WasmBackendLike } from './wasm-heap.js';

/**
 * Fast kernels for tfjs-backend-wasm, as WebAssembly SIMD loops that work on the backend's own heap: the module imports
 * the backend's memory, so tensors are read and written in place. They replace stock op sequences that make several
 * passes over memory where one suffices.
 */

export type Shape4 = [number, number, number, number];

/** A kernel function's arguments, as tfjs-core passes them. */
export type KernelArgs = { inputs: Record<string, TensorInfo | undefined>; backend: unknown; attrs?: unknown };

// maxPoolGradient(x, dy, dx, oh, ow, channelBytes, ph, pw, rowBytes): one image's max-pool gradient, 4 channels per
// vector. Each window's maximum is found with f32x4.max, its ties counted with f32x4.eq, and dy / ties stored where x
// equals the maximum, 0 elsewhere: the same float32 results as the JavaScript loop (max-pool-loops.ts).
const [x, dy, dx, oh, ow, channelBytes, ph, pw, rowBytes] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
const [oi, oj, cv, di, dj, out, base] = [9, 10, 11, 12, 13, 14, 15];
const [max, ties, share, one] = [16, 17, 18, 19];
const { get, set, add, mul, load, store, loop } = code;
const at = () => add(add(get(base), mul(get(di), get(rowBytes))), mul(get(dj), get(channelBytes)));
const overWindow = (body: number[]) => loop(di, get(ph), 1, loop(dj, get(pw), 1, body));
const isMax = () => code.simd(simdOp.f32x4Eq, load(add(get(x), at())), get(max));
/**
 * The loops both max-pool kernels share: for every pooled position and every vector of 4 channels, `base` ← the byte
 * offset of its window's first element in x (windows of `windowRows` × `windowCols`), then `body`; `out` walks dy.
 */
const overPooledVectors = (windowRows: number[], windowCols: number[], body: number[]) => [
  ...set(one, code.simd(simdOp.f32x4Splat, code.f32(1))),
  ...set(out, code.i32(0)),
  ...loop(
    oi,
    get(oh),
    1,
    loop(
      oj,
      get(ow),
      1,
      loop(cv, get(channelBytes), 16, [
        ...set(
          base,
          add(
            add(mul(mul(get(oi), windowRows), get(rowBytes)), mul(mul(get(oj), windowCols), get(channelBytes))),
            get(cv),
          ),
        ),
        ...body,
        ...set(out, add(get(out), code.i32(16))),
      ]),
    ),
  ),
];

const maxPoolGradient = {
  name: 'maxPoolGradient',
  params: Array(9).fill(valType.i32),
  locals: [...Array(7).fill(valType.i32), ...Array(4).fill(valType.v128)],
  body: overPooledVectors(get(ph), get(pw), [
    ...set(max, load(add(get(x), get(base)))),
    ...overWindow(set(max, code.simd(simdOp.f32x4Max, get(max), load(add(get(x), at()))))),
    ...set(ties, code.simd(simdOp.f32x4Splat, code.f32(0))),
    ...overWindow(set(ties, code.simd(simdOp.f32x4Add, get(ties), code.simd(simdOp.v128And, isMax(), get(one))))),
    ...set(share, code.simd(simdOp.f32x4Div, load(add(get(dy), get(out))), get(ties))),
    ...overWindow(store(add(get(dx), at()), code.simd(simdOp.v128And, isMax(), get(share)))),
  ]),
};

// maxPoolGradient2x2: the same for 2 × 2 windows, unrolled, each input vector loaded once (3× faster than the loops).
const [x0, x1, x2, x3, m0, m1, m2, m3] = [20, 21, 22, 23, 24, 25, 26, 27];
const corners = [x0, x1, x2, x3] as const;
const masks = [m0, m1, m2, m3] as const;
const cornerAt = (k: number) =>
  add(add(get(base), k >= 2 ? get(rowBytes) : code.i32(0)), k % 2 === 1 ? get(channelBytes) : code.i32(0));
const countIfMax = (mask: number) => code.simd(simdOp.v128And, get(mask), get(one));
const maxPoolGradient2x2 = {
  name: 'maxPoolGradient2x2',
  params: Array(9).fill(valType.i32),
  locals: [...Array(7).fill(valType.i32), ...Array(12).fill(valType.v128)],
  body: overPooledVectors(code.i32(2), code.i32(2), [
    ...corners.flatMap((corner, k) => set(corner, load(add(get(x), cornerAt(k))))),
    ...set(
      max,
      code.simd(
        simdOp.f32x4Max,
        code.simd(simdOp.f32x4Max, get(x0), get(x1)),
        code.simd(simdOp.f32x4Max, get(x2), get(x3)),
      ),
    ),
    ...masks.flatMap((mask, k) => set(mask, code.simd(simdOp.f32x4Eq, get(corners[k]!), get(max)))),
    ...set(
      ties,
      code.simd(
        simdOp.f32x4Add,
        code.simd(simdOp.f32x4Add, countIfMax(m0), countIfMax(m1)),
        code.simd(simdOp.f32x4Add, countIfMax(m2), countIfMax(m3)),
      ),
    ),
    ...set(share, code.simd(simdOp.f32x4Div, load(add(get(dy), get(out))), get(ties))),
    ...masks.flatMap((mask, k) => store(add(get(dx), cornerAt(k)), code.simd(simdOp.v128And, get(mask), get(share)))),
  ]),
};

// reluGradient(dy, y, dz, bytes): dz = y > 0 ? dy : 0 over `bytes` (a multiple of 16), as the cpu kernels mask it.
const reluGradient = {
  name: 'reluGradient',
  params: Array(4).fill(valType.i32),
  locals: [valType.i32, valType.v128],
  body: [
    ...set(5, code.simd(simdOp.f32x4Splat, code.f32(0))),
    ...loop(4, get(3), 16, [
      ...store(
        add(get(2), get(4)),
        code.simd(
          simdOp.v128And,
          code.simd(simdOp.f32x4Gt, load(add(get(1), get(4))), get(5)),
          load(add(get(0), get(4))),
        ),
      ),
    ]),
  ],
};

type KernelExports = {
  maxPoolGradient(...args: number[]): void;
  maxPoolGradient2x2(...args: number[]): void;
  reluGradient(dy: number, y: number, dz: number, bytes: number): void;
};

const instantiate = simdKernels<KernelExports>([maxPoolGradient, maxPoolGradient2x2, reluGradient]);

/** The kernels instantiated on this backend's heap (once per heap), or null without WebAssembly SIMD. */
function kernelsFor(backend: WasmBackendLike): KernelExports | null {
  return instantiate(backend.wasm.asm.memory);
}

/** Whether the SIMD kernels run on this engine (WebAssembly with SIMD). */
export function wasmKernelsAvailable(backend: unknown): boolean {
  return isWasmBackend(backend) && kernelsFor(backend) !== null;
}

/** The backend a kernel was called with, which must be tfjs-backend-wasm. */
export function heapBackend(args: KernelArgs): WasmBackendLike {
  if (!isWasmBackend(args.backend)) throw new Error('this kernel runs on tfjs-backend-wasm only');
  return args.backend;
}

/** Non-overlapping max-pool gradient, ties sharing equally: inputs {x, dy}, attrs {pool}. */
function maxPoolBackprop(args: KernelArgs): TensorInfo {
  const backend = heapBackend(args);
  const { x: xInfo, dy: dyInfo } = args.inputs;
  if (!xInfo || !dyInfo) throw new Error('max-pool gradient needs inputs x and dy');
  const [n, h, w, c] = xInfo.shape as Shape4;
  const [poolH, poolW] = (args.attrs as { pool: [number, number] }).pool;
  const [outH, outW] = [Math.floor(h / poolH), Math.floor(w / poolW)];
  const result = backend.makeOutput([n, h, w, c], 'float32');
  // Offsets after makeOutput, which may grow the heap; views are made from the current buffer.
  const [xAt, dyAt, dxAt] = [xInfo, dyInfo, result].map((info) => offsetOf(backend, info)) as [number, number, number];
  const buffer = backend.wasm.asm.memory.buffer;
  const size = n * h * w * c;
  const dxView = new Float32Array(buffer, dxAt, size);
  if (outH * poolH !== h || outW * poolW !== w) dxView.fill(0); // rows and columns no window covers
  const kernels = kernelsFor(backend);
  if (kernels && c % 4 === 0) {
    const imageBytes = h * w * c * 4;
    const pooledBytes = outH * outW * c * 4;
    const gradient = poolH === 2 && poolW === 2 ? kernels.maxPoolGradient2x2 : kernels.maxPoolGradient;
    for (let b = 0; b < n; b++) {
      gradient(
        xAt + b * imageBytes,
        dyAt + b * pooledBytes,
        dxAt + b * imageBytes,
        outH,
        outW,
        c * 4,
        poolH,
        poolW,
        w * c * 4,
      );
    }
  } else {
    const xView = new Float32Array(buffer, xAt, size);
    const dyView = new Float32Array(buffer, dyAt, n * outH * outW * c);
    maxPoolBackward(xView, dyView, [n, h, w, c], [poolH, poolW], dxView);
  }
  return result;
}

/** ReLU's gradient from its output: inputs {dy, y}; dz = y > 0 ? dy : 0. */
function reluBackprop(args: KernelArgs): TensorInfo {
  const backend = heapBackend(args);
  const { dy: dyInfo, y: yInfo } = args.inputs;
  if (!dyInfo || !yInfo) throw new Error('ReLU gradient needs inputs dy and y');
  const result = backend.makeOutput(dyInfo.shape, 'float32');
  const [dyAt, yAt, dzAt] = [dyInfo, yInfo, result].map((info) => offsetOf(backend, info)) as [number, number, number];
  const size = dyInfo.shape.reduce((a, b) => a * b, 1);
  const vectors = Math.floor(size / 4) * 4;
  const kernels = kernelsFor(backend);
  kernels?.reluGradient(dyAt, yAt, dzAt, vectors * 4);
  const buffer = backend.wasm.asm.memory.buffer;
  const [dy, y, dz] = [dyAt, yAt, dzAt].map((at) => new Float32Array(buffer, at, size)) as [
    Float32Array,
    Float32Array,
    Float32Array,
  ];
  for (let i = kernels ? vectors : 0; i < size; i++) dz[i] = y[i]! > 0 ? dy[i]! : 0;
  return result;
}

/**
 * A convolution filter turned for the input gradient: inputs {filter} [kh, kw, in, out] → [kh, kw, out, in], rotated
 * by 180° in space. One JavaScript pass over the heap (the filter is small); stock Reverse alone took 0.5 ms per step.
 */
function rotateFilter(args: KernelArgs): TensorInfo {
  const backend = heapBackend(args);
  const filterInfo = args.inputs.filter;
  if (!filterInfo) throw new Error('filter rotation needs input filter');
  const [kh, kw, inC, outC] = filterInfo.shape as Shape4;
  const result = backend.makeOutput([kh, kw, outC, inC], 'float32');
  const buffer = backend.wasm.asm.memory.buffer;
  const size = kh * kw * inC * outC;
  const source = new Float32Array(buffer, offsetOf(backend, filterInfo), size);
  const target = new Float32Array(buffer, offsetOf(backend, result), size);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const from = ((kh - 1 - i) * kw + (kw - 1 - j)) * inC * outC;
      const to = (i * kw + j) * outC * inC;
      for (let c = 0; c < inC; c++) {
        for (let o = 0; o < outC; o++) target[to + o * inC + c] = source[from + c * outC + o]!;
      }
    }
  }
  return result;
}

/** The wasm kernels by the fast-kernel name they implement. */
export const wasmKernelFuncs = {
  maxPoolBackprop: maxPoolBackprop as unknown as KernelFunc,
  reluBackprop: reluBackprop as unknown as KernelFunc,
  rotateFilter: rotateFilter as unknown as KernelFunc,
};
