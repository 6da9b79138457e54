import type { TensorInfo } from '@tensorflow/tfjs-core';
import { type CompiledKernel, compiledKernel } from '../wasm/module.js';

/**
 * Direct access to tfjs-backend-cpu's tensor memory inside a kernel: it keeps a plain Float32Array per tensor, and its
 * readSync returns that array itself.
 */
export interface CpuMemory {
  /** The live float32 values of a tensor (no copy). */
  view(info: TensorInfo): Float32Array;
  /** A new float32 tensor of the backend holding `values` (kept, not copied), or zeros of `shape`. */
  output(shape: number[], values?: Float32Array): TensorInfo;
}

interface BackendCpu {
  readSync(dataId: object): unknown;
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo;
}

/** The memory of `backend`, which must be tfjs-backend-cpu's. */
export function cpuMemory(backend: unknown): CpuMemory {
  const cpu = backend as Partial<BackendCpu> | null;
  if (typeof cpu?.readSync !== 'function' || typeof cpu.makeTensorInfo !== 'function') {
    throw new Error('this kernel runs on tfjs-backend-cpu only');
  }
  const { readSync, makeTensorInfo } = cpu as BackendCpu;
  return {
    view: (info) => {
      const values = readSync.call(cpu, info.dataId);
      if (info.dtype !== 'float32' || !(values instanceof Float32Array)) {
        throw new TypeError(`cnn-model's kernels take float32 tensors, got ${info.dtype} [${info.shape}]`);
      }
      return values;
    },
    output: (shape, values) =>
      makeTensorInfo.call(cpu, shape, 'float32', values ?? new Float32Array(shape.reduce((a, b) => a * b, 1))),
  };
}

const pageBytes = 65536;
let scratch: WebAssembly.Memory | undefined; // made on first use: an engine may lack WebAssembly

/**
 * Runs a compiled kernel over float32 arrays on a memory of our own, for the cpu backend, whose tensors live in
 * JavaScript: `inputs` are copied in, `outputs` arrays of the given lengths are laid out after them, and
 * `run(kernels, offsets)` gets the compiled kernels by name and every array's byte offset (inputs first). Returns the
 * outputs' values.
 */
export function runOnScratch(
  inputs: readonly Float32Array[],
  outputLengths: readonly number[],
  run: (kernels: (name: string) => CompiledKernel, offsets: number[]) => void,
): Float32Array[] {
  const lengths = [...inputs.map((input) => input.length), ...outputLengths];
  const offsets: number[] = [];
  let end = 0;
  for (const length of lengths) {
    offsets.push(end);
    end += Math.ceil(length / 4) * 16; // 16-byte aligned, as the kernels' vector loads expect
  }
  scratch ??= new WebAssembly.Memory({ initial: 1 });
  const memory = scratch;
  const missing = Math.ceil(end / pageBytes) - memory.buffer.byteLength / pageBytes;
  if (missing > 0) memory.grow(missing);
  const floats = new Float32Array(memory.buffer);
  for (const [index, input] of inputs.entries()) floats.set(input, offsets[index]! / 4);
  run((name) => compiledKernel(memory, name), offsets);
  return outputLengths.map((length, k) => {
    const start = offsets[inputs.length + k]! / 4;
    return floats.slice(start, start + length);
  });
}
