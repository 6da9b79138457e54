import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createModel } from '../model.js';
import { ReluLayer } from '../relu.js';
import { planModel } from '../spec.js';
import { fixedRandom, relativeError, useBackend } from './backends.js';

describe('a ReLU layer of its own', () => {
  beforeAll(() => useBackend('cpu'));

  it('passes positive values and their gradients, and stops negative ones', () => {
    const [plan] = planModel({
      name: 't',
      inputShape: [2, 3, 1],
      layers: [{ type: 'relu' }, { type: 'flatten' }, { type: 'dense', units: 2 }],
      normalization: { mean: 0, std: 1 },
    });
    const x = tf.tensor4d([-2, -0.5, 0.5, 1, -1, 3], [1, 2, 3, 1]);
    const dy = tf.tensor4d([1, 2, 3, 4, 5, 6], [1, 2, 3, 1]);
    const { y, backward } = new ReluLayer(plan!).forward(x, { training: true });
    expect(Array.from(y.dataSync())).toEqual([0, 0, 0.5, 1, 0, 3]);
    expect(Array.from(backward(dy).dx!.dataSync())).toEqual([0, 0, 3, 4, 0, 6]);
  });

  it("trains inside a model: the conv kernel's gradient through batch norm and ReLU matches finite differences", () => {
    const spec = {
      name: 'bn-relu',
      inputShape: [6, 6, 1] as [number, number, number],
      layers: [
        { type: 'conv2d' as const, filters: 2, kernelSize: 3 },
        { type: 'batchNorm' as const },
        { type: 'relu' as const },
        { type: 'flatten' as const },
        { type: 'dense' as const, units: 3 },
      ],
      normalization: { mean: 0, std: 1 },
    };
    const model = createModel(spec, { seed: 1 });
    const x = tf.tensor4d(fixedRandom(4 * 36, 5), [4, 6, 6, 1]);
    const labels = tf.tensor1d([0, 1, 2, 1], 'int32');
    const { gradients } = model.computeGradients(x, labels, { seed: 1 });
    const kernel = model.trainableVariables.find((v) => v.name.endsWith('conv2d_1/kernel'))!;
    const numeric = numericGradient(model, x, labels, kernel);
    expect(relativeError(gradients[kernel.name]!.dataSync(), numeric)).toBeLessThan(2e-2);
  });
});

/** Central differences of the training-mode loss, one entry of the weight at a time. */
function numericGradient(
  model: ReturnType<typeof createModel>,
  x: tf.Tensor4D,
  labels: tf.Tensor1D,
  variable: tf.Variable,
): Float32Array {
  const values = variable.dataSync().slice();
  const numeric = new Float32Array(values.length);
  const loss = () => {
    const { loss: value, correct, gradients } = model.computeGradients(x, labels, { seed: 1 });
    const result = value.dataSync()[0]!;
    tf.dispose([value, correct, ...Object.values(gradients)]);
    return result;
  };
  const h = 1e-2;
  for (let i = 0; i < values.length; i++) {
    const original = values[i]!;
    values[i] = original + h;
    variable.assign(tf.tensor(values, variable.shape));
    const up = loss();
    values[i] = original - h;
    variable.assign(tf.tensor(values, variable.shape));
    const down = loss();
    values[i] = original;
    variable.assign(tf.tensor(values, variable.shape));
    numeric[i] = (up - down) / (2 * h);
  }
  return numeric;
}
