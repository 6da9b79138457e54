import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, realpath, rename, rm } from 'node:fs/promises';
import path, { dirname } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { ModelFormatError } from './errors.js';
import { kernelBuilds } from './kernels/wasm/module.js';
import type { CnnModel } from './model.js';
import { FileLimitError, readRegularFile } from './regular-file.js';
import { modelFromContents, readModelJson, serializeModel } from './serialize.js';
import { weightCount } from './spec.js';

/**
 * Lets the kernel library run its relaxed-SIMD build (fused multiply-add: a faster training step) on Node 20, where
 * relaxed SIMD is behind V8's `--experimental-wasm-relaxed-simd` (Node 22 and newer have it on). Call it before the
 * kernels first load, as the trainer's Node `initBackend` does; worker threads started later inherit the flag. Does
 * nothing where the engine already has relaxed SIMD or has no SIMD at all. Fused results may differ from the plain
 * build's in the last bit, as they do between engines anyway, which the kernels' tests allow for.
 */
export function enableRelaxedSimd(): void {
  const { relaxedSimd, simd } = kernelBuilds();
  if (WebAssembly.validate(simd) && !WebAssembly.validate(relaxedSimd)) {
    setFlagsFromString('--experimental-wasm-relaxed-simd');
  }
}

/** Opens `file` (a directory too, with 'r'), lets `write` use it, then flushes it to disk so it survives a power cut. */
async function writeSynced(file: string, flags: 'r' | 'w', write?: (handle: FileHandle) => Promise<void>) {
  const handle = await open(file, flags);
  try {
    await write?.(handle);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes `data` to `path` atomically: a temporary file in the same directory, fsync, rename over the target, then fsync
 * the directory, so readers see the old file or the new one, never part of one, even after a crash. Used for models
 * here and for checkpoints and reports by the packages above.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeSynced(temporary, 'w', (handle) => handle.writeFile(data));
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  await writeSynced(dirname(path), 'r'); // the directory, so that the rename itself survives
}

/** Largest model.json accepted; ours are a few kilobytes, and the weights live in their own file. */
const maxModelJsonBytes = 16 * 1024 * 1024;

/** The model.json in `directory`, read and checked, and the real paths of the weight files it names. */
async function readModelDirectory(directory: string) {
  const modelJson = await readOrFail(path.join(directory, 'model.json'), maxModelJsonBytes);
  const contents = readModelJson(new TextDecoder().decode(modelJson));
  return { contents, paths: await weightFilePaths(directory, contents.files) };
}

/**
 * Writes `model.json` and its weights into a directory (created if needed) so that a crash at any moment leaves a pair
 * that loads, the old one or the new one: the weights go to a new file named after their content hash, then model.json,
 * which names that file, replaces the old one atomically; only then are the old weights removed.
 *
 * @example
 * ```ts
 * import { createModel, getPreset } from '@mnist-cnn/cnn-model';
 * import { loadModel, saveModel } from '@mnist-cnn/cnn-model/node';
 *
 * const model = createModel(getPreset('reference'), { seed: 1 }); // after setting up a tfjs backend
 * await saveModel(model, './my-model'); // ./my-model/model.json and ./my-model/weights-<hash>.bin
 * const same = await loadModel('./my-model');
 * ```
 */
export async function saveModel(
  model: CnnModel,
  directory: string,
): Promise<{ modelJsonPath: string; weightsPath: string }> {
  const { modelJson, weightData } = await serializeModel(model);
  const weightsName = modelJson.weightsManifest[0]!.paths[0]!;
  await mkdir(directory, { recursive: true });
  const weightsPath = path.join(directory, weightsName);
  const modelJsonPath = path.join(directory, 'model.json');
  // None when the directory holds no model.json, or one that does not load.
  const previous = await readModelDirectory(directory).catch(() => undefined);
  await writeFileAtomic(weightsPath, new Uint8Array(weightData));
  await writeFileAtomic(modelJsonPath, `${JSON.stringify(modelJson, null, 2)}\n`);
  for (const file of previous?.paths ?? []) if (path.basename(file) !== weightsName) await rm(file, { force: true });
  return { modelJsonPath, weightsPath };
}

/** Reports a missing file as FILE_NOT_FOUND and a refused one as UNREADABLE_FILE, naming it. */
const asFormatError = (file: string) => (error: NodeJS.ErrnoException) => {
  if (error.code === 'ENOENT') throw new ModelFormatError('FILE_NOT_FOUND', `${file} does not exist`);
  if (error instanceof FileLimitError) throw new ModelFormatError('UNREADABLE_FILE', error.message);
  throw error;
};

const readOrFail = (file: string, maxBytes: number) => readRegularFile(file, { maxBytes }).catch(asFormatError(file));

/** The weight files a manifest names: each a plain name listed once, resolving (through symlinks) inside `directory`. */
async function weightFilePaths(directory: string, listed: unknown[]): Promise<string[]> {
  const seen = new Set<string>();
  const home = await realpath(directory);
  const files: string[] = [];
  for (const entry of listed) {
    // tfjs-node's file:// handler writes `./weights.bin`; the weights must sit next to model.json either way.
    const name = typeof entry === 'string' && entry.startsWith('./') ? entry.slice(2) : entry;
    if (typeof name !== 'string' || name === '' || path.basename(name) !== name) {
      throw new ModelFormatError(
        'INVALID_MODEL_JSON',
        `weightsManifest path ${JSON.stringify(entry)} must be a file name next to model.json`,
      );
    }
    if (seen.has(name))
      throw new ModelFormatError('INVALID_MODEL_JSON', `weightsManifest lists ${name} more than once`);
    seen.add(name);
    const file = path.join(directory, name);
    const target = await realpath(file).catch(asFormatError(file));
    if (path.dirname(target) !== home) {
      throw new ModelFormatError('INVALID_MODEL_JSON', `${file} resolves to ${target}, outside the model directory`);
    }
    files.push(target);
  }
  return files;
}

/**
 * Loads a model saved by {@link saveModel} from a directory; throws {@link ModelFormatError} for bad files. Every size
 * is checked before it is read: the weights may hold exactly the bytes the architecture needs, no more.
 *
 * @example
 * ```ts
 * import { loadModel } from '@mnist-cnn/cnn-model/node';
 * import * as tf from '@tensorflow/tfjs-core';
 *
 * const model = await loadModel('./mnist-model'); // after setting up a tfjs backend
 * const images = tf.zeros<tf.Rank.R4>([1, 28, 28, 1]); // normalised NHWC images
 * model.predict(images).print(); // [1, 10] class probabilities
 * ```
 */
export async function loadModel(directory: string): Promise<CnnModel> {
  const { contents, paths } = await readModelDirectory(directory);
  const needed = 4 * weightCount(contents.expected);
  const data = new Uint8Array(needed);
  let filled = 0;
  for (const file of paths) {
    const chunk = await readOrFail(file, needed - filled);
    data.set(chunk, filled);
    filled += chunk.length;
  }
  return modelFromContents(contents, data.subarray(0, filled));
}

export type { CnnModel } from './model.js';
export { FileLimitError, type FileLimitErrorCode, type ReadLimits, readRegularFile } from './regular-file.js';
