import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { cpuMemory, runOnScratch } from './cpu/memory.js';
import { kernelNames } from './names.js';
import { stockOptimizerUpdate } from './stock-optimizer-update.js';
import { wasmHeap } from './wasm/heap.js';
import { compiledKernel } from './wasm/module.js';

/**
 * The optimizer update family: one pass per weight applies an update rule of wasm/assembly/optimizers.ts (adam, sgd,
 * momentum, rmsprop) and gives the new weights and slots as new tensors. The same compiled rules run on both backends.
 */

/** A rule of the kernel library and its float32 constants for this step, in the order the rule takes them. */
export interface OptimizerUpdateAttrs {
  rule: string;
  scalars: number[];
}

/**
 * One update step of `rule` for one weight: returns [new weights, ...new slots] (up to three slots, as the rule keeps).
 * Runs the kernel where the active backend's table has it (`registerKernels`), else the same rule in tfjs ops.
 */
export function optimizerUpdate(
  rule: string,
  weights: tf.Tensor,
  gradient: tf.Tensor,
  slots: readonly tf.Tensor[],
  scalars: readonly number[],
): tf.Tensor[] {
  if (!tf.getKernel(kernelNames.optimizerUpdate, tf.getBackend())) {
    return stockOptimizerUpdate(rule, weights, gradient, slots, scalars);
  }
  const inputs: tf.NamedTensorMap = { weights, gradient };
  for (const [index, slot] of slots.entries()) inputs[`slot${index}`] = slot;
  const attrs = { rule, scalars: [...scalars] } satisfies OptimizerUpdateAttrs;
  return tf.engine().runKernel(kernelNames.optimizerUpdate, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
}

/** [weights, gradient, ...slots] from a kernel's inputs, checked to have one size. */
function updateInputs(inputs: Record<string, TensorInfo | undefined>): [TensorInfo, TensorInfo, ...TensorInfo[]] {
  const { weights, gradient } = inputs;
  if (!weights || !gradient) throw new Error('the optimizer update needs inputs weights and gradient');
  const slots = [inputs.slot0, inputs.slot1, inputs.slot2].filter((slot) => slot !== undefined);
  const size = sizeOf(weights.shape);
  for (const info of [gradient, ...slots]) {
    if (sizeOf(info.shape) !== size || info.dtype !== 'float32') {
      throw new Error(`the optimizer update expected float32 [${weights.shape}], got ${info.dtype} [${info.shape}]`);
    }
  }
  return [weights, gradient, ...slots];
}

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** A rule's arguments: count, weights, gradient, three slots, new weights, three new slots (0 where unused), scalars. */
function ruleArguments(count: number, sources: number[], outputs: number[], scalars: number[]): number[] {
  const [weights = 0, gradient = 0, ...slots] = sources;
  const [newWeights = 0, ...newSlots] = outputs;
  const three = (offsets: number[]) => [0, 1, 2].map((k) => offsets[k] ?? 0);
  return [count, weights, gradient, ...three(slots), newWeights, ...three(newSlots), ...scalars];
}

/** On tfjs-backend-wasm's heap: the rule reads the tensors in place and writes new ones there. */
export const wasmOptimizerUpdate = (({ inputs, backend, attrs }) => {
  const heap = wasmHeap(backend);
  const { rule, scalars } = attrs as unknown as OptimizerUpdateAttrs;
  const sources = updateInputs(inputs);
  // Every allocation first: one may grow the heap, and offsets are only read afterwards.
  const outputs = [sources[0], ...sources.slice(2)].map((info) => heap.allocate(info.shape));
  const kernel = compiledKernel(heap.memory, rule);
  const offsets = (infos: TensorInfo[]) => infos.map((info) => heap.offsetOf(info));
  kernel(...ruleArguments(sizeOf(sources[0].shape), offsets(sources), offsets(outputs), scalars));
  return outputs;
}) as KernelFunc;

/** On tfjs-backend-cpu: the rule runs on copies in a memory of our own. */
export const cpuOptimizerUpdate = (({ inputs, backend, attrs }) => {
  const memory = cpuMemory(backend);
  const { rule, scalars } = attrs as unknown as OptimizerUpdateAttrs;
  const sources = updateInputs(inputs);
  const size = sizeOf(sources[0].shape);
  const values = runOnScratch(
    sources.map((info) => memory.view(info)),
    Array(sources.length - 1).fill(size),
    (kernels, offsets) =>
      kernels(rule)(...ruleArguments(size, offsets.slice(0, sources.length), offsets.slice(sources.length), scalars)),
  );
  return values.map((array, k) => memory.output([...(k === 0 ? sources[0] : sources[k + 1]!).shape], array));
}) as KernelFunc;
