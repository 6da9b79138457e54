import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { ModelFormatError } from './errors.js';
import type { CnnModel } from './model.js';
import { deserializeModel, readModelJson, serializeModel, weightsFileName } from './serialize.js';

/**
 * Writes `data` to `path` atomically: a temporary file in the same directory, fsync, then rename over the target, so
 * readers see the old file or the new one, never part of one. Used for models here and for checkpoints and reports by
 * the packages above.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/**
 * Writes `model.json` and `weights.bin` into a directory (created if needed), each via a temp file and rename.
 *
 * @example
 * ```ts
 * import { createModel, getPreset } from '@mnist-cnn/cnn-model';
 * import { loadModel, saveModel } from '@mnist-cnn/cnn-model/node';
 *
 * const model = createModel(getPreset('reference'), { seed: 1 }); // after setting up a tfjs backend
 * await saveModel(model, './my-model'); // ./my-model/model.json and ./my-model/weights.bin
 * const same = await loadModel('./my-model');
 * ```
 */
export async function saveModel(
  model: CnnModel,
  directory: string,
): Promise<{ modelJsonPath: string; weightsPath: string }> {
  const { modelJson, weightData } = await serializeModel(model);
  await mkdir(directory, { recursive: true });
  const weightsPath = path.join(directory, weightsFileName);
  const modelJsonPath = path.join(directory, 'model.json');
  // Weights first: a model.json on disk always has its weights next to it.
  await writeFileAtomic(weightsPath, new Uint8Array(weightData));
  await writeFileAtomic(modelJsonPath, `${JSON.stringify(modelJson, null, 2)}\n`);
  return { modelJsonPath, weightsPath };
}

async function readOrFail(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new ModelFormatError('FILE_NOT_FOUND', `${file} does not exist`);
    throw error;
  }
}

/**
 * Loads a model saved by {@link saveModel} from a directory; throws {@link ModelFormatError} for bad files.
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
  const text = (await readOrFail(path.join(directory, 'model.json'))).toString('utf8');
  readModelJson(text);
  const json = JSON.parse(text) as { weightsManifest: Array<{ paths?: unknown }> };
  const chunks: Buffer[] = [];
  for (const group of json.weightsManifest) {
    const paths = Array.isArray(group.paths) ? group.paths : [];
    for (const listed of paths) {
      // tfjs-node's file:// handler writes `./weights.bin`; the weights must sit next to model.json either way.
      const name = typeof listed === 'string' && listed.startsWith('./') ? listed.slice(2) : listed;
      if (typeof name !== 'string' || path.basename(name) !== name) {
        throw new ModelFormatError(
          'INVALID_MODEL_JSON',
          `weightsManifest path ${JSON.stringify(listed)} must be a file name next to model.json`,
        );
      }
      chunks.push(await readOrFail(path.join(directory, name)));
    }
  }
  return deserializeModel(json, new Uint8Array(Buffer.concat(chunks)));
}

export type { CnnModel } from './model.js';
