import type { LoadedDataset } from '@mnist-cnn/mnist-data/node';
import { describeBackend, type EvaluationResult, openInferencePool } from '@mnist-cnn/trainer/node';
import { startBackend } from './backend-setup.js';
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
  const workers = inferenceWorkerCount(values.workers, (message) => renderer.warn(message));
  // The threads start their backends while this one reads the dataset.
  const opening = openInferencePool(model, { workers });
  let evaluation: { dataset: LoadedDataset; result: EvaluationResult; durationMs: number };
  try {
    const [dataset, pool] = await Promise.all([loadCliDataset(values, renderer), opening]);
    const started = performance.now();
    const result = await pool.evaluate(dataset[values.split], {
      batchSize: values.batchSize,
      ...(values.limit === undefined ? {} : { limit: values.limit }),
    });
    evaluation = { dataset, result, durationMs: performance.now() - started };
  } finally {
    await (await opening.catch(() => undefined))?.close();
  }
  const { dataset, result, durationMs } = evaluation;
  const split = dataset[values.split];
  const classNames = model.spec.classNames ?? dataset.classNames;
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
