import { ModelSpecError } from './errors.js';
import { type ModelSpec, planModel } from './spec.js';

/**
 * Most floats one activation (a layer's output for a whole batch) may hold: 256 MB. A model file is small whatever its
 * layers' widths, so without this cap a 1 MB model.json could ask for gigabytes per batch (or trap the wasm heap).
 */
export const maxActivationFloats = 64 * 1024 * 1024;

const product = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** `15.7 M`, `4.0 G`: float and parameter counts in messages. */
function millions(count: number): string {
  return count >= 1e9 ? `${(count / 1e9).toFixed(1)} G` : `${(count / 1e6).toFixed(1)} M`;
}

/**
 * Throws OVER_BUDGET, naming the layer and the largest batch that fits, when one activation at `batchSize` images
 * would exceed {@link maxActivationFloats}. Call it with the batch size a run will actually use, before it starts.
 */
export function checkActivationBudget(spec: ModelSpec, batchSize: number): void {
  const plans = planModel(spec);
  const shapes = [
    { name: 'the input', shape: plans[0]!.inputShape },
    ...plans.map((p) => ({ name: `layer ${p.name} (${p.spec.type})`, shape: p.outputShape })),
  ];
  for (const { name, shape } of shapes) {
    const perImage = product(shape);
    if (perImage * batchSize <= maxActivationFloats) continue;
    const fits = Math.floor(maxActivationFloats / perImage);
    const advice =
      fits >= 1
        ? `use a batch size of at most ${fits} (--batch-size ${fits})`
        : 'no batch size fits; use a narrower model';
    throw new ModelSpecError(
      'OVER_BUDGET',
      `${name} outputs ${shape.join('×')} = ${millions(perImage)} floats per image; at batch size ${batchSize} that is ${millions(perImage * batchSize)}, over the ${millions(maxActivationFloats)} budget: ${advice}`,
    );
  }
}
