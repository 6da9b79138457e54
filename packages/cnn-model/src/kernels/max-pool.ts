import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { cpuMemory, runOnScratch } from './cpu/memory.js';
import { wasmHeap } from './wasm/heap.js';
import { compiledKernel } from './wasm/module.js';

/**
 * The max-pool gradient (non-overlapping 'valid' windows): inputs {x, dy}, attrs {pool, relu}, the compiled
 * `maxPoolGradient` (wasm/assembly/max-pool.ts) on both backends; with `relu` (x is a ReLU's output) it is the gradient
 * of the ReLU's input. The forward stays tfjs's MaxPool, as fast as any loop of ours.
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
