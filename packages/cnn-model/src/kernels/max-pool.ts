import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { cpuMemory, runOnScratch } from './cpu/memory.js';
import { wasmHeap } from './wasm/heap.js';
import { compiledKernel } from './wasm/module.js';

/**
 * Max pooling (non-overlapping 'valid' windows), inputs {x}, attrs {pool}, and its gradient, inputs {x, dy}, attrs
 * {pool, relu}: the compiled `maxPool` and `maxPoolGradient` (wasm/assembly/max-pool.ts) on both backends; with `relu`
 * (x is a ReLU's output) the gradient is that of the ReLU's input.
 */

type Shape4 = [number, number, number, number];
type PoolArgs = { inputs: Record<string, TensorInfo | undefined>; backend: unknown; attrs?: unknown };

/** The tensors, and the compiled gradient's arguments after the three offsets. */
function poolInputs({ inputs, attrs }: PoolArgs) {
  const { x, dy } = inputs;
  if (!x || !dy) throw new Error('the max-pool gradient needs inputs x and dy');
  const { pool, relu } = attrs as { pool: [number, number]; relu: boolean };
  return { x, dy, geometry: [...(x.shape as Shape4), ...pool, relu ? 1 : 0] };
}

/** x, the pooled shape, and the compiled forward's arguments after the two offsets. */
function poolForward({ inputs, attrs }: PoolArgs) {
  const { x } = inputs;
  if (!x) throw new Error('max pooling needs input x');
  const [n, h, w, c] = x.shape as Shape4;
  const [ph, pw] = (attrs as { pool: [number, number] }).pool;
  return { x, shape: [n, Math.floor(h / ph), Math.floor(w / pw), c], geometry: [n, h, w, c, ph, pw] };
}

export const wasmMaxPool = ((args: PoolArgs) => {
  const heap = wasmHeap(args.backend);
  const { x, shape, geometry } = poolForward(args);
  const y = heap.allocate(shape);
  compiledKernel(heap.memory, 'maxPool')(heap.offsetOf(x), heap.offsetOf(y), ...geometry);
  return y;
}) as unknown as KernelFunc;

export const cpuMaxPool = ((args: PoolArgs) => {
  const memory = cpuMemory(args.backend);
  const { x, shape, geometry } = poolForward(args);
  const size = shape.reduce((a, b) => a * b, 1);
  const [y] = runOnScratch([memory.view(x)], [size], (kernels, [xAt, yAt]) =>
    kernels('maxPool')(xAt!, yAt!, ...geometry),
  );
  return memory.output(shape, y);
}) as unknown as KernelFunc;

export const wasmMaxPoolGradient = ((args: PoolArgs) => {
  const heap = wasmHeap(args.backend);
  const { x, dy, geometry } = poolInputs(args);
  const dx = heap.allocate(x.shape);
  compiledKernel(heap.memory, 'maxPoolGradient')(heap.offsetOf(x), heap.offsetOf(dy), heap.offsetOf(dx), ...geometry);
  return dx;
}) as unknown as KernelFunc;

export const cpuMaxPoolGradient = ((args: PoolArgs) => {
  const memory = cpuMemory(args.backend);
  const { x, dy, geometry } = poolInputs(args);
  const xValues = memory.view(x);
  const [dx] = runOnScratch([xValues, memory.view(dy)], [xValues.length], (kernels, [xAt, dyAt, dxAt]) =>
    kernels('maxPoolGradient')(xAt!, dyAt!, dxAt!, ...geometry),
  );
  return memory.output([...x.shape], dx);
}) as unknown as KernelFunc;
