import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { cpuMemory, runOnScratch } from './cpu/memory.js';
import { wasmHeap } from './wasm/heap.js';
import { compiledKernel } from './wasm/module.js';

/**
 * The max-pool gradient (non-overlapping 'valid' windows): inputs {x, dy}, attrs {pool}, the compiled `maxPoolGradient`
 * (wasm/assembly/max-pool.ts) on both backends. The forward stays tfjs's MaxPool, as fast as any loop of ours.
 */

type Shape4 = [number, number, number, number];
type PoolArgs = { inputs: Record<string, TensorInfo | undefined>; backend: unknown; attrs?: unknown };

function poolInputs({ inputs, attrs }: PoolArgs) {
  const { x, dy } = inputs;
  if (!x) throw new Error('max pooling needs input x');
  const [n, h, w, c] = x.shape as Shape4;
  const [poolH, poolW] = (attrs as { pool: [number, number] }).pool;
  const covered = Math.floor(h / poolH) * poolH === h && Math.floor(w / poolW) * poolW === w;
  return { x, dy, n, h, w, c, poolH, poolW, covered };
}

/** The compiled gradient's arguments after the three offsets. */
const geometry = (p: ReturnType<typeof poolInputs>) => [p.n, p.h, p.w, p.c, p.poolH, p.poolW];

export const wasmMaxPoolGradient = ((args: PoolArgs) => {
  const heap = wasmHeap(args.backend);
  const p = poolInputs(args);
  if (!p.dy) throw new Error('the max-pool gradient needs input dy');
  const dx = heap.allocate(p.x.shape);
  const dxAt = heap.offsetOf(dx);
  // Rows and columns no window covers get no gradient.
  if (!p.covered) new Float32Array(heap.memory.buffer, dxAt, p.n * p.h * p.w * p.c).fill(0);
  compiledKernel(heap.memory, 'maxPoolGradient')(heap.offsetOf(p.x), heap.offsetOf(p.dy), dxAt, ...geometry(p));
  return dx;
}) as unknown as KernelFunc;

export const cpuMaxPoolGradient = ((args: PoolArgs) => {
  const memory = cpuMemory(args.backend);
  const p = poolInputs(args);
  if (!p.dy) throw new Error('the max-pool gradient needs input dy');
  const x = memory.view(p.x);
  const [dx] = runOnScratch([x, memory.view(p.dy)], [x.length], (kernels, [xAt, dyAt, dxAt]) =>
    kernels('maxPoolGradient')(xAt!, dyAt!, dxAt!, ...geometry(p)),
  );
  if (!p.covered) return memory.output([...p.x.shape], maskUncovered(dx!, p));
  return memory.output([...p.x.shape], dx);
}) as unknown as KernelFunc;

/** Zeroes the rows and columns past the last whole window (scratch memory is reused, so they hold old values). */
function maskUncovered(dx: Float32Array, { n, h, w, c, poolH, poolW }: ReturnType<typeof poolInputs>): Float32Array {
  const [coveredH, coveredW] = [Math.floor(h / poolH) * poolH, Math.floor(w / poolW) * poolW];
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < h; y++) {
      const row = (b * h + y) * w * c;
      if (y >= coveredH) dx.fill(0, row, row + w * c);
      else dx.fill(0, row + coveredW * c, row + w * c);
    }
  }
  return dx;
}
