import { type CnnModel, createModel, getPreset } from '@mnist-cnn/cnn-model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrainOptionsError } from '../errors.js';
import { evaluate, predictImages } from '../evaluate.js';
import { initBackend } from '../node-backend.js';
import { testSubset } from './fixtures.js';

let model: CnnModel;
beforeAll(async () => {
  await initBackend('cpu');
  model = createModel(getPreset('reference'), { seed: 1 });
});
afterAll(() => model.dispose());

/** The TrainOptionsError `run` throws: its option and message. */
function refusal(run: () => unknown): { option: string; message: string } {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(TrainOptionsError);
    return { option: (error as TrainOptionsError).option, message: (error as Error).message };
  }
  throw new Error('expected a TrainOptionsError, nothing was thrown');
}

describe('evaluate and predictImages refuse bad numbers, naming the option and the value', () => {
  it.each([0, -3, 2.5, Number.NaN])('batchSize %s', async (batchSize) => {
    const test = await testSubset(10);
    for (const run of [
      () => evaluate(model, test, { batchSize }),
      () => predictImages(model, test.images, 10, { batchSize }),
    ]) {
      expect(refusal(run)).toEqual({
        option: 'batchSize',
        message: `invalid option batchSize: expected an integer >= 1, got ${batchSize}`,
      });
    }
  });

  it.each([-1, 1.5, Number.NaN])('limit %s', async (limit) => {
    const test = await testSubset(10);
    expect(refusal(() => evaluate(model, test, { limit }))).toEqual({
      option: 'limit',
      message: `invalid option limit: expected an integer >= 0, got ${limit}`,
    });
  });

  it('a count that is not a whole number of images, or that does not fill the pixels', async () => {
    const test = await testSubset(2);
    expect(refusal(() => predictImages(model, test.images, -1))).toEqual({
      option: 'count',
      message: 'invalid option count: expected an integer >= 0, got -1',
    });
    expect(refusal(() => predictImages(model, test.images, 3))).toEqual({
      option: 'pixels',
      message: 'invalid option pixels: expected 3 images of 28×28×1 = 2352 bytes, got 1568',
    });
  });

  it('while a limit of 0 evaluates nothing and a limit past the split evaluates all of it', async () => {
    const test = await testSubset(10);
    expect(evaluate(model, test, { limit: 0 })).toMatchObject({ count: 0, accuracy: 0, loss: 0 });
    expect(evaluate(model, test, { limit: 1000, batchSize: 4 }).count).toBe(10);
  });
});
