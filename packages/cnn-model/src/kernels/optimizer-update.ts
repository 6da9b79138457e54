import type { TensorInfo } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { sizeOf } from '../spec.js';
import { cpuMemory } from './cpu/memory.js';
import { kernelNames, kernelOr, type RunKernel } from './names.js';
import type { Args, Product } from './products.js';
import { stockOptimizerUpdate } from './stock-optimizer-update.js';
import { wasmHeap } from './wasm/heap.js';

// The optimizer update: one pass per weight applies an update rule of wasm/assembly/optimizers.ts (adam, sgd, momentum,
// rmsprop) and gives the new weights and slots as new tensors.

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
    // A kernel of one output (sgd's) gives it alone.
    return [run(inputs, { rule, scalars: [...scalars], ...scales } satisfies OptimizerUpdateAttrs)].flat();
  };
  const stock = () => stockOptimizerUpdate(rule, weights, parts, slots, scalars, gradientScales);
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

/**
 * One update step on byte offsets: inputs {weights, gradient, gradient1…, slot0…slot2}, attrs
 * {@link OptimizerUpdateAttrs} → [new weights, ...new slots]. A rule sums two scaled gradient parts itself as it reads
 * them; a sum of other part counts goes first into the new weights' memory, where the rule reads its gradient.
 */
export function optimizerUpdateProduct({ inputs, attrs }: Args): Product {
  const { weights, gradient } = inputs;
  if (!weights || !gradient) throw new Error('the optimizer update needs inputs weights and gradient');
  const slots = [inputs.slot0, inputs.slot1, inputs.slot2].filter((slot) => slot !== undefined);
  const parts: TensorInfo[] = [];
  for (let part = inputs.gradient1; part; part = inputs[`gradient${parts.length + 1}`]) parts.push(part);
  const count = sizeOf(weights.shape);
  for (const info of [gradient, ...slots, ...parts]) {
    if (sizeOf(info.shape) !== count || info.dtype !== 'float32') {
      throw new Error(`the optimizer update expected float32 [${weights.shape}], got ${info.dtype} [${info.shape}]`);
    }
  }
  const { rule, scalars, gradientScales } = attrs as OptimizerUpdateAttrs;
  return {
    inputs: [weights, gradient, ...slots, ...parts],
    outputs: [weights, ...slots].map((info) => [...info.shape]),
    scratch: 0,
    run: (kernels, [weightsAt = 0, gradientAt = 0, ...rest], [newWeights = 0, ...newSlots]) => {
      const slotsAt = rest.slice(0, slots.length);
      const partsAt = rest.slice(slots.length);
      let summed = [gradientAt, 0, 1, 1];
      if (gradientScales && partsAt.length === 1) {
        summed = [gradientAt, partsAt[0]!, gradientScales[0]!, gradientScales[1]!];
      } else if (gradientScales) {
        const scaledSum = kernels('scaledSum');
        for (const [k, part] of [gradientAt, ...partsAt].entries()) {
          scaledSum(count, newWeights, k, part, gradientScales[k]!);
        }
        summed = [newWeights, 0, 1, 1];
      }
      const slotPairs = slotsAt.flatMap((slot, k) => [slot, newSlots[k] ?? 0]);
      kernels(rule)(count, weightsAt, ...summed, newWeights, ...scalars, ...slotPairs);
    },
  };
}
