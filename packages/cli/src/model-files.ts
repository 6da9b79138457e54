import { stat } from 'node:fs/promises';
import type { CnnModel } from '@mnist-cnn/cnn-model';
import { loadModel, saveModel } from '@mnist-cnn/cnn-model/node';
import { CliError } from './errors.js';

/**
 * Loads a model directory saved by mnist-cnn or by tfjs-layers' `model.save`; a missing directory or damaged files are
 * runtime errors naming the path.
 */
export async function loadCliModel(dir: string): Promise<CnnModel> {
  const info = await stat(dir).catch(() => undefined);
  if (info === undefined) {
    throw new CliError('MODEL_NOT_FOUND', `no model at ${dir}`, {
      hint: "train one with 'mnist-cnn train --out DIR', or pass --model DIR",
    });
  }
  try {
    return await loadModel(dir);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'FILE_NOT_FOUND' || (error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CliError('MODEL_NOT_FOUND', `no model files in ${dir}: ${(error as Error).message}`, {
        hint: "a model directory holds model.json and the weights file it names (weights-<hash>.bin); train one with 'mnist-cnn train'",
        cause: error,
      });
    }
    const unsupported = code === 'UNSUPPORTED_LAYER' || code === 'UNSUPPORTED_MODEL';
    throw new CliError('MODEL_CORRUPT', `cannot load the model in ${dir}: ${(error as Error).message}`, {
      hint: unsupported
        ? 'mnist-cnn runs tfjs-layers Sequential models of Conv2D, MaxPooling2D, Flatten, Dense, Dropout, BatchNormalization and ReLU/softmax activations'
        : 'the model files are damaged or were not written by mnist-cnn or tfjs-layers; train the model again',
      cause: error,
    });
  }
}

/** Saves a model to `dir` (created if needed); failure to write is a runtime error naming the directory. */
export async function saveCliModel(model: CnnModel, dir: string): Promise<void> {
  try {
    await saveModel(model, dir);
  } catch (error) {
    throw new CliError('FILE_NOT_WRITABLE', `cannot save the model to ${dir}: ${(error as Error).message}`, {
      hint: 'choose another --out directory',
      cause: error,
    });
  }
}
