import { createRng } from '@mnist-cnn/cnn-model';
import { loadDataset } from '@mnist-cnn/mnist-data/node';
import { beforeAll, describe, expect, it } from 'vitest';
import { augmentImages, resolveAugment } from './augment.js';
import { TrainOptionsError } from './errors.js';

let digit: Uint8Array;

beforeAll(async () => {
  const dataset = await loadDataset();
  digit = dataset.train.images.slice(0, 784);
});

const shape = { count: 1, rows: 28, cols: 28 };
const centreOfMass = (image: Uint8Array) => {
  let sum = 0;
  let x = 0;
  let y = 0;
  for (let i = 0; i < 784; i++) {
    sum += image[i]!;
    x += (i % 28) * image[i]!;
    y += Math.floor(i / 28) * image[i]!;
  }
  return { x: x / sum, y: y / sum, ink: sum };
};

describe('augmentImages', () => {
  it('leaves an image unchanged when shift and rotation are 0', () => {
    const out = new Uint8Array(784);
    augmentImages(digit, out, shape, createRng(1), { maxShift: 0, maxRotationDegrees: 0 });
    expect(out).toEqual(digit);
  });

  it('moves a real digit by whole pixels without losing ink', () => {
    const out = new Uint8Array(784);
    augmentImages(digit, out, shape, createRng(3), { maxShift: 3, maxRotationDegrees: 0 });
    const before = centreOfMass(digit);
    const after = centreOfMass(out);
    const dx = after.x - before.x;
    const dy = after.y - before.y;
    expect(Math.abs(dx - Math.round(dx))).toBeLessThan(0.05);
    expect(Math.abs(dy - Math.round(dy))).toBeLessThan(0.05);
    expect(Math.abs(dx) + Math.abs(dy)).toBeGreaterThan(0.5);
    expect(after.ink / before.ink).toBeGreaterThan(0.98);
  });

  it('rotates about the centre, keeping the centre of mass near where it was', () => {
    const out = new Uint8Array(784);
    augmentImages(digit, out, shape, createRng(5), { maxShift: 0, maxRotationDegrees: 15 });
    expect(out).not.toEqual(digit);
    const before = centreOfMass(digit);
    const after = centreOfMass(out);
    expect(Math.hypot(after.x - before.x, after.y - before.y)).toBeLessThan(2);
    expect(Math.abs(after.ink / before.ink - 1)).toBeLessThan(0.1);
  });

  it('is reproducible for a seed and different across seeds', () => {
    const source = new Uint8Array(784 * 4);
    for (let i = 0; i < 4; i++) source.set(digit, i * 784);
    const run = (seed: number) => {
      const out = new Uint8Array(source.length);
      augmentImages(source, out, { ...shape, count: 4 }, createRng(seed), { maxShift: 2, maxRotationDegrees: 10 });
      return out;
    };
    expect(run(9)).toEqual(run(9));
    expect(run(9)).not.toEqual(run(10));
  });

  it('validates its options', () => {
    expect(resolveAugment(true)).toEqual({ maxShift: 2, maxRotationDegrees: 10 });
    expect(resolveAugment(false)).toBeUndefined();
    expect(() => resolveAugment({ maxShift: 1.5 })).toThrow(TrainOptionsError);
    expect(() => resolveAugment({ maxRotationDegrees: 90 })).toThrow(/maxRotationDegrees/);
  });
});
