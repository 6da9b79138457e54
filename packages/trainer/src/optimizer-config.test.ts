import { describe, expect, it } from 'vitest';
import { type OptimizerConfig, resolveOptimizer } from './optimizer-config.js';

describe('resolveOptimizer checks each hyper-parameter', () => {
  it.each([
    [{ name: 'adam', beta1: 1 }, 'optimizer.beta1', 'expected a number in [0, 0.9999999], got 1'],
    [{ name: 'adamw', epsilon: 0 }, 'optimizer.epsilon', 'expected a number in (0, 1], got 0'],
    [{ name: 'adamw', weightDecay: 1.5 }, 'optimizer.weightDecay', 'expected a number in [0, 1], got 1.5'],
    [{ name: 'rmsprop', decay: Number.NaN }, 'optimizer.decay', 'expected a number in [0, 0.9999999], got NaN'],
    [{ name: 'sgd', momentum: '0.9' }, 'optimizer.momentum', 'expected a number in [0, 0.9999999], got 0.9'],
  ])('names it and its range: %o', (config, option, expected) => {
    expect(() => resolveOptimizer(config as OptimizerConfig)).toThrow(
      expect.objectContaining({ name: 'TrainOptionsError', option, message: `invalid option ${option}: ${expected}` }),
    );
  });

  it('accepts the ends of each range that are included', () => {
    const adam = { name: 'adam', beta1: 0, beta2: 0.9999999, epsilon: 1 } as const;
    expect(resolveOptimizer(adam)).toEqual(adam);
    expect(resolveOptimizer({ name: 'sgd', weightDecay: 1 })).toMatchObject({ weightDecay: 1 });
  });
});
