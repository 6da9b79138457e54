import type { io } from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';

/** Saves `model` into `dir` as tfjs-layers' `model.save('file://dir')` would; `weightsPath` as the manifest lists it. */
export function saveLayersModelFiles(
  model: LayersModel,
  withSaveHandler: typeof io.withSaveHandler,
  dir: string,
  weightsPath?: string,
): Promise<void>;
