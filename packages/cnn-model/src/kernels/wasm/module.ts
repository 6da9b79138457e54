import { builds } from './module-bytes.generated.js';

/** A kernel of the compiled library: byte offsets, counts and float32 constants, all as numbers. */
export type CompiledKernel = (...args: number[]) => void;

/** The library's two builds for an ordinary memory, or for a shared one (tfjs-backend-wasm's threaded build), as bytes. */
export function kernelBuilds(shared = false): { relaxedSimd: Uint8Array<ArrayBuffer>; simd: Uint8Array<ArrayBuffer> } {
  const decode = (base64: string) => Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
  const { relaxedSimd, simd } = shared ? { relaxedSimd: builds.sharedRelaxedSimd, simd: builds.sharedSimd } : builds;
  return { relaxedSimd: decode(relaxedSimd), simd: decode(simd) };
}

const compiled = new Map<boolean, WebAssembly.Module | string>();

/**
 * The kernel library's module for an ordinary or a shared memory, compiled once: the relaxed-SIMD build where the
 * engine validates it (Node 22 and newer, current browsers), else the plain-SIMD build; or why neither can run here.
 */
export function kernelModule(shared = false): WebAssembly.Module | string {
  let module = compiled.get(shared);
  if (module === undefined) {
    const { relaxedSimd, simd } = kernelBuilds(shared);
    const hasWasm = typeof WebAssembly === 'object';
    const bytes = [relaxedSimd, simd].find((build) => hasWasm && WebAssembly.validate(build));
    module = bytes ? new WebAssembly.Module(bytes) : `this engine lacks WebAssembly${hasWasm ? ' SIMD' : ''}`;
    compiled.set(shared, module);
  }
  return module;
}

/** Whether `memory` is shared (tfjs-backend-wasm's threaded build): the kernels must then import it as shared. */
export const isShared = (memory: WebAssembly.Memory) =>
  typeof SharedArrayBuffer === 'function' && memory.buffer instanceof SharedArrayBuffer;

const instances = new WeakMap<WebAssembly.Memory, Record<string, CompiledKernel>>();

/** The kernels instantiated on `memory` (once per memory): they read and write that memory at the offsets given. */
export function kernelsOn(memory: WebAssembly.Memory): Record<string, CompiledKernel> {
  let kernels = instances.get(memory);
  if (!kernels) {
    const module = kernelModule(isShared(memory));
    if (typeof module === 'string') throw new Error(`cnn-model's kernels cannot run here: ${module}`);
    kernels = new WebAssembly.Instance(module, { env: { memory } }).exports as Record<string, CompiledKernel>;
    instances.set(memory, kernels);
  }
  return kernels;
}

/** A kernel by name; throws if the library has none of that name. */
export function compiledKernel(memory: WebAssembly.Memory, name: string): CompiledKernel {
  const kernel = kernelsOn(memory)[name];
  if (typeof kernel !== 'function') throw new Error(`the kernel library has no kernel ${JSON.stringify(name)}`);
  return kernel;
}
