import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { DATASET_FILE_KEYS, type DatasetSplit, getDatasetPreset } from '@mnist-cnn/mnist-data';
import type { CommandContext } from './cli.js';
import { describeSource, loadCliDataset } from './dataset-source.js';
import type { infoDefinition } from './definitions.js';
import { ExitCode } from './errors.js';
import { formatCount, formatTable } from './format.js';
import type { OptionValues } from './option-types.js';

/** One dataset file with its size and SHA-256, and whether it matches the published checksum of the .gz. */
export interface DatasetFileReport {
  key: string;
  path: string;
  bytes: number;
  sha256: string;
  /** True/false for .gz files (compared with the preset), undefined for raw files (checksums are published for .gz). */
  verified: boolean | undefined;
}

/** Counts of each label in a split. */
export function labelHistogram(split: DatasetSplit, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < split.count; i++) counts[split.labels[i]!] = (counts[split.labels[i]!] ?? 0) + 1;
  return counts;
}

/** `mnist-cnn info`: where the dataset comes from, its counts, label histogram and file checksums. */
export async function runInfo(
  values: OptionValues<typeof infoDefinition.options>,
  context: CommandContext,
): Promise<number> {
  const { renderer } = context;
  const dataset = await loadCliDataset(values, renderer);
  const preset = getDatasetPreset(dataset.name);
  const classes = dataset.classNames.length;
  const files: DatasetFileReport[] = [];
  for (const key of DATASET_FILE_KEYS) {
    const path = dataset.source.files?.[key];
    if (path === undefined) continue;
    const bytes = await readFile(path);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    files.push({
      key,
      path,
      bytes: bytes.length,
      sha256,
      verified: path.endsWith('.gz') ? sha256 === preset.files[key].gzSha256 : undefined,
    });
  }
  const split = (s: DatasetSplit) => ({
    count: s.count,
    rows: s.rows,
    cols: s.cols,
    labels: labelHistogram(s, classes),
  });
  const record = {
    type: 'info',
    dataset: dataset.name,
    title: preset.title,
    source: { kind: dataset.source.kind, path: dataset.source.path },
    classNames: dataset.classNames,
    train: split(dataset.train),
    test: split(dataset.test),
    files,
  };
  const trainHistogram = record.train.labels;
  const testHistogram = record.test.labels;
  const histogram = formatTable([
    ['label', 'train', 'test'],
    ...dataset.classNames.map((name, label) => [
      label === Number(name) || String(label) === name ? String(label) : `${label} ${name}`,
      formatCount(trainHistogram[label] ?? 0),
      formatCount(testHistogram[label] ?? 0),
    ]),
  ]);
  const checksums = files.map((file) => {
    const check =
      file.verified === undefined
        ? ''
        : file.verified
          ? '  ✓ matches the published checksum'
          : '  ✗ DIFFERS from the published checksum';
    return `  ${file.sha256}  ${file.path} (${formatCount(file.bytes)} bytes)${check}`;
  });
  renderer.record(record, [
    `${renderer.style.bold(preset.title)}: ${describeSource(dataset)}`,
    `train: ${formatCount(dataset.train.count)} images of ${dataset.train.rows}×${dataset.train.cols}`,
    `test:  ${formatCount(dataset.test.count)} images of ${dataset.test.rows}×${dataset.test.cols}`,
    '',
    ...histogram.map((line) => `  ${line}`),
    '',
    'SHA-256:',
    ...checksums,
  ]);
  return ExitCode.ok;
}
