import type { Rng } from './random.js';
import { type LayerSpec, sizeOf, type WeightPlan } from './spec.js';

/**
 * Initial values for one weight, drawn in JS from the model's seeded generator so every backend starts from the
 * same numbers: He normal for kernels feeding a ReLU, Glorot uniform for linear ones, zeros/ones for the rest.
 */
export function initialValues(weight: WeightPlan, layer: LayerSpec, random: Rng, normal: () => number): Float32Array {
  const size = sizeOf(weight.shape);
  const values = new Float32Array(size);
  const role = weight.name.slice(weight.name.lastIndexOf('/') + 1);
  if (role === 'gamma' || role === 'moving_variance') return values.fill(1);
  if (role !== 'kernel') return values;
  const receptive = sizeOf(weight.shape.slice(0, -2));
  const fanIn = receptive * (weight.shape[weight.shape.length - 2] ?? 1);
  const fanOut = receptive * (weight.shape[weight.shape.length - 1] ?? 1);
  const activation = 'activation' in layer ? (layer.activation ?? 'linear') : 'linear';
  if (activation === 'relu') {
    const std = Math.sqrt(2 / fanIn);
    for (let i = 0; i < size; i++) values[i] = normal() * std;
  } else {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    for (let i = 0; i < size; i++) values[i] = (random.next() * 2 - 1) * limit;
  }
  return values;
}
