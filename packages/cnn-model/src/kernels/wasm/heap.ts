import type { TensorInfo } from '@tensorflow/tfjs-core';

// The one place that reaches into tfjs-backend-wasm's BackendWasm, whose heap tfjs-core does not expose. cnn-model never
// imports the backend: it recognizes the instance tfjs hands a kernel. heap.test.ts starts the real backend and fails
// with the message below if a tfjs update moves any of these members.

/** The members of BackendWasm the kernels use; the threaded build's module imports its (shared) memory. */
interface BackendWasm {
  wasm: { asm: { memory?: WebAssembly.Memory }; wasmMemory?: WebAssembly.Memory };
  getMemoryOffset(dataId: object): number;
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  disposeData(dataId: object): boolean;
}

/** A kernel's view of the heap of `backend`, which must be tfjs-backend-wasm's BackendWasm as of tfjs 4.22. */
export function wasmHeap(backend: unknown) {
  const b = backend as Partial<BackendWasm> | null;
  const memory = b?.wasm?.asm?.memory ?? b?.wasm?.wasmMemory;
  const missing = [
    !(memory instanceof WebAssembly.Memory) && 'wasm.asm.memory or wasm.wasmMemory (a WebAssembly.Memory)',
    typeof b?.getMemoryOffset !== 'function' && 'getMemoryOffset()',
    typeof b?.makeOutput !== 'function' && 'makeOutput()',
    typeof b?.disposeData !== 'function' && 'disposeData()',
  ].filter(Boolean);
  if (missing.length > 0) {
    throw new Error(
      `cnn-model's wasm kernels need tfjs-backend-wasm's BackendWasm.${missing.join(', ')}, which this backend lacks: ` +
        'tfjs-backend-wasm changed, and cnn-model/src/kernels/wasm/heap.ts must follow',
    );
  }
  const wasm = b as BackendWasm;
  return {
    /** The backend's memory, which the kernel module imports. */
    memory: memory as WebAssembly.Memory,
    /** A tensor's byte offset in the memory. */
    offsetOf: (info: TensorInfo) => wasm.getMemoryOffset(info.dataId),
    /** A new float32 tensor of the backend; allocating may grow the memory, so take offsets after allocating. */
    allocate: (shape: number[]) => wasm.makeOutput(shape, 'float32'),
    /** Frees what `allocate` gave and no tensor holds (a kernel's scratch). */
    release: (info: TensorInfo) => void wasm.disposeData(info.dataId),
  };
}
