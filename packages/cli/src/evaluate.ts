import { type EvaluationResult, openInferencePool } from '@mnist-cnn/trainer/node';
import { describeBackend, startBackend } from './backend-setup.js';
import type { CommandContext } from './cli.js';
import { describeSource, loadCliDataset } from './dataset-source.js';
import type { evaluateDefinition } from './definitions.js';
import { ExitCode } from './errors.js';
import { evaluationRecord, evaluationReport, evaluationTables } from './evaluation-output.js';
import { formatCount, formatPercent, plural } from './format.js';
import { loadCliModel } from './model-files.js';
import type { OptionValues } from './option-types.js';
import { writeReport } from './report.js';
import { inferenceWorkerCount } from './workers.js';

/** `mnist-cnn evaluate`: accuracy, per-class metrics and confusion matrix of a saved model on a split. */
export async function runEvaluate(
  values: OptionValues<typeof evaluateDefinition.options>,
  context: CommandContext,
): Promise<number> {
  const { renderer } = context;
  const backend = await startBackend(values.backend);
  const model = await loadCliModel(values.model);
  const dataset = await loadCliDataset(values, renderer);
  const split = dataset[values.split];
  const classNames = model.spec.classNames ?? dataset.classNames;
  const workers = inferenceWorkerCount(values.workers, (message) => renderer.warn(message));
  const started = performance.now();
  const pool = await openInferencePool(model, { workers });
  let result: EvaluationResult;
  try {
    result = await pool.evaluate(split, {
      batchSize: values.batchSize,
      ...(values.limit === undefined ? {} : { limit: values.limit }),
    });
  } finally {
    await pool.close();
  }
  const durationMs = performance.now() - started;
  if (values.report !== undefined) {
    await writeReport(values.report, {
      title: `mnist-cnn evaluation: ${values.model}`,
      facts: [
        ['model', values.model],
        ['dataset', `${dataset.name} (${values.split}, ${formatCount(result.count)} images)`],
        ['accuracy', formatPercent(result.accuracy)],
        ['loss', result.loss.toFixed(4)],
        ['backend', describeBackend(backend)],
      ],
      ...evaluationReport(result, split, classNames),
    });
  }
  renderer.record(
    {
      type: 'evaluation',
      model: values.model,
      dataset: dataset.name,
      split: values.split,
      backend: backend.backend,
      workers,
      durationMs,
      ...evaluationRecord(result),
      ...(values.report === undefined ? {} : { report: values.report }),
    },
    [
      `model ${values.model} on ${describeSource(dataset)}, ${values.split} split; backend ${describeBackend(backend)}, ${plural(workers, 'worker')}`,
      '',
      `accuracy: ${renderer.style.bold(formatPercent(result.accuracy))} (${formatCount(result.count - result.misclassified.length)} of ${formatCount(result.count)})  loss: ${result.loss.toFixed(4)}`,
      '',
      ...evaluationTables(result, classNames),
      ...(values.report === undefined ? [] : ['', `report written to ${values.report}`]),
    ],
  );
  model.dispose();
  return ExitCode.ok;
}
