import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './node-backend.js';
import { Optimizer } from './optimizer.js';
import { type OptimizerConfig, resolveOptimizer } from './optimizer-config.js';

const start = [0.5, -0.3, 0.2, 0.1, -0.4, 0.6];
const gradientValues = [0.2, -0.1, 0.4, -0.3, 0.05, 0.25];
let counter = 0;

/** Weights after `steps` updates of one variable by `config` at rate `learningRate`, with a fixed gradient. */
async function afterSteps(config: OptimizerConfig, learningRate: number, steps: number, resumeAt?: number) {
  const variable = tf.variable(tf.tensor1d(start), true, `decay_${counter++}/w`);
  let optimizer = new Optimizer(resolveOptimizer(config), learningRate);
  for (let step = 0; step < steps; step++) {
    if (step === resumeAt) {
      const state = await optimizer.saveState();
      optimizer.dispose();
      optimizer = new Optimizer(resolveOptimizer(config), learningRate);
      await optimizer.loadState(state);
    }
    const gradient = tf.tensor1d(gradientValues);
    optimizer.applyGradients({ [variable.name]: gradient }, [variable.name]);
    gradient.dispose();
  }
  const values = Array.from(variable.dataSync());
  optimizer.dispose();
  variable.dispose();
  return values;
}

describe.each(['cpu', 'wasm'] as const)('weight decay (%s)', (backend) => {
  beforeAll(() => initBackend(backend));

  it('SGD adds weightDecay × weight to the gradient', async () => {
    const actual = await afterSteps({ name: 'sgd', weightDecay: 0.1 }, 0.5, 1);
    const expected = start.map((w, i) => w - 0.5 * (gradientValues[i]! + 0.1 * w));
    for (const [i, value] of actual.entries()) expect(value).toBeCloseTo(expected[i]!, 6);
  });

  it('AdamW shrinks the weights by learningRate × weightDecay, then takes the Adam step', async () => {
    const [lr, decay, beta1, beta2, epsilon] = [0.1, 0.05, 0.9, 0.999, 1e-7];
    const actual = await afterSteps({ name: 'adamw', weightDecay: decay }, lr, 1);
    const expected = start.map((w, i) => {
      const g = gradientValues[i]!;
      const mHat = ((1 - beta1) * g) / (1 - beta1);
      const vHat = ((1 - beta2) * g * g) / (1 - beta2);
      return w * (1 - lr * decay) - (lr * mHat) / (Math.sqrt(vHat) + epsilon);
    });
    for (const [i, value] of actual.entries()) expect(value).toBeCloseTo(expected[i]!, 5);
  });

  it('AdamW without decay is Adam bit for bit, and resumes exactly from a saved state', async () => {
    expect(await afterSteps({ name: 'adamw', weightDecay: 0 }, 0.05, 3)).toEqual(
      await afterSteps({ name: 'adam' }, 0.05, 3),
    );
    const straight = await afterSteps({ name: 'adamw' }, 0.05, 4);
    expect(await afterSteps({ name: 'adamw' }, 0.05, 4, 2)).toEqual(straight);
    expect(straight).not.toEqual(await afterSteps({ name: 'adam' }, 0.05, 4));
  });
});

describe('weight decay settings', () => {
  it('defaults to 0.01 for AdamW and to none for SGD, whose saved configuration keeps its old shape', () => {
    expect(resolveOptimizer('adamw')).toMatchObject({ name: 'adamw', weightDecay: 0.01 });
    expect(resolveOptimizer('sgd')).toEqual({ name: 'sgd', momentum: 0, nesterov: false });
    expect(() => resolveOptimizer({ name: 'sgd', weightDecay: -1 })).toThrow(/optimizer.weightDecay/);
  });
});
