import type { DatasetSplit } from '@mnist-cnn/mnist-data';
import type { EvaluationResult } from '@mnist-cnn/trainer';
import { formatCount, formatPercent, formatTable } from './format.js';
import type { MisclassifiedDigit, ReportInput } from './report.js';
import { printable } from './terminal-text.js';

/** How many misclassified digits the report draws. */
export const reportedMisclassifiedLimit = 60;

/** Per-class precision/recall/F1 and the confusion matrix as aligned text tables. */
export function evaluationTables(result: EvaluationResult, classNames: readonly string[]): string[] {
  const metrics = formatTable([
    ['class', 'precision', 'recall', 'F1', 'support'],
    ...result.perClass.map((m, label) => [
      printable(classNames[label] ?? String(label)),
      formatPercent(m.precision),
      formatPercent(m.recall),
      formatPercent(m.f1),
      formatCount(m.support),
    ]),
  ]);
  const labels = classNames.map((name, label) => (name.length <= 3 && printable(name) === name ? name : String(label)));
  const matrix = formatTable([
    ['true\\pred', ...labels],
    ...result.confusionMatrix.map((row, label) => [labels[label] ?? String(label), ...row.map(String)]),
  ]);
  return [
    'Per class:',
    ...metrics.map((l) => `  ${l}`),
    '',
    'Confusion matrix (rows: true label, columns: predicted):',
    ...matrix.map((l) => `  ${l}`),
  ];
}

/** The evaluation as a JSON-friendly object (no typed arrays). */
export function evaluationRecord(result: EvaluationResult): Record<string, unknown> {
  return {
    count: result.count,
    accuracy: result.accuracy,
    loss: result.loss,
    perClass: result.perClass,
    confusionMatrix: result.confusionMatrix,
    misclassifiedCount: result.misclassified.length,
  };
}

/** The first misclassified images, with their pixels, for the report's grid. */
export function misclassifiedDigits(result: EvaluationResult, split: DatasetSplit): MisclassifiedDigit[] {
  const size = split.rows * split.cols;
  return result.misclassified.slice(0, reportedMisclassifiedLimit).map((index) => ({
    index,
    label: split.labels[index]!,
    predicted: result.predictions[index]!,
    pixels: split.images.slice(index * size, (index + 1) * size),
    rows: split.rows,
    cols: split.cols,
  }));
}

/** The evaluation part of the HTML report. */
export function evaluationReport(
  result: EvaluationResult,
  split: DatasetSplit,
  classNames: readonly string[],
): Pick<ReportInput, 'evaluation' | 'misclassified' | 'misclassifiedTotal'> {
  return {
    evaluation: {
      accuracy: result.accuracy,
      classNames,
      confusionMatrix: result.confusionMatrix,
      perClass: result.perClass,
    },
    misclassified: misclassifiedDigits(result, split),
    misclassifiedTotal: result.misclassified.length,
  };
}
