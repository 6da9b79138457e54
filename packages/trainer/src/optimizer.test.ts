import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { TrainOptionsError } from './errors.js';
import { initBackend } from './node-backend.js';
import { type OptimizerConfig, resolveOptimizer, TrainingOptimizer } from './optimizer.js';

// A tiny least-squares problem: enough to give every optimizer slot a non-trivial history.
function makeProblem(prefix: string) {
  const weights = tf.tidy(() =>
    tf.variable(tf.tensor2d([0.5, -0.3, 0.2, 0.1, -0.4, 0.6], [3, 2]), true, `${prefix}/w`),
  );
  const bias = tf.tidy(() => tf.variable(tf.tensor1d([0.05, -0.05]), true, `${prefix}/b`));
  // Gradients of a quadratic bowl written out by hand, so the test needs no autodiff kernels.
  const gradients = (step: number): tf.NamedTensorMap =>
    tf.tidy(() => ({
      [weights.name]: tf.mul(tf.sub(weights, tf.fill([3, 2], 0.1 * step)), 2),
      [bias.name]: tf.mul(tf.sub(bias, tf.tensor1d([1, -1])), 2 + step),
    }));
  return { weights, bias, names: [weights.name, bias.name], gradients };
}

async function runSteps(config: OptimizerConfig, prefix: string, steps: number, resumeAt?: number) {
  const problem = makeProblem(prefix);
  let optimizer = new TrainingOptimizer(resolveOptimizer(config), 0.05);
  for (let step = 0; step < steps; step++) {
    if (step === resumeAt) {
      const state = JSON.parse(
        JSON.stringify(await optimizer.saveState(), (_, v) => (v instanceof Float32Array ? Array.from(v) : v)),
      );
      state.slots = state.slots.map((slot: { shape: number[]; values: number[] }) => ({
        ...slot,
        values: Float32Array.from(slot.values),
      }));
      optimizer.dispose();
      optimizer = new TrainingOptimizer(resolveOptimizer(config), 0.05);
      await optimizer.loadState(state);
    }
    const grads = problem.gradients(step);
    optimizer.setLearningRate(0.05 / (1 + step));
    optimizer.applyGradients(grads, problem.names);
    tf.dispose(grads);
  }
  const values = [...problem.weights.dataSync(), ...problem.bias.dataSync()];
  optimizer.dispose();
  tf.dispose([problem.weights, problem.bias]);
  return values;
}

describe('TrainingOptimizer', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  const configs: OptimizerConfig[] = [
    { name: 'adam' },
    { name: 'sgd' },
    { name: 'sgd', momentum: 0.9 },
    { name: 'sgd', momentum: 0.9, nesterov: true },
    { name: 'rmsprop' },
    { name: 'rmsprop', momentum: 0.5, centered: true },
  ];
  for (const config of configs) {
    it(`restores ${JSON.stringify(config)} bit-exactly mid-run`, async () => {
      const straight = await runSteps(config, `straight-${JSON.stringify(config)}`, 45);
      const resumed = await runSteps(config, `resumed-${JSON.stringify(config)}`, 45, 37);
      expect(resumed).toEqual(straight);
      const untouched = [0.5, -0.3, 0.2, 0.1, -0.4, 0.6, 0.05, -0.05].map(Math.fround);
      expect(straight).not.toEqual(untouched);
    });
  }

  it('does not leak tensors across save/restore', async () => {
    await runSteps({ name: 'adam' }, 'warm-up', 3, 1);
    const before = tf.memory().numTensors;
    await runSteps({ name: 'adam' }, 'leak-check', 5, 2);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects unknown names and out-of-range hyper-parameters', () => {
    expect(() => resolveOptimizer('adagrad' as never)).toThrow(TrainOptionsError);
    expect(() => resolveOptimizer({ name: 'adam', beta1: 1.5 })).toThrow(/optimizer.beta1/);
    expect(resolveOptimizer('momentum')).toEqual({ name: 'sgd', momentum: 0.9, nesterov: false });
  });
});
