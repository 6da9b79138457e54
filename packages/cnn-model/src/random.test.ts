import { describe, expect, it } from 'vitest';
import { createRng, createRngFromState, deriveSeed, shuffleInPlace } from './random.js';

describe('seeded random numbers', () => {
  it('repeats a stream for the same seed and differs for another', () => {
    const a = createRng(7);
    const b = createRng(7);
    const c = createRng(8);
    const first = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(first);
    expect(Array.from({ length: 5 }, () => c.nextUint32())).not.toEqual(first);
  });

  it('continues exactly from a saved state, even through JSON', () => {
    const rng = createRng(123);
    for (let i = 0; i < 100; i++) rng.next();
    const saved = JSON.parse(JSON.stringify(rng.state()));
    const expected = Array.from({ length: 10 }, () => rng.next());
    const restored = createRngFromState(saved);
    expect(Array.from({ length: 10 }, () => restored.next())).toEqual(expected);
  });

  it('produces roughly uniform values in [0, 1)', () => {
    const rng = createRng(1);
    const buckets = new Array(10).fill(0);
    let outside = 0;
    for (let i = 0; i < 20_000; i++) {
      const value = rng.next();
      if (value < 0 || value >= 1) outside++;
      buckets[Math.floor(value * 10)]++;
    }
    expect(outside).toBe(0);
    for (const count of buckets) expect(Math.abs(count - 2000)).toBeLessThan(200);
  });

  it('shuffles into a permutation that depends on the seed', () => {
    const base = Int32Array.from({ length: 100 }, (_, i) => i);
    const one = shuffleInPlace(base.slice(), createRng(1));
    const again = shuffleInPlace(base.slice(), createRng(1));
    const two = shuffleInPlace(base.slice(), createRng(2));
    expect(Array.from(one).sort((x, y) => x - y)).toEqual(Array.from(base));
    expect(one).toEqual(again);
    expect(one).not.toEqual(two);
    expect(one).not.toEqual(base);
  });

  it('derives distinct seeds for distinct paths', () => {
    const seeds = new Set<number>();
    for (let epoch = 0; epoch < 20; epoch++)
      for (let batch = 0; batch < 50; batch++) seeds.add(deriveSeed(5, epoch, batch));
    expect(seeds.size).toBe(1000);
    expect(deriveSeed(5, 1, 2)).toBe(deriveSeed(5, 1, 2));
    expect(deriveSeed(5, 1, 2)).not.toBe(deriveSeed(5, 2, 1));
  });
});
