import { describe, expect, it } from 'vitest';
import { datasetFromIdxFiles, IdxFormatError } from '../src/index.js';
import { allInOrder } from '../src/settle.js';

describe('allInOrder', () => {
  it('throws the failure of the earliest item, not the first to fail in time', async () => {
    const late = new Promise<number>((_, reject) => setTimeout(() => reject(new Error('first item')), 30));
    const early = Promise.reject(new Error('second item'));
    await expect(allInOrder([late, early])).rejects.toThrow('first item');
  });

  it('returns the values in order when all succeed', async () => {
    const slow = new Promise<number>((resolve) => setTimeout(() => resolve(1), 20));
    await expect(allInOrder([slow, Promise.resolve(2)])).resolves.toEqual([1, 2]);
  });
});

describe('a dataset with several broken files', () => {
  it('always names the training images first', async () => {
    const broken = new Uint8Array([0, 0, 8, 1, 0, 0, 0, 5]);
    const error = await datasetFromIdxFiles({
      trainImages: broken,
      trainLabels: broken,
      testImages: broken,
      testLabels: broken,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(IdxFormatError);
    expect((error as Error).message).toContain('train-images-idx3-ubyte');
  });
});
