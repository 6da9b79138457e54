import { builds } from './module-bytes.generated.js';

/** A kernel of the compiled library: byte offsets, counts and float32 constants, all as numbers. */
export type CompiledKernel = (...args: number[]) => void;

/** The library's two builds for an ordinary memory, or for a shared one (tfjs-backend-wasm's threaded build), as bytes. */
export function kernelBuilds(shared = false): { relaxedSimd: Uint8Array<ArrayBuffer>; simd: Uint8Array<ArrayBuffer> } {
  const decode = (base64: string) => Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
  const { relaxedSimd, simd } = shared ? { relaxedSimd: builds.sharedRelaxedSimd, simd: builds.sharedSimd } : builds;
  return { relaxedSimd: decode(relaxedSimd), simd: decode(simd) };
}

/** Which build of the kernel library an engine runs: relaxed SIMD (fused multiply-add) where it validates, else SIMD. */
export type KernelBuild = 'relaxed-simd' | 'simd';

/** A compiled build of the kernel library, and which build it is. */
export interface KernelLibrary {
  module: WebAssembly.Module;
  build: KernelBuild;
}

const compiled = new Map<boolean, KernelLibrary | string>();

/**
 * The kernel library for an ordinary or a shared memory, compiled once: the relaxed-SIMD build where the engine
 * validates it (Node 22 and newer, Node 20 after `enableRelaxedSimd`, current browsers), else the plain-SIMD build; or
 * why neither can run here.
 */
export function kernelLibrary(shared = false): KernelLibrary | string {
  let library = compiled.get(shared);
  if (library === undefined) {
    const { relaxedSimd, simd } = kernelBuilds(shared);
    const hasWasm = typeof WebAssembly === 'object';
    const candidates = [['relaxed-simd', relaxedSimd] as const, ['simd', simd] as const];
    const [build, bytes] = candidates.find(([, bytes]) => hasWasm && WebAssembly.validate(bytes)) ?? [];
    library =
      build && bytes
        ? { module: new WebAssembly.Module(bytes), build }
        : `this engine lacks WebAssembly${hasWasm ? ' SIMD' : ''}`;
    compiled.set(shared, library);
  }
  return library;
}

/** Whether `memory` is shared (tfjs-backend-wasm's threaded build): the kernels must then import it as shared. */
export const isShared = (memory: WebAssembly.Memory) =>
  typeof SharedArrayBuffer === 'function' && memory.buffer instanceof SharedArrayBuffer;

const instances = new WeakMap<WebAssembly.Memory, Record<string, CompiledKernel>>();

/** A kernel by name, of the library instantiated on `memory` (once per memory), which it reads and writes in place. */
export function compiledKernel(memory: WebAssembly.Memory, name: string): CompiledKernel {
  let kernels = instances.get(memory);
  if (!kernels) {
    const library = kernelLibrary(isShared(memory));
    if (typeof library === 'string') throw new Error(`cnn-model's kernels cannot run here: ${library}`);
    kernels = new WebAssembly.Instance(library.module, { env: { memory } }).exports as Record<string, CompiledKernel>;
    instances.set(memory, kernels);
  }
  const kernel = kernels[name];
  if (typeof kernel !== 'function') throw new Error(`the kernel library has no kernel ${JSON.stringify(name)}`);
  return kernel;
}
