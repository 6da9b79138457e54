import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend } from './node-backend.js';
import { Optimizer } from './optimizer.js';
import { resolveOptimizer } from './optimizer-config.js';

// The optimizer's update runs as a kernel-library rule on each backend's own memory. These tests pin what that must
// keep: the same float32 results on cpu and wasm (also for the 1–3 values past the last whole vector, and for gradients
// given as shards’ arrays), the slots across backend changes, and weights that XNNPACK's cached operators and shared tensors see.

const config = resolveOptimizer({ name: 'adam', beta1: 0.85, beta2: 0.99 });
/** Sizes with 0, 1, 2 and 3 values past the last vector of four. */
const shapes = [[4, 2], [3, 3], [10], [7]];

function startValues(shape: number[], seed: number): Float32Array {
  const size = shape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: size }, (_, i) => Math.sin(seed * 7 + i * 1.3) * 0.5);
}

function gradientValues(size: number, step: number, index: number): Float32Array {
  return Float32Array.from({ length: size }, (_, i) => Math.cos(step * 0.7 + i * 0.31 + index) * (1 + step));
}

function makeVariables(prefix: string): tf.Variable[] {
  return shapes.map((shape, index) =>
    tf.variable(tf.tensor(startValues(shape, index), shape), true, `${prefix}/${index}`),
  );
}

/** Runs `steps` Adam steps; `backendAt(step)` picks the backend of each; gradients as arrays when `asArrays`. */
async function run(prefix: string, steps: number, backendAt: (step: number) => 'cpu' | 'wasm', asArrays = false) {
  await initBackend(backendAt(0));
  const variables = makeVariables(prefix);
  const optimizer = new Optimizer(config, 0.02);
  for (let step = 0; step < steps; step++) {
    await initBackend(backendAt(step));
    const arrays = variables.map((variable, index) => gradientValues(variable.size, step, index));
    if (asArrays) {
      // Two half-weighted shards of the same values: their float32 sum is exactly the values.
      optimizer.applyShardGradients(
        [0.5, 0.5].map((scale) => ({ gradients: arrays, scale })),
        variables,
      );
    } else {
      const tensors = Object.fromEntries(
        variables.map((variable, index) => [variable.name, tf.tensor(arrays[index]!, variable.shape)]),
      );
      optimizer.applyGradients(
        tensors,
        variables.map((variable) => variable.name),
      );
      tf.dispose(tensors);
    }
  }
  const weights = variables.map((variable) => Array.from(variable.dataSync()));
  const slots = (await optimizer.saveState()).slots.map((slot) => Array.from(slot.values));
  optimizer.dispose();
  tf.dispose(variables);
  return { weights, slots };
}

describe('the optimizer update on each backend', () => {
  it('gives the same bits on wasm as on cpu, with gradients as tensors or as shards’ arrays', async () => {
    const reference = await run('heap-reference', 12, () => 'cpu');
    const tensors = await run('heap-tensors', 12, () => 'wasm');
    const arrays = await run('heap-arrays', 12, () => 'wasm', true);
    expect(tensors).toEqual(reference);
    expect(arrays).toEqual(reference);
    expect(reference.weights[3]).not.toEqual(Array.from(startValues([7], 3)));
  });

  it('sums 1 to 4 shards in shard order in float32, as tf.mul and tf.add would, then updates, with every rule', async () => {
    const rules = [
      config,
      resolveOptimizer({ name: 'sgd', momentum: 0.9, nesterov: true }),
      resolveOptimizer({ name: 'rmsprop', centered: true, momentum: 0.5 }),
      resolveOptimizer({ name: 'sgd', weightDecay: 0.01 }),
    ];
    for (const [backend, rule] of (['cpu', 'wasm'] as const).flatMap((backend) =>
      rules.map((rule) => [backend, rule] as const),
    )) {
      await initBackend(backend);
      for (let shards = 1; shards <= 4; shards++) {
        const scales = [0.3, 0.2, 0.45, 0.05].slice(0, shards);
        const parts = scales.map((_, shard) =>
          shapes.map((shape, index) =>
            gradientValues(
              shape.reduce((a, b) => a * b),
              shard,
              index,
            ),
          ),
        );
        const [byShards, byTensors] = [
          makeVariables(`shards-${backend}-${rule.name}-${shards}`),
          makeVariables(`sum-${backend}-${rule.name}-${shards}`),
        ];
        const [first, second] = [new Optimizer(rule, 0.02), new Optimizer(rule, 0.02)];
        // Shard 0 as tensors, as a replica passes its own shard; the others as shared memory's arrays.
        const own = parts[0]!.map((values, index) => tf.tensor(values, byShards[index]!.shape));
        first.applyShardGradients(
          scales.map((scale, shard) => ({ gradients: shard === 0 ? own : parts[shard]!, scale })),
          byShards,
        );
        tf.dispose(own);
        const sums = tf.tidy(() =>
          Object.fromEntries(
            byTensors.map((variable, index) => {
              const terms = scales.map((scale, shard) =>
                tf.mul(tf.tensor(parts[shard]![index]!, variable.shape), scale),
              );
              return [variable.name, terms.reduce((sum, term) => tf.add(sum, term))];
            }),
          ),
        );
        second.applyGradients(
          sums,
          byTensors.map((variable) => variable.name),
        );
        const values = (variables: tf.Variable[]) => variables.map((variable) => Array.from(variable.dataSync()));
        expect(values(byShards), `${backend}, ${rule.name}, ${shards} shards`).toEqual(values(byTensors));
        expect(values(byShards)).not.toEqual(shapes.map((shape, index) => Array.from(startValues(shape, index))));
        tf.dispose([byShards, byTensors, Object.values(sums)].flat());
        first.dispose();
        second.dispose();
      }
    }
  });

  it('carries its moments across backend changes mid-run', async () => {
    const reference = await run('switch-reference', 15, () => 'cpu');
    const switching = await run('switch-mixed', 15, (step) => (Math.floor(step / 4) % 2 === 0 ? 'wasm' : 'cpu'));
    expect(switching).toEqual(reference);
  });

  it('gives convolutions and matrix products the updated weights, not a packed copy of the old ones', async () => {
    await initBackend('wasm');
    const filter = tf.variable(tf.tensor4d(startValues([3, 3, 1, 4], 1), [3, 3, 1, 4]), true, 'heap-filter');
    const kernel = tf.variable(tf.tensor2d(startValues([16, 8], 2), [16, 8]), true, 'heap-kernel');
    const image = tf.tensor4d(startValues([1, 6, 6, 1], 3), [1, 6, 6, 1]);
    const rows = tf.tensor2d(startValues([5, 16], 4), [5, 16]);
    // Each op runs once before the update, as XNNPACK caches its operator (and packed weights) by weight tensor.
    const outputs = () => [tf.conv2d(image, filter, 1, 'valid'), tf.matMul(rows, kernel)];
    tf.dispose(outputs());
    const optimizer = new Optimizer(config, 0.1);
    const gradients = [gradientValues(36, 1, 0), gradientValues(128, 1, 1)];
    optimizer.applyShardGradients([{ gradients, scale: 1 }], [filter, kernel]);
    const [convolved, multiplied] = outputs() as [tf.Tensor, tf.Tensor];
    const freshFilter = tf.tensor4d(filter.dataSync(), [3, 3, 1, 4]);
    const freshKernel = tf.tensor2d(kernel.dataSync(), [16, 8]);
    expect(Array.from(convolved.dataSync())).toEqual(Array.from(tf.conv2d(image, freshFilter, 1, 'valid').dataSync()));
    expect(Array.from(multiplied.dataSync())).toEqual(Array.from(tf.matMul(rows, freshKernel).dataSync()));
    expect(Array.from(filter.dataSync())).not.toEqual(Array.from(startValues([3, 3, 1, 4], 1)));
    optimizer.dispose();
    tf.dispose([filter, kernel, image, rows, convolved, multiplied, freshFilter, freshKernel]);
  });

  it('leaves a tensor that shared a variable’s data untouched', async () => {
    await initBackend('wasm');
    const initial = tf.tensor1d([0.5, -0.25, 1, 2, 3]);
    const variable = tf.variable(initial, true, 'heap-shared');
    const optimizer = new Optimizer(config, 0.1);
    for (let step = 0; step < 3; step++) {
      optimizer.applyShardGradients([{ gradients: [Float32Array.from([1, -1, 1, -1, 1])], scale: 1 }], [variable]);
    }
    expect(Array.from(initial.dataSync())).toEqual([0.5, -0.25, 1, 2, 3]);
    expect(Array.from(variable.dataSync())).not.toEqual([0.5, -0.25, 1, 2, 3]);
    optimizer.dispose();
    tf.dispose([initial, variable]);
  });
});
