/** Precision, recall and F1 of one class, and how many true examples of it there were. */
export interface ClassMetrics {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/** Counts `matrix[true][predicted]` over paired label arrays. */
export function confusionMatrix(
  trueLabels: ArrayLike<number>,
  predictedLabels: ArrayLike<number>,
  classCount: number,
): number[][] {
  const matrix = Array.from({ length: classCount }, () => new Array<number>(classCount).fill(0));
  for (let i = 0; i < trueLabels.length; i++) {
    const row = matrix[trueLabels[i]!];
    const predicted = predictedLabels[i]!;
    if (row !== undefined && predicted < classCount) row[predicted]! += 1;
  }
  return matrix;
}

/** Per-class precision, recall and F1 from a confusion matrix; a class never predicted or never present scores 0. */
export function classMetrics(matrix: readonly (readonly number[])[]): ClassMetrics[] {
  return matrix.map((row, cls) => {
    const truePositives = row[cls] ?? 0;
    const support = row.reduce((sum, value) => sum + value, 0);
    const predictedCount = matrix.reduce((sum, other) => sum + (other[cls] ?? 0), 0);
    const precision = predictedCount === 0 ? 0 : truePositives / predictedCount;
    const recall = support === 0 ? 0 : truePositives / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { precision, recall, f1, support };
  });
}

/** Index of the largest value in each row of a row-major `[rows, columns]` matrix. */
export function argmaxRows(values: Float32Array, columns: number): Uint8Array {
  const rows = values.length / columns;
  const result = new Uint8Array(rows);
  for (let row = 0; row < rows; row++) {
    let best = 0;
    let bestValue = values[row * columns]!;
    for (let column = 1; column < columns; column++) {
      const value = values[row * columns + column]!;
      if (value > bestValue) {
        bestValue = value;
        best = column;
      }
    }
    result[row] = best;
  }
  return result;
}

/** Sum over rows of the cross-entropy `-log p[label]`, with probabilities clipped away from 0 as in training. */
export function crossEntropySum(probabilities: Float32Array, labels: ArrayLike<number>, columns: number): number {
  let sum = 0;
  for (let row = 0; row < labels.length; row++) {
    const p = probabilities[row * columns + labels[row]!]!;
    sum -= Math.log(Math.min(1, Math.max(p, 1e-7)));
  }
  return sum;
}
