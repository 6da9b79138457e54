import type { TensorInfo } from '@tensorflow/tfjs-core';

interface BackendCpu {
  readSync(dataId: object): unknown;
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo;
}

/**
 * Direct access to the tensor memory of `backend`, which must be tfjs-backend-cpu's: it keeps a plain Float32Array per
 * tensor, and its readSync returns that array itself.
 */
export function cpuMemory(backend: unknown) {
  const cpu = backend as Partial<BackendCpu> | null;
  if (typeof cpu?.readSync !== 'function' || typeof cpu.makeTensorInfo !== 'function') {
    throw new Error('this kernel runs on tfjs-backend-cpu only');
  }
  const { readSync, makeTensorInfo } = cpu as BackendCpu;
  return {
    /** The live float32 values of a tensor (no copy). */
    view: (info: TensorInfo) => {
      const values = readSync.call(cpu, info.dataId);
      if (info.dtype !== 'float32' || !(values instanceof Float32Array)) {
        throw new TypeError(`cnn-model's kernels take float32 tensors, got ${info.dtype} [${info.shape}]`);
      }
      return values;
    },
    /** A new float32 tensor of the backend holding `values` (kept, not copied). */
    output: (shape: number[], values: Float32Array) => makeTensorInfo.call(cpu, shape, 'float32', values),
  };
}
