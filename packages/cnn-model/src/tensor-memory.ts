import type { TensorInfo } from '@tensorflow/tfjs-core';

/**
 * Direct access to float32 tensor memory inside a kernel. tfjs-backend-cpu keeps a plain Float32Array per tensor;
 * other backends (wasm heap, WebGL textures) are not served: on wasm, JavaScript loops on the heap measured slower
 * than the stock kernels, so no fast kernel is registered there.
 */
export type KernelMemory = {
  /** New zero-filled float32 tensors of the given shapes, owned by the backend. */
  allocate(shapes: number[][]): TensorInfo[];
  /** The live float32 values of a tensor (no copy). */
  view(info: TensorInfo): Float32Array;
};

type CpuBackendLike = {
  readSync(dataId: object): unknown;
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo;
};

const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

function isCpuLike(backend: unknown): backend is CpuBackendLike {
  const b = backend as Partial<CpuBackendLike> | null;
  return typeof b?.readSync === 'function' && typeof b.makeTensorInfo === 'function';
}

function floats(values: unknown, info: TensorInfo): Float32Array {
  if (info.dtype !== 'float32' || !(values instanceof Float32Array)) {
    throw new TypeError(`fast kernels take float32 tensors, got ${info.dtype} [${info.shape}]`);
  }
  return values;
}

/** Memory access for a backend instance, or null unless it is the cpu backend. */
export function kernelMemory(backend: unknown, backendName: string): KernelMemory | null {
  // Only the cpu backend's readSync returns its own array (other backends copy or download).
  if (backendName === 'cpu' && isCpuLike(backend)) {
    return {
      allocate: (shapes) =>
        shapes.map((shape) => backend.makeTensorInfo(shape, 'float32', new Float32Array(sizeOf(shape)))),
      view: (info) => floats(backend.readSync(info.dataId), info),
    };
  }
  return null;
}
