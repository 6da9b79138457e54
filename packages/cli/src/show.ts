import type { CnnModel } from '@mnist-cnn/cnn-model';
import { predictImages } from '@mnist-cnn/trainer';
import { startBackend } from './backend-setup.js';
import type { CommandContext } from './cli.js';
import { describeSource, loadCliDataset } from './dataset-source.js';
import type { showDefinition } from './definitions.js';
import { besideText, renderDigit } from './digit-art.js';
import { ExitCode, UsageError } from './errors.js';
import { formatPercent } from './format.js';
import { loadCliModel } from './model-files.js';
import type { OptionValues } from './option-types.js';
import { formatClass, topPredictions } from './predictions.js';

/** `mnist-cnn show`: draws digits of a split in the terminal, with a model's prediction beside each when given one. */
export async function runShow(
  values: OptionValues<typeof showDefinition.options>,
  context: CommandContext,
): Promise<number> {
  const { renderer } = context;
  const dataset = await loadCliDataset(values, renderer);
  const split = dataset[values.split];
  if (values.index >= split.count) {
    throw new UsageError(
      `--index ${values.index} is out of range: the ${values.split} split has ${split.count} images`,
      `use 0 to ${split.count - 1}`,
    );
  }
  const count = Math.min(values.count, split.count - values.index);
  const pixelsPerImage = split.rows * split.cols;
  const block = split.images.subarray(values.index * pixelsPerImage, (values.index + count) * pixelsPerImage);
  let model: CnnModel | undefined;
  let probabilities: Float32Array | undefined;
  if (values.model !== undefined) {
    await startBackend(values.backend);
    model = await loadCliModel(values.model);
    probabilities = predictImages(model, block, count);
  }
  const classes = dataset.classNames.length;
  renderer.text(renderer.style.dim(`${describeSource(dataset)}, ${values.split} split`));
  for (let i = 0; i < count; i++) {
    const index = values.index + i;
    const label = split.labels[index]!;
    const pixels = block.subarray(i * pixelsPerImage, (i + 1) * pixelsPerImage);
    const prediction = probabilities && topPredictions(probabilities, i, classes, 3);
    const text = [`#${index}  label ${formatClass(label, dataset.classNames)}`];
    if (prediction !== undefined) {
      const verdict = prediction.label === label ? renderer.style.green('✓') : renderer.style.red('✗');
      text.push(`predicted ${formatClass(prediction.label, dataset.classNames)} ${verdict}`);
      for (const entry of prediction.top)
        text.push(`  ${formatClass(entry.label, dataset.classNames)}: ${formatPercent(entry.probability, 1)}`);
    }
    const human =
      renderer.mode === 'json'
        ? []
        : [...besideText(renderDigit(pixels, split.cols, split.rows, renderer.style.enabled), split.cols, text), ''];
    renderer.record(
      {
        type: 'digit',
        dataset: dataset.name,
        split: values.split,
        index,
        label,
        className: dataset.classNames[label],
        rows: split.rows,
        cols: split.cols,
        pixels: Array.from(pixels),
        ...(prediction === undefined
          ? {}
          : { predicted: prediction.label, probability: prediction.probability, top: prediction.top }),
      },
      human,
    );
  }
  model?.dispose();
  return ExitCode.ok;
}
