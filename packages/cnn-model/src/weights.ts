import { ModelFormatError } from './errors.js';
import { sizeOf, type WeightPlan } from './spec.js';

/** Throws unless `names` are exactly the expected weights' names: none missing, none extra. */
export function checkWeightNames(expected: readonly WeightPlan[], names: readonly string[]): void {
  const expectedNames = new Set(expected.map((w) => w.name));
  const extra = names.find((name) => !expectedNames.has(name));
  if (extra !== undefined) {
    throw new ModelFormatError(
      'UNEXPECTED_WEIGHT',
      `unexpected weight ${extra}; expected only ${[...expectedNames].join(', ')}`,
    );
  }
  const missing = expected.find((weight) => !names.includes(weight.name));
  if (missing !== undefined) throw new ModelFormatError('MISSING_WEIGHT', `missing weight ${missing.name}`);
}

/** Checks a name → values map against the expected weights: no missing, no extra, right sizes, finite values. */
export function checkWeightMap(expected: WeightPlan[], weights: Record<string, ArrayLike<number>>): void {
  checkWeightNames(expected, Object.keys(weights));
  for (const weight of expected) {
    const values = weights[weight.name]!;
    if (values.length !== sizeOf(weight.shape)) {
      throw new ModelFormatError(
        'WEIGHT_SHAPE_MISMATCH',
        `weight ${weight.name} has ${values.length} values, expected ${sizeOf(weight.shape)} for shape [${weight.shape}]`,
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
