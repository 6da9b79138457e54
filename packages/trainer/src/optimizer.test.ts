import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { TrainOptionsError } from './errors.js';
import { initBackend } from './node-backend.js';
import { Optimizer } from './optimizer.js';
import { type OptimizerConfig, resolveOptimizer } from './optimizer-config.js';

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
  let optimizer = new Optimizer(resolveOptimizer(config), 0.05);
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
      optimizer = new Optimizer(resolveOptimizer(config), 0.05);
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

/** tf.train's optimizer for a config, with the learning rate settable the way the trainer once reached into it. */
function tfjsOptimizer(config: OptimizerConfig, learningRate: number) {
  const resolved = resolveOptimizer(config);
  const optimizer =
    resolved.name === 'adam' || resolved.name === 'adamw'
      ? tf.train.adam(learningRate, resolved.beta1, resolved.beta2, resolved.epsilon)
      : resolved.name === 'rmsprop'
        ? tf.train.rmsprop(learningRate, resolved.decay, resolved.momentum, resolved.epsilon, resolved.centered)
        : resolved.momentum > 0
          ? tf.train.momentum(learningRate, resolved.momentum, resolved.nesterov)
          : tf.train.sgd(learningRate);
  const setLearningRate = (rate: number) => {
    // Not `instanceof`: tfjs's Optimizer classes answer it by duck typing, so Adam passes as an SGDOptimizer.
    if (resolved.name === 'sgd') (optimizer as tf.SGDOptimizer).setLearningRate(rate);
    else (optimizer as unknown as { learningRate: number }).learningRate = rate;
  };
  return { optimizer, setLearningRate };
}

describe.each(['cpu', 'wasm'] as const)('TrainingOptimizer against tf.train (%s)', (backend) => {
  for (const config of [
    { name: 'adam' },
    { name: 'adam', beta1: 0.8, beta2: 0.95, epsilon: 1e-4 },
    { name: 'sgd' },
    { name: 'sgd', momentum: 0.9 },
    { name: 'sgd', momentum: 0.7, nesterov: true },
    { name: 'rmsprop' },
    { name: 'rmsprop', momentum: 0.5, centered: true },
  ] satisfies OptimizerConfig[])
    it(`gives bit-identical weights and slots for ${JSON.stringify(config)}`, async () => {
      await initBackend(backend);
      const ours = makeProblem(`ours-${backend}-${JSON.stringify(config)}`);
      const theirs = makeProblem(`theirs-${backend}-${JSON.stringify(config)}`);
      const optimizer = new Optimizer(resolveOptimizer(config), 0.05);
      const reference = tfjsOptimizer(config, 0.05);
      for (let step = 0; step < 30; step++) {
        const rate = 0.05 / (1 + 0.3 * step);
        optimizer.setLearningRate(rate);
        reference.setLearningRate(rate);
        const ourGradients = ours.gradients(step);
        const theirGradients = theirs.gradients(step);
        optimizer.applyGradients(ourGradients, ours.names);
        reference.optimizer.applyGradients(
          theirs.names.map((name, index) => ({ name, tensor: theirGradients[theirs.names[index]!]! })),
        );
        tf.dispose([ourGradients, theirGradients]);
      }
      expect([...ours.weights.dataSync(), ...ours.bias.dataSync()]).toEqual([
        ...theirs.weights.dataSync(),
        ...theirs.bias.dataSync(),
      ]);
      expect(ours.weights.dataSync()).not.toEqual(Float32Array.from([0.5, -0.3, 0.2, 0.1, -0.4, 0.6]));
      const saved = await optimizer.saveState();
      const [iterations, ...slots] = await reference.optimizer.getWeights();
      expect(saved.iterations).toBe(iterations!.tensor.dataSync()[0]);
      expect(saved.slots.map((slot) => slot.shape)).toEqual(slots.map((slot) => slot.tensor.shape));
      expect(saved.slots.map((slot) => Array.from(slot.values))).toEqual(
        slots.map((slot) => Array.from(slot.tensor.dataSync())),
      );
      reference.optimizer.dispose();
      tf.dispose([ours.weights, ours.bias, theirs.weights, theirs.bias, iterations!.tensor]);
    });
});

describe.each(['cpu', 'wasm'] as const)('TrainingOptimizer save/restore (%s)', (backend) => {
  beforeAll(async () => {
    await initBackend(backend);
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
      const name = `${backend}-${JSON.stringify(config)}`;
      const straight = await runSteps(config, `straight-${name}`, 45);
      const resumed = await runSteps(config, `resumed-${name}`, 45, 37);
      expect(resumed).toEqual(straight);
      const untouched = [0.5, -0.3, 0.2, 0.1, -0.4, 0.6, 0.05, -0.05].map(Math.fround);
      expect(straight).not.toEqual(untouched);
    });
  }

  it('does not leak tensors across save/restore', async () => {
    await runSteps({ name: 'adam' }, `warm-up-${backend}`, 3, 1);
    const before = tf.memory().numTensors;
    await runSteps({ name: 'adam' }, `leak-check-${backend}`, 5, 2);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('resolveOptimizer', () => {
  it('rejects unknown names and out-of-range hyper-parameters', () => {
    expect(() => resolveOptimizer('adagrad' as never)).toThrow(TrainOptionsError);
    expect(() => resolveOptimizer({ name: 'adam', beta1: 1.5 })).toThrow(/optimizer.beta1/);
    expect(resolveOptimizer('momentum')).toEqual({ name: 'sgd', momentum: 0.9, nesterov: false });
  });
});
