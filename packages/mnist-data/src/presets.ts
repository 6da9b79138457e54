import { DatasetFormatError } from './errors.js';

export type DatasetName = 'mnist' | 'fashion-mnist' | 'kmnist';

/** The four files of an MNIST-style dataset. */
export type DatasetFileKey = 'trainImages' | 'trainLabels' | 'testImages' | 'testLabels';

export const DATASET_FILE_KEYS: readonly DatasetFileKey[] = Object.freeze([
  'trainImages',
  'trainLabels',
  'testImages',
  'testLabels',
]);

/** The standard (uncompressed) file names, shared by all three datasets. */
export const STANDARD_FILE_NAMES: Readonly<Record<DatasetFileKey, string>> = Object.freeze({
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
});

export interface DatasetFileInfo {
  /** Uncompressed standard name, e.g. `train-images-idx3-ubyte`. */
  name: string;
  /** Name of the distributed gzip file, e.g. `train-images-idx3-ubyte.gz`. */
  gzName: string;
  /** Size in bytes of the distributed .gz file. */
  gzSize: number;
  /** SHA-256 (hex) of the distributed .gz file. Downloads are verified against it. */
  gzSha256: string;
  /** Size in bytes of the uncompressed IDX file. */
  rawSize: number;
}

export interface DatasetPreset {
  name: DatasetName;
  title: string;
  homepage: string;
  classNames: readonly string[];
  rows: number;
  cols: number;
  trainCount: number;
  testCount: number;
  files: Readonly<Record<DatasetFileKey, DatasetFileInfo>>;
  /** Base URLs (ending in `/`) that serve the four .gz files, tried in order. */
  mirrors: readonly string[];
}

type Sums = Record<DatasetFileKey, [gzSize: number, gzSha256: string]>;

function files(
  sums: Sums,
  trainCount: number,
  testCount: number,
  pixels: number,
): Record<DatasetFileKey, DatasetFileInfo> {
  const raw: Record<DatasetFileKey, number> = {
    trainImages: 16 + trainCount * pixels,
    trainLabels: 8 + trainCount,
    testImages: 16 + testCount * pixels,
    testLabels: 8 + testCount,
  };
  const out = {} as Record<DatasetFileKey, DatasetFileInfo>;
  for (const key of DATASET_FILE_KEYS) {
    const name = STANDARD_FILE_NAMES[key];
    out[key] = Object.freeze({
      name,
      gzName: `${name}.gz`,
      gzSize: sums[key][0],
      gzSha256: sums[key][1],
      rawSize: raw[key],
    });
  }
  return Object.freeze(out);
}

function preset(
  p: Omit<DatasetPreset, 'files' | 'rows' | 'cols' | 'trainCount' | 'testCount'>,
  sums: Sums,
): DatasetPreset {
  return Object.freeze({
    ...p,
    classNames: Object.freeze([...p.classNames]),
    mirrors: Object.freeze([...p.mirrors]),
    rows: 28,
    cols: 28,
    trainCount: 60000,
    testCount: 10000,
    files: files(sums, 60000, 10000, 28 * 28),
  });
}

// Sizes and SHA-256 of the distributed .gz files, as published by the dataset authors' mirrors
// (cross-checked against TensorFlow Datasets' url_checksums and torchvision's resource lists).
export const DATASETS: Readonly<Record<DatasetName, DatasetPreset>> = Object.freeze({
  mnist: preset(
    {
      name: 'mnist',
      title: 'MNIST handwritten digits',
      homepage: 'https://yann.lecun.com/exdb/mnist/',
      classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
      mirrors: [
        'https://storage.googleapis.com/cvdf-datasets/mnist/',
        'https://ossci-datasets.s3.amazonaws.com/mnist/',
        'https://yann.lecun.com/exdb/mnist/',
      ],
    },
    {
      trainImages: [9912422, '440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609'],
      trainLabels: [28881, '3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c'],
      testImages: [1648877, '8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6'],
      testLabels: [4542, 'f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6'],
    },
  ),
  'fashion-mnist': preset(
    {
      name: 'fashion-mnist',
      title: 'Fashion-MNIST (Zalando article images)',
      homepage: 'https://github.com/zalandoresearch/fashion-mnist',
      classNames: [
        'T-shirt/top',
        'Trouser',
        'Pullover',
        'Dress',
        'Coat',
        'Sandal',
        'Shirt',
        'Sneaker',
        'Bag',
        'Ankle boot',
      ],
      mirrors: [
        // https first: a plain-http mirror is tried only when no https one answered (the SHA-256 still guards both).
        'https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/',
        'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',
      ],
    },
    {
      trainImages: [26421880, '3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84'],
      trainLabels: [29515, 'a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845'],
      testImages: [4422102, '346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073'],
      testLabels: [5148, '67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5'],
    },
  ),
  kmnist: preset(
    {
      name: 'kmnist',
      title: 'Kuzushiji-MNIST (cursive Japanese hiragana)',
      homepage: 'https://github.com/rois-codh/kmnist',
      // Romanized hiragana: お き す つ な は ま や れ を
      classNames: ['o', 'ki', 'su', 'tsu', 'na', 'ha', 'ma', 'ya', 're', 'wo'],
      mirrors: ['https://codh.rois.ac.jp/kmnist/dataset/kmnist/'],
    },
    {
      trainImages: [18165135, '51467d22d8cc72929e2a028a0428f2086b092bb31cfb79c69cc0a90ce135fde4'],
      trainLabels: [29497, 'e38f9ebcd0f3ebcdec7fc8eabdcdaef93bb0df8ea12bee65224341c8183d8e17'],
      testImages: [3041136, 'edd7a857845ad6bb1d0ba43fe7e794d164fe2dce499a1694695a792adfac43c5'],
      testLabels: [5120, '20bb9a0ef54c7db3efc55a92eef5582c109615df22683c380526788f98e42a1c'],
    },
  ),
});

export const DATASET_NAMES: readonly DatasetName[] = Object.freeze(['mnist', 'fashion-mnist', 'kmnist']);

/** The preset for a dataset name; throws `DatasetFormatError` (`DATASET_UNKNOWN`) for anything else. */
export function getDatasetPreset(name: string = 'mnist'): DatasetPreset {
  if (!Object.hasOwn(DATASETS, name)) {
    throw new DatasetFormatError(
      'DATASET_UNKNOWN',
      `unknown dataset ${JSON.stringify(name)} (expected one of ${DATASET_NAMES.join(', ')})`,
    );
  }
  return DATASETS[name as DatasetName];
}
