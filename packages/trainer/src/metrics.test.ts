import { describe, expect, it } from 'vitest';
import { argmaxRows, classMetrics, confusionMatrix, crossEntropySum } from './metrics.js';

describe('metrics', () => {
  it('computes the confusion matrix and per-class precision, recall and F1', () => {
    const truth = [0, 0, 0, 1, 1, 2];
    const predicted = [0, 0, 1, 1, 2, 2];
    const matrix = confusionMatrix(truth, predicted, 3);
    expect(matrix).toEqual([
      [2, 1, 0],
      [0, 1, 1],
      [0, 0, 1],
    ]);
    const [zero, one, two] = classMetrics(matrix);
    expect(zero).toEqual({ precision: 1, recall: 2 / 3, f1: 0.8, support: 3 });
    expect(one!.precision).toBe(0.5);
    expect(one!.recall).toBe(0.5);
    expect(one!.f1).toBe(0.5);
    expect(two!.precision).toBe(0.5);
    expect(two!.recall).toBe(1);
    expect(two!.f1).toBeCloseTo(2 / 3, 12);
  });

  it('scores a class that never occurs as 0 instead of NaN', () => {
    const [, absent] = classMetrics(confusionMatrix([0, 0], [0, 0], 2));
    expect(absent).toEqual({ precision: 0, recall: 0, f1: 0, support: 0 });
  });

  it('takes the argmax of each row and sums cross-entropy', () => {
    const probabilities = Float32Array.from([0.1, 0.7, 0.2, 0.5, 0.25, 0.25]);
    expect(Array.from(argmaxRows(probabilities, 3))).toEqual([1, 0]);
    expect(crossEntropySum(probabilities, [1, 2], 3)).toBeCloseTo(-Math.log(0.7) - Math.log(0.25), 5);
  });
});
