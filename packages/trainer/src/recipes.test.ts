import { getPreset } from '@mnist-cnn/cnn-model';
import { describe, expect, it } from 'vitest';
import { resolveOptimizer } from './optimizer-config.js';
import { resolveTrainOptions, type TrainOptions } from './options.js';
import { recipes } from './recipes.js';
import { resolveSchedule } from './schedule.js';

const split = { images: new Uint8Array(4 * 784), labels: new Uint8Array(4), count: 4, rows: 28, cols: 28 };

function resolved(options: Partial<TrainOptions>) {
  return resolveTrainOptions({ model: 'reference', train: split, ...options } as TrainOptions);
}

describe('train settings left unset come from the recipe', () => {
  it.each(['reference', 'best'] as const)('uses the %s recipe for that preset, by name or by spec', (name) => {
    const recipe = recipes[name];
    for (const model of [name, getPreset(name)]) {
      expect(resolved({ model })).toMatchObject({
        epochs: recipe.epochs,
        batchSize: recipe.batchSize,
        learningRate: recipe.learningRate,
        optimizer: resolveOptimizer(recipe.optimizer),
        schedule: resolveSchedule(recipe.schedule),
        augment: recipe.augment,
      });
    }
  });

  it('uses the reference recipe for a model of its own', () => {
    const custom = { ...getPreset('reference'), name: 'mine' };
    expect(resolved({ model: custom })).toMatchObject({
      epochs: recipes.reference.epochs,
      batchSize: recipes.reference.batchSize,
      learningRate: recipes.reference.learningRate,
      augment: { maxShift: 2 },
    });
  });

  it('lets given settings win, and augment true / false pick the recipe’s jitter or none', () => {
    const given = resolved({
      batchSize: 64,
      learningRate: 0.01,
      optimizer: 'sgd',
      schedule: 'constant',
      augment: false,
    });
    expect(given).toMatchObject({ batchSize: 64, learningRate: 0.01, augment: undefined });
    expect(given.optimizer).toEqual(resolveOptimizer('sgd'));
    expect(given.schedule).toEqual(resolveSchedule('constant'));
    expect(resolved({ augment: true }).augment).toEqual(recipes.reference.augment);
  });
});
