import { printable } from './terminal-text.js';

/** One image's predicted class and its most likely classes. */
export interface Prediction {
  readonly label: number;
  readonly probability: number;
  readonly top: readonly { label: number; probability: number }[];
}

/** Reads row `row` of a count×classes probability matrix and returns the prediction with the `k` likeliest classes. */
export function topPredictions(probabilities: Float32Array, row: number, classes: number, k: number): Prediction {
  const scores = Array.from(probabilities.subarray(row * classes, (row + 1) * classes), (probability, label) => ({
    label,
    probability,
  }));
  scores.sort((a, b) => b.probability - a.probability || a.label - b.label);
  const top = scores.slice(0, Math.min(k, classes));
  return { label: top[0]!.label, probability: top[0]!.probability, top };
}

/** `7 (98.1%)` or `Sneaker (98.1%)` when class names are words. */
export function formatClass(label: number, classNames: readonly string[] | undefined): string {
  const name = classNames?.[label];
  return name === undefined || name === String(label) ? String(label) : `${label} ${printable(name)}`;
}
