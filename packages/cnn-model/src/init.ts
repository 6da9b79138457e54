import type { SeededRandom } from './random.js';
import type { LayerSpec, WeightPlan } from './spec.js';

/**
 * Initial values for one weight, drawn in JS from the model's seeded generator so every backend starts from the
 * same numbers: He normal for kernels feeding a ReLU, Glorot uniform for linear ones, zeros/ones for the rest.
 */
export function initialValues(weight: WeightPlan, layer: LayerSpec, random: SeededRandom): Float32Array {
  const size = weight.shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  const role = weight.name.slice(weight.name.lastIndexOf('/') + 1);
  if (role === 'gamma' || role === 'moving_variance') return values.fill(1);
  if (role !== 'kernel') return values;
  const receptive = weight.shape.slice(0, -2).reduce((a, b) => a * b, 1);
  const fanIn = receptive * (weight.shape[weight.shape.length - 2] ?? 1);
  const fanOut = receptive * (weight.shape[weight.shape.length - 1] ?? 1);
  const activation = 'activation' in layer ? (layer.activation ?? 'linear') : 'linear';
  if (activation === 'relu') {
    const std = Math.sqrt(2 / fanIn);
    for (let i = 0; i < size; i++) values[i] = random.nextNormal() * std;
  } else {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    for (let i = 0; i < size; i++) values[i] = (random.nextFloat() * 2 - 1) * limit;
  }
  return values;
}
