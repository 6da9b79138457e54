import { type BackendChoice, type BackendInfo, initBackend } from '@mnist-cnn/trainer/node';
import { enableProdMode } from '@tensorflow/tfjs-core';
import { CliError } from './errors.js';

/** Starts the requested TensorFlow.js backend; a backend that cannot start is a runtime error with a hint. */
export async function startBackend(choice: BackendChoice): Promise<BackendInfo> {
  // The CLI renders its own output: production mode keeps tfjs from printing its "install tfjs-node" banner and other
  // console warnings into it.
  enableProdMode();
  try {
    return await initBackend(choice);
  } catch (error) {
    throw new CliError('BACKEND_FAILED', `the ${choice} backend could not start: ${(error as Error).message}`, {
      hint: choice === 'cpu' ? 'reinstall @mnist-cnn/cli' : 'try --backend cpu',
      cause: error,
    });
  }
}
