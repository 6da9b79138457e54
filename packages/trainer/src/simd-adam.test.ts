import { describe, expect, it } from 'vitest';
import { resolveOptimizer } from './optimizer.js';
import { adamScalars, updateWeight } from './optimizer-updates.js';
import { createAdamKernel } from './simd-adam.js';

const f = Math.fround;

/** Deterministic values of mixed sign and magnitude, including exact zeros. */
function values(length: number, seed: number): Float32Array {
  let state = seed;
  return Float32Array.from({ length }, (_, i) => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return i % 7 === 3 ? 0 : (state / 2147483648 - 0.5) * 10 ** ((state % 5) - 2);
  });
}

describe('SIMD Adam kernel', () => {
  it('matches the float32 JavaScript loop bit for bit, for lengths that do not fill whole vectors', () => {
    const config = resolveOptimizer({ name: 'adam', beta1: 0.85, beta2: 0.99, epsilon: 1e-6 });
    if (config.name !== 'adam') throw new Error('unreachable');
    const lengths = [1, 3, 4, 5, 10, 1003];
    const longest = Math.max(...lengths);
    const kernel = createAdamKernel([...lengths.flatMap((length) => [length, length]), longest, longest]);
    expect(kernel).not.toBeNull();
    const arrays = kernel!.arrays;
    const [weightScratch, gradientScratch] = arrays.slice(-2) as [Float32Array, Float32Array];
    const reference = lengths.map((length, k) => ({
      weights: values(length, k + 1),
      moments: [new Float32Array(length), new Float32Array(length)],
    }));
    const weightsOut = lengths.map((length, k) => values(length, k + 1));
    let powers: [number, number] = [f(config.beta1), f(config.beta2)];
    for (let step = 0; step < 12; step++) {
      const rate = 0.01 / (1 + step);
      for (const [k, length] of lengths.entries()) {
        const gradient = values(length, 100 * step + k);
        const ref = reference[k]!;
        const next = new Float32Array(length);
        updateWeight(config, { learningRate: rate, betaPowers: powers }, ref.weights, gradient, ref.moments, next);
        ref.weights = next;

        weightScratch.set(weightsOut[k]!);
        gradientScratch.set(gradient);
        const [m, v] = [arrays[2 * k]!, arrays[2 * k + 1]!];
        kernel!.update(
          weightScratch,
          gradientScratch,
          m,
          v,
          adamScalars(config, { learningRate: rate, betaPowers: powers }),
        );
        weightsOut[k] = weightScratch.slice(0, length);
      }
      powers = [f(powers[0] * f(config.beta1)), f(powers[1] * f(config.beta2))];
    }
    for (const [k] of lengths.entries()) {
      expect(Array.from(weightsOut[k]!)).toEqual(Array.from(reference[k]!.weights));
      expect(Array.from(arrays[2 * k]!)).toEqual(Array.from(reference[k]!.moments[0]!));
      expect(Array.from(arrays[2 * k + 1]!)).toEqual(Array.from(reference[k]!.moments[1]!));
      expect(weightsOut[k]!.some((w, i) => w !== values(lengths[k]!, k + 1)[i])).toBe(true);
    }
  });

  it('refuses arrays it did not allocate', () => {
    const kernel = createAdamKernel([4, 4, 4, 4])!;
    const [w, g, m] = kernel.arrays as [Float32Array, Float32Array, Float32Array];
    const scalars = {
      beta1: 0.9,
      oneMinusBeta1: 0.1,
      beta2: 0.999,
      oneMinusBeta2: 0.001,
      correction1: 0.1,
      correction2: 0.001,
      epsilon: 1e-7,
      negativeRate: -0.001,
    };
    expect(() => kernel.update(w, g, m, new Float32Array(4), scalars)).toThrow(/its own arrays/);
  });
});
