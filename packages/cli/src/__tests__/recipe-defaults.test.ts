import { recipes } from '@mnist-cnn/trainer';
import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../parse-args.js';
import { withRecipeDefaults } from '../recipe-defaults.js';

function trainSettings(argv: string[]) {
  const parsed = parseCommandLine(['train', ...argv]);
  if (parsed.kind !== 'run') throw new Error(`expected a command, got ${parsed.kind}`);
  return withRecipeDefaults(parsed.values as unknown as Parameters<typeof withRecipeDefaults>[0]);
}

describe('train settings default to the preset recipe', () => {
  it('takes every unset setting from the reference recipe', () => {
    const reference = recipes.reference;
    expect(trainSettings([])).toEqual({
      epochs: reference.epochs,
      batchSize: reference.batchSize,
      learningRate: reference.learningRate,
      optimizer: reference.optimizer,
      schedule: reference.schedule,
      augment: reference.augment,
    });
  });

  it('lets flags win, and --no-augment turns augmentation off', () => {
    const settings = trainSettings(['--batch-size', '64', '--lr', '0.01', '--schedule', 'constant', '--no-augment']);
    expect(settings).toMatchObject({ batchSize: 64, learningRate: 0.01, schedule: 'constant', augment: false });
  });

  it('uses the best recipe for --preset best', () => {
    expect(trainSettings(['--preset', 'best'])).toMatchObject({
      epochs: recipes.best.epochs,
      batchSize: recipes.best.batchSize,
      learningRate: recipes.best.learningRate,
    });
  });

  it('gives --optimizer sgd or rmsprop its --momentum, and refuses --momentum for adam', () => {
    expect(trainSettings(['--optimizer', 'sgd', '--momentum', '0.9']).optimizer).toEqual({
      name: 'sgd',
      momentum: 0.9,
    });
    expect(() => trainSettings(['--momentum', '0.9'])).toThrow(
      '--momentum applies to --optimizer sgd or rmsprop, not adam',
    );
  });

  it('gives --optimizer sgd or adamw its --weight-decay, and refuses it for adam', () => {
    expect(trainSettings(['--optimizer', 'adamw', '--weight-decay', '0.05']).optimizer).toEqual({
      name: 'adamw',
      weightDecay: 0.05,
    });
    expect(trainSettings(['--optimizer', 'sgd', '--momentum', '0.9', '--weight-decay', '5e-4']).optimizer).toEqual({
      name: 'sgd',
      momentum: 0.9,
      weightDecay: 5e-4,
    });
    expect(trainSettings(['--optimizer', 'adamw']).optimizer).toBe('adamw');
    expect(() => trainSettings(['--weight-decay', '0.1'])).toThrow(
      '--weight-decay applies to --optimizer sgd or adamw',
    );
  });
});
