import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { sizeOf } from '../spec.js';
import { cpuMemory, runOnScratch } from './cpu/memory.js';
import { kernelNames, kernelOr, type RunKernel } from './names.js';
import { stockOptimizerUpdate } from './stock-optimizer-update.js';
import { wasmHeap } from './wasm/heap.js';
import { type CompiledKernel, compiledKernel } from './wasm/module.js';

/**
 * The optimizer update family: one pass per weight applies an update rule of wasm/assembly/optimizers.ts (adam, sgd,
 * momentum, rmsprop) and gives the new weights and slots as new tensors. The same compiled rules run on both backends.
 */

/**
 * A rule of the kernel library and its float32 constants for this step, in the order the rule takes them. With
 * `gradientScales`, the gradient is the weighted sum of inputs `gradient`, `gradient1`, … (a data-parallel step's
 * shards, summed in that order in float32) instead of `gradient` itself.
 */
export interface OptimizerUpdateAttrs {
  rule: string;
  scalars: number[];
  gradientScales?: number[];
}

/**
 * One update step of `rule` for one weight: returns [new weights, ...new slots] (up to three slots, as the rule keeps).
 * `gradient` is one tensor, or the parts of a weighted sum with their `gradientScales`. Runs the kernel where the
 * active backend's table has it (`registerKernels`), else the same rule in tfjs ops.
 */
export function optimizerUpdate(
  rule: string,
  weights: tf.Tensor,
  gradient: tf.Tensor | readonly tf.Tensor[],
  slots: readonly tf.Tensor[],
  scalars: readonly number[],
  gradientScales?: readonly number[],
): tf.Tensor[] {
  const parts = Array.isArray(gradient) ? gradient : [gradient];
  if (gradientScales ? gradientScales.length !== parts.length : parts.length !== 1) {
    throw new Error(`the optimizer update got ${parts.length} gradients and ${gradientScales?.length ?? 0} scales`);
  }
  const viaKernel = (run: RunKernel) => {
    const inputs: tf.NamedTensorMap = { weights };
    for (const [index, part] of parts.entries()) inputs[index === 0 ? 'gradient' : `gradient${index}`] = part;
    for (const [index, slot] of slots.entries()) inputs[`slot${index}`] = slot;
    const scales = gradientScales ? { gradientScales: [...gradientScales] } : {};
    return run(inputs, { rule, scalars: [...scalars], ...scales } satisfies OptimizerUpdateAttrs) as tf.Tensor[];
  };
  const stock = () => {
    const scaled = (part: tf.Tensor, k: number) => (gradientScales ? tf.mul(part, gradientScales[k]!) : part);
    const summed = tf.tidy(() => parts.map(scaled).reduce((sum, part) => tf.add(sum, part)));
    const results = stockOptimizerUpdate(rule, weights, summed, slots, scalars);
    if (summed !== parts[0]) summed.dispose();
    return results;
  };
  return kernelOr(kernelNames.optimizerUpdate, viaKernel, stock);
}

/**
 * Copies a tensor's float32 values into `target` at `offset` straight from the backend's memory, with no array in
 * between: how the data-parallel step puts its gradients into shared memory. Other backends go through dataSync.
 */
export function copyValuesInto(tensor: tf.Tensor, target: Float32Array, offset: number): void {
  const backend = tf.backend();
  if (tensor.dtype === 'float32' && tf.getBackend() === 'wasm') {
    const heap = wasmHeap(backend);
    target.set(new Float32Array(heap.memory.buffer, heap.offsetOf(tensor), tensor.size), offset);
  } else {
    target.set(tf.getBackend() === 'cpu' ? cpuMemory(backend).view(tensor) : tensor.dataSync(), offset);
  }
}

/** [weights, gradient, ...slots] and the gradient's further parts from a kernel's inputs, checked to have one size. */
function updateInputs(inputs: Record<string, TensorInfo | undefined>): {
  sources: [TensorInfo, TensorInfo, ...TensorInfo[]];
  parts: TensorInfo[];
} {
  const { weights, gradient } = inputs;
  if (!weights || !gradient) throw new Error('the optimizer update needs inputs weights and gradient');
  const slots = [inputs.slot0, inputs.slot1, inputs.slot2].filter((slot) => slot !== undefined);
  const parts: TensorInfo[] = [];
  for (let part = inputs.gradient1; part; part = inputs[`gradient${parts.length + 1}`]) parts.push(part);
  const size = sizeOf(weights.shape);
  for (const info of [gradient, ...slots, ...parts]) {
    if (sizeOf(info.shape) !== size || info.dtype !== 'float32') {
      throw new Error(`the optimizer update expected float32 [${weights.shape}], got ${info.dtype} [${info.shape}]`);
    }
  }
  return { sources: [weights, gradient, ...slots], parts };
}

/**
 * Runs the rule on byte offsets: `sources` [weights, gradient, ...slots], `outputs` [new weights, ...new slots], and
 * `parts` the gradient's further parts. A rule sums two scaled parts itself as it reads them; a sum of other part
 * counts goes first into the new weights' memory, where the rule reads its gradient.
 */
function runRule(
  kernels: (name: string) => CompiledKernel,
  count: number,
  [weights = 0, gradient = 0, ...slots]: number[],
  outputs: number[],
  parts: number[],
  { rule, scalars, gradientScales }: OptimizerUpdateAttrs,
): void {
  const [newWeights = 0, ...newSlots] = outputs;
  let summed = [gradient, 0, 1, 1];
  if (gradientScales && parts.length === 1) {
    summed = [gradient, parts[0]!, gradientScales[0]!, gradientScales[1]!];
  } else if (gradientScales) {
    const scaledSum = kernels('scaledSum');
    for (const [k, part] of [gradient, ...parts].entries()) scaledSum(count, newWeights, k, part, gradientScales[k]!);
    summed = [newWeights, 0, 1, 1];
  }
  const three = (offsets: number[]) => [0, 1, 2].map((k) => offsets[k] ?? 0);
  kernels(rule)(count, weights, ...summed, ...three(slots), newWeights, ...three(newSlots), ...scalars);
}

/** On tfjs-backend-wasm's heap: the rule reads the tensors in place and writes new ones there. */
export const wasmOptimizerUpdate = (({ inputs, backend, attrs }) => {
  const heap = wasmHeap(backend);
  const { sources, parts } = updateInputs(inputs);
  // Every allocation first: one may grow the heap, and offsets are only read afterwards.
  const outputs = [sources[0], ...sources.slice(2)].map((info) => heap.allocate(info.shape));
  const offsets = (infos: TensorInfo[]) => infos.map((info) => heap.offsetOf(info));
  const kernels = (name: string) => compiledKernel(heap.memory, name);
  const size = sizeOf(sources[0].shape);
  runRule(kernels, size, offsets(sources), offsets(outputs), offsets(parts), attrs as unknown as OptimizerUpdateAttrs);
  return outputs;
}) as KernelFunc;

/** On tfjs-backend-cpu: the rule runs on copies in a memory of our own. */
export const cpuOptimizerUpdate = (({ inputs, backend, attrs }) => {
  const memory = cpuMemory(backend);
  const { sources, parts } = updateInputs(inputs);
  const size = sizeOf(sources[0].shape);
  const inputCount = sources.length + parts.length;
  const values = runOnScratch(
    [...sources, ...parts].map((info) => memory.view(info)),
    Array(sources.length - 1).fill(size),
    (kernels, at) => {
      const [own, parts] = [at.slice(0, sources.length), at.slice(sources.length, inputCount)];
      runRule(kernels, size, own, at.slice(inputCount), parts, attrs as unknown as OptimizerUpdateAttrs);
    },
  );
  return values.map((array, k) => memory.output([...(k === 0 ? sources[0] : sources[k + 1]!).shape], array));
}) as KernelFunc;
