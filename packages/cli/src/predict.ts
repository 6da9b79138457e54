import { mnistSize } from '@mnist-cnn/mnist-data';
import { predictImages } from '@mnist-cnn/trainer';
import { startBackend } from './backend-setup.js';
import type { CommandContext } from './cli.js';
import type { predictDefinition } from './definitions.js';
import { reportError } from './error-report.js';
import { CliError, ExitCode } from './errors.js';
import { formatPercent } from './format.js';
import { type ImageInput, readImageInputs } from './image-inputs.js';
import { loadCliModel } from './model-files.js';
import type { OptionValues } from './option-types.js';
import { formatClass, topPredictions } from './predictions.js';

/**
 * `mnist-cnn predict`: label and top probabilities for every image (or every image of an IDX file). A file that cannot
 * be read is reported on stderr and the others are still classified; the exit status is then 1.
 */
export async function runPredict(
  values: OptionValues<typeof predictDefinition.options>,
  context: CommandContext,
): Promise<number> {
  const { renderer } = context;
  const inputs: ImageInput[] = [];
  let failed = 0;
  for (const file of context.positionals) {
    try {
      inputs.push(...(await readImageInputs(file, values.limit)));
    } catch (error) {
      reportError(error, context.io, context.verbose);
      failed++;
    }
  }
  if (inputs.length === 0) return ExitCode.runtime;
  await startBackend(values.backend);
  const model = await loadCliModel(values.model);
  const [rows, cols, channels] = model.spec.inputShape;
  if (rows !== mnistSize || cols !== mnistSize || channels !== 1) {
    throw new CliError(
      'MODEL_CORRUPT',
      `the model in ${values.model} takes ${rows}×${cols}×${channels} images; predict prepares 28×28×1`,
      {
        hint: 'use a model trained on an MNIST-style dataset',
      },
    );
  }
  const pixels = new Uint8Array(inputs.length * mnistSize * mnistSize);
  inputs.forEach((input, i) => {
    pixels.set(input.pixels, i * mnistSize * mnistSize);
  });
  const probabilities = predictImages(model, pixels, inputs.length);
  const classNames = model.spec.classNames;
  const classes = probabilities.length / Math.max(1, inputs.length);
  inputs.forEach((input, i) => {
    const prediction = topPredictions(probabilities, i, classes, values.top);
    const top = prediction.top.map(
      (entry) => `${formatClass(entry.label, classNames)} ${formatPercent(entry.probability, 1)}`,
    );
    renderer.record(
      {
        type: 'prediction',
        file: input.file,
        ...(input.index === undefined ? {} : { index: input.index }),
        label: prediction.label,
        ...(classNames?.[prediction.label] === undefined ? {} : { className: classNames[prediction.label] }),
        probability: prediction.probability,
        top: prediction.top,
      },
      [`${input.name}: ${renderer.style.bold(formatClass(prediction.label, classNames))}  (${top.join(', ')})`],
    );
  });
  model.dispose();
  return failed > 0 ? ExitCode.runtime : ExitCode.ok;
}
