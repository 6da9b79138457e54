import type { TensorInfo } from '@tensorflow/tfjs-core';

// What kernels working in place on tfjs-backend-wasm's heap need from its BackendWasm, which tfjs-core does not type.
// cnn-model never imports the backend: it recognizes the instance it is handed.

/** The parts of tfjs-backend-wasm's BackendWasm that in-place kernels use. */
export interface WasmBackendLike {
  wasm: { asm: { memory: WebAssembly.Memory } };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
}

/** Whether `backend` is a tfjs-backend-wasm instance whose heap a kernel can import. */
export function isWasmBackend(backend: unknown): backend is WasmBackendLike {
  const b = backend as Partial<WasmBackendLike> | null;
  return (
    b?.wasm?.asm?.memory instanceof WebAssembly.Memory &&
    typeof b.makeOutput === 'function' &&
    typeof b.dataIdMap?.get === 'function'
  );
}

/** A tensor's byte offset in the backend's heap. */
export function offsetOf(backend: WasmBackendLike, info: TensorInfo): number {
  const data = backend.dataIdMap.get(info.dataId);
  if (!data) throw new Error(`tensor ${info.dataId} is not on the wasm heap`);
  return data.memoryOffset;
}
