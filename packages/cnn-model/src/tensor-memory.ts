import type { TensorInfo } from '@tensorflow/tfjs-core';

/**
 * Direct access to float32 tensor memory inside a kernel, for the two backends whose memory is plain CPU memory:
 * tfjs-backend-cpu keeps a Float32Array per tensor, tfjs-backend-wasm keeps tensors on its WebAssembly heap. Outputs
 * are allocated before any view is taken because allocating on the wasm heap may grow (and so detach) it.
 */
export type KernelMemory = {
  /** New float32 tensors of the given shapes, owned by the backend. */
  allocate(shapes: number[][]): TensorInfo[];
  /** The live float32 values of a tensor (no copy); valid until the next allocation. */
  view(info: TensorInfo): Float32Array;
};

type CpuBackendLike = {
  readSync(dataId: object): unknown;
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo;
};
type WasmBackendLike = {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): unknown;
};

const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

function isWasmLike(backend: unknown): backend is WasmBackendLike {
  const b = backend as Partial<WasmBackendLike> | null;
  return typeof b?.makeOutput === 'function' && typeof b.typedArrayFromHeap === 'function';
}

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

/** Memory access for a backend instance, or null when its tensors do not live in plain memory (e.g. WebGL). */
export function kernelMemory(backend: unknown, backendName: string): KernelMemory | null {
  if (isWasmLike(backend)) {
    return {
      allocate: (shapes) => shapes.map((shape) => backend.makeOutput(shape, 'float32')),
      view: (info) => floats(backend.typedArrayFromHeap(info), info),
    };
  }
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
