import { relaxedSimdModule, simdModule } from './module-bytes.generated.js';

/** A kernel of the compiled library: byte offsets, counts and float32 constants, all as numbers. */
export type CompiledKernel = (...args: number[]) => void;

let compiled: WebAssembly.Module | undefined;

/** The two builds of the library, as bytes. */
export function kernelBuilds(): { relaxedSimd: Uint8Array<ArrayBuffer>; simd: Uint8Array<ArrayBuffer> } {
  const decode = (base64: string) => Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
  return { relaxedSimd: decode(relaxedSimdModule), simd: decode(simdModule) };
}

/**
 * The kernel library's module, compiled once: the relaxed-SIMD build where the engine validates it (Node 22 and newer,
 * current browsers), else the plain-SIMD build of the same source. Throws where WebAssembly SIMD is missing.
 */
export function kernelModule(): WebAssembly.Module {
  if (compiled) return compiled;
  if (typeof WebAssembly !== 'object') throw new Error("cnn-model's kernels need WebAssembly");
  const { relaxedSimd, simd } = kernelBuilds();
  const bytes = WebAssembly.validate(relaxedSimd) ? relaxedSimd : simd;
  if (!WebAssembly.validate(bytes))
    throw new Error("cnn-model's kernels need WebAssembly SIMD, which this engine lacks");
  compiled = new WebAssembly.Module(bytes);
  return compiled;
}

const instances = new WeakMap<WebAssembly.Memory, Record<string, CompiledKernel>>();

/** The kernels instantiated on `memory` (once per memory): they read and write that memory at the offsets given. */
export function kernelsOn(memory: WebAssembly.Memory): Record<string, CompiledKernel> {
  let kernels = instances.get(memory);
  if (!kernels) {
    kernels = new WebAssembly.Instance(kernelModule(), { env: { memory } }).exports as Record<string, CompiledKernel>;
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
