import { ModelFormatError } from './errors.js';
import type { WeightPlan } from './spec.js';

/** Checks a name → values map against the expected weights: no missing, no extra, right sizes, finite values. */
export function checkWeightMap(expected: WeightPlan[], weights: Record<string, ArrayLike<number>>): void {
  const expectedNames = new Set(expected.map((w) => w.name));
  for (const name of Object.keys(weights)) {
    if (!expectedNames.has(name))
      throw new ModelFormatError(
        'UNEXPECTED_WEIGHT',
        `unexpected weight ${name}; expected only ${[...expectedNames].join(', ')}`,
      );
  }
  for (const weight of expected) {
    const values = weights[weight.name];
    if (values === undefined) throw new ModelFormatError('MISSING_WEIGHT', `missing weight ${weight.name}`);
    const size = weight.shape.reduce((a, b) => a * b, 1);
    if (values.length !== size) {
      throw new ModelFormatError(
        'WEIGHT_SHAPE_MISMATCH',
        `weight ${weight.name} has ${values.length} values, expected ${size} for shape [${weight.shape}]`,
      );
    }
    checkFinite(weight.name, values);
  }
}

/** Throws NON_FINITE_WEIGHT naming the first NaN or infinite value. */
export function checkFinite(name: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]!))
      throw new ModelFormatError(
        'NON_FINITE_WEIGHT',
        `weight ${name} has a non-finite value (${values[i]}) at index ${i}`,
      );
  }
}
