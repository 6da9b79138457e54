import { DatasetFormatError, DownloadError } from './errors.js';
import { type IdxTensor, maxIdxFileBytes } from './idx.js';
import { parseIdxBytes } from './idx-stream.js';
import {
  DATASET_FILE_KEYS,
  type DatasetFileKey,
  type DatasetName,
  getDatasetPreset,
  STANDARD_FILE_NAMES,
} from './presets.js';
import { allInOrder } from './settle.js';

/** One split: `count` images of `rows`×`cols` uint8 pixels (row-major, image after image) and their labels. */
export interface DatasetSplit {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  rows: number;
  cols: number;
}

export interface Dataset {
  name: DatasetName;
  classNames: readonly string[];
  train: DatasetSplit;
  test: DatasetSplit;
}

/** Per-file inputs of a dataset, keyed like the presets' files. */
export type DatasetFiles<T> = Record<DatasetFileKey, T>;

/** The usual MNIST pixel statistics (of pixel/255 over the training set). */
export const MNIST_NORMALIZATION = Object.freeze({ mean: 0.1307, std: 0.3081 });
/** Plain scaling to [0, 1]. */
export const UNIT_NORMALIZATION = Object.freeze({ mean: 0, std: 1 });

/**
 * Checks an images tensor (uint8, rank 3) and a labels tensor (uint8, rank 1) and pairs them as a split.
 * Throws `DatasetFormatError` for wrong shapes, a count mismatch, or a label ≥ `numClasses`.
 */
export function splitFromIdx(
  images: IdxTensor,
  labels: IdxTensor,
  numClasses: number,
  fileNames: { images?: string; labels?: string } = {},
): DatasetSplit {
  const imagesFile = fileNames.images === undefined ? {} : { file: fileNames.images };
  const labelsFile = fileNames.labels === undefined ? {} : { file: fileNames.labels };
  if (images.dtype !== 'uint8' || images.shape.length !== 3) {
    throw new DatasetFormatError(
      'DATASET_SHAPE_MISMATCH',
      `images must be uint8 with shape [count, rows, cols], got ${images.dtype} [${images.shape.join(', ')}]`,
      imagesFile,
    );
  }
  if (labels.dtype !== 'uint8' || labels.shape.length !== 1) {
    throw new DatasetFormatError(
      'DATASET_SHAPE_MISMATCH',
      `labels must be uint8 with shape [count], got ${labels.dtype} [${labels.shape.join(', ')}]`,
      labelsFile,
    );
  }
  const [count, rows, cols] = images.shape as [number, number, number];
  if (labels.shape[0] !== count) {
    throw new DatasetFormatError(
      'DATASET_COUNT_MISMATCH',
      `${count} images${fileNames.images ? ` (${fileNames.images})` : ''} but ${labels.shape[0]} labels${
        fileNames.labels ? ` (${fileNames.labels})` : ''
      }`,
      labelsFile,
    );
  }
  const data = labels.data;
  for (let i = 0; i < data.length; i++) {
    if (data[i]! >= numClasses) {
      throw new DatasetFormatError(
        'DATASET_LABEL_OUT_OF_RANGE',
        `label ${data[i]} at index ${i} is outside the ${numClasses} classes (0..${numClasses - 1})`,
        labelsFile,
      );
    }
  }
  return { images: images.data, labels: data, count, rows, cols };
}

/** Builds a `Dataset` from four parsed IDX tensors, validating shapes, counts and label range. */
export function datasetFromIdx(
  tensors: DatasetFiles<IdxTensor>,
  options: { dataset?: DatasetName; fileNames?: Partial<DatasetFiles<string>> } = {},
): Dataset {
  const preset = getDatasetPreset(options.dataset ?? 'mnist');
  const names = { ...STANDARD_FILE_NAMES, ...options.fileNames };
  const n = preset.classNames.length;
  const train = splitFromIdx(tensors.trainImages, tensors.trainLabels, n, {
    images: names.trainImages,
    labels: names.trainLabels,
  });
  const test = splitFromIdx(tensors.testImages, tensors.testLabels, n, {
    images: names.testImages,
    labels: names.testLabels,
  });
  if (train.rows !== test.rows || train.cols !== test.cols) {
    throw new DatasetFormatError(
      'DATASET_SHAPE_MISMATCH',
      `train images are ${train.rows}×${train.cols} but test images are ${test.rows}×${test.cols}`,
      { file: names.testImages },
    );
  }
  return { name: preset.name, classNames: preset.classNames, train, test };
}

/**
 * Builds a `Dataset` from the bytes of the four files (raw or gzipped — detected by magic bytes, decompressed with
 * `DecompressionStream` into at most the size each IDX header declares). Works in browsers: pass what `fetch` returned.
 */
export async function datasetFromIdxFiles(
  files: DatasetFiles<Uint8Array | ArrayBuffer>,
  options: {
    dataset?: DatasetName;
    fileNames?: Partial<DatasetFiles<string>>;
    /** Largest file accepted after decompression (default `maxIdxFileBytes`, 256 MB). */
    maxBytes?: number;
  } = {},
): Promise<Dataset> {
  const names = { ...STANDARD_FILE_NAMES, ...options.fileNames };
  const entries = await allInOrder(
    DATASET_FILE_KEYS.map(async (key) => {
      const raw = files[key];
      const bytes = raw instanceof Uint8Array ? raw : new Uint8Array(raw);
      return [key, await parseIdxBytes(bytes, names[key], options.maxBytes)] as const;
    }),
  );
  return datasetFromIdx(Object.fromEntries(entries) as DatasetFiles<IdxTensor>, { ...options, fileNames: names });
}

/**
 * Fetches the four files from `baseUrl` (standard names, `.gz` unless `gzip: false`) and builds the dataset.
 * For browsers; `fetchImpl` defaults to the global `fetch`.
 *
 * @example
 * ```ts
 * import { fetchDataset } from '@mnist-cnn/mnist-data';
 *
 * // The site serves train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and
 * // t10k-labels-idx1-ubyte.gz under /data/mnist/.
 * const mnist = await fetchDataset('/data/mnist/');
 * console.log(mnist.train.count, mnist.train.rows, mnist.train.cols); // 60000 28 28
 * ```
 */
export async function fetchDataset(
  baseUrl: string,
  options: {
    dataset?: DatasetName;
    gzip?: boolean;
    fetch?: typeof fetch;
    signal?: AbortSignal;
    /** Largest file accepted, as sent and after decompression (default `maxIdxFileBytes`, 256 MB). */
    maxBytes?: number;
  } = {},
): Promise<Dataset> {
  const doFetch = options.fetch ?? fetch;
  const maxBytes = options.maxBytes ?? maxIdxFileBytes;
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const suffix = options.gzip === false ? '' : '.gz';
  const fileNames = {} as DatasetFiles<string>;
  const entries = await allInOrder(
    DATASET_FILE_KEYS.map(async (key) => {
      const url = `${base}${STANDARD_FILE_NAMES[key]}${suffix}`;
      fileNames[key] = url;
      const init: RequestInit = options.signal ? { signal: options.signal } : {};
      const res = await doFetch(url, init);
      if (!res.ok) throw new DownloadError(url, [{ url, error: `HTTP ${res.status} ${res.statusText}` }]);
      return [key, await readBody(res, url, maxBytes)] as const;
    }),
  );
  return datasetFromIdxFiles(Object.fromEntries(entries) as DatasetFiles<Uint8Array>, {
    ...(options.dataset ? { dataset: options.dataset } : {}),
    fileNames,
    maxBytes,
  });
}

/** The body of `response`, refused once it passes `maxBytes`: by its Content-Length, else while it streams in. */
async function readBody(response: Response, url: string, maxBytes: number): Promise<Uint8Array> {
  const tooLong = (what: string) =>
    new DownloadError(url, [{ url, error: `${what} more than the ${maxBytes} bytes accepted` }]);
  if (Number(response.headers.get('content-length')) > maxBytes) {
    await response.body?.cancel();
    throw tooLong(`announced ${response.headers.get('content-length')} bytes,`);
  }
  if (response.body === null) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > maxBytes) throw tooLong('sent');
      chunks.push(value);
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return new Uint8Array(await new Blob(chunks as Uint8Array<ArrayBuffer>[]).arrayBuffer());
}

function checkIndex(i: number, count: number): number {
  if (!Number.isInteger(i) || i < 0 || i >= count) throw new RangeError(`index ${i} is outside 0..${count - 1}`);
  return i;
}

/** Images `start` (inclusive) to `end` (exclusive) as a split of views — no bytes are copied. */
export function sliceSplit(split: DatasetSplit, start: number, end: number = split.count): DatasetSplit {
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start || end > split.count) {
    throw new RangeError(`sliceSplit(${start}, ${end}) is outside 0..${split.count}`);
  }
  const pixels = split.rows * split.cols;
  return {
    images: split.images.subarray(start * pixels, end * pixels),
    labels: split.labels.subarray(start, end),
    count: end - start,
    rows: split.rows,
    cols: split.cols,
  };
}

/** The pixels of image `index` (a view). */
export function imageAt(split: DatasetSplit, index: number): Uint8Array {
  const pixels = split.rows * split.cols;
  const i = checkIndex(index, split.count);
  return split.images.subarray(i * pixels, (i + 1) * pixels);
}

const lutCache = new Map<string, Float32Array>();

function normalizationTable(mean: number, std: number): Float32Array {
  const key = `${mean}/${std}`;
  let lut = lutCache.get(key);
  if (lut === undefined) {
    lut = new Float32Array(256);
    for (let p = 0; p < 256; p++) lut[p] = (p / 255 - mean) / std;
    if (lutCache.size > 64) lutCache.clear();
    lutCache.set(key, lut);
  }
  return lut;
}

/**
 * Writes the images at `indices` into `out` as floats `(pixel/255 - mean)/std`, laid out NHWC with C = 1
 * (i.e. `indices.length × rows × cols`). Default normalization is plain scaling to [0, 1].
 * Returns `out` (which may be longer than needed; the rest is untouched).
 */
export function writeNormalizedBatch(
  split: DatasetSplit,
  indices: ArrayLike<number>,
  out: Float32Array,
  normalization: { mean: number; std: number } = UNIT_NORMALIZATION,
): Float32Array {
  const pixels = split.rows * split.cols;
  const n = indices.length;
  if (out.length < n * pixels) {
    throw new RangeError(`out has ${out.length} floats but ${n} images of ${pixels} pixels need ${n * pixels}`);
  }
  const { mean, std } = normalization;
  if (!Number.isFinite(mean) || !Number.isFinite(std) || std === 0) {
    throw new RangeError(`normalization needs a finite mean and a finite non-zero std, got ${mean}/${std}`);
  }
  const lut = normalizationTable(mean, std);
  const images = split.images;
  const count = split.count;
  for (let b = 0; b < n; b++) {
    const src = checkIndex(indices[b]!, count) * pixels;
    const dst = b * pixels;
    for (let j = 0; j < pixels; j++) out[dst + j] = lut[images[src + j]!]!;
  }
  return out;
}

/** Copies the labels at `indices` into `out` (default: a new Uint8Array). */
export function gatherLabels<T extends Uint8Array | Int32Array | Float32Array = Uint8Array>(
  split: DatasetSplit,
  indices: ArrayLike<number>,
  out?: T,
): T {
  const target = out ?? (new Uint8Array(indices.length) as T);
  if (target.length < indices.length) throw new RangeError(`out has ${target.length} slots, need ${indices.length}`);
  for (let i = 0; i < indices.length; i++) target[i] = split.labels[checkIndex(indices[i]!, split.count)]!;
  return target;
}
