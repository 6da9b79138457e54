import { describe, expect, it } from 'vitest';
import { enableRelaxedSimd } from '../../node.js';
import { kernelBuilds, kernelLibrary } from './module.js';

// Node 20 validates the relaxed-SIMD build only with --experimental-wasm-relaxed-simd (Node 22+ by default), which
// enableRelaxedSimd sets; then both builds load here and must agree.
function runAdam(bytes: Uint8Array<ArrayBuffer>, memory = new WebAssembly.Memory({ initial: 1 })): Float32Array {
  const { adam } = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports as {
    adam: (...args: number[]) => void;
  };
  const floats = new Float32Array(memory.buffer);
  const n = 7; // a whole vector and a tail of three
  for (let i = 0; i < n; i++)
    [floats[i], floats[8 + i], floats[16 + i], floats[24 + i]] = [i * 0.3 - 1, 0.1 * i, 0.01, 0.02];
  adam(n, 0, 32, 0, 1, 1, 128, 0.9, 0.1, 0.999, 0.001, 0.1, 0.001, 1e-7, -0.01, 64, 160, 96, 192);
  return floats.slice(32, 32 + 3 * 8);
}

describe('the compiled kernel library', () => {
  it('loads the best build this engine validates, and exports every kernel family', () => {
    const { relaxedSimd, simd } = kernelBuilds();
    expect(WebAssembly.validate(simd)).toBe(true);
    const library = kernelLibrary();
    if (typeof library === 'string') throw new Error(library);
    expect(library.build).toBe(WebAssembly.validate(relaxedSimd) ? 'relaxed-simd' : 'simd');
    const exports = WebAssembly.Module.exports(library.module).map((entry) => entry.name);
    expect(exports).toEqual(expect.arrayContaining(['adam', 'sgd', 'momentum', 'rmsprop', 'maxPoolGradient']));
    expect(exports).toEqual(expect.arrayContaining(['convForward', 'convFilterGradient', 'convInputGradient']));
  });

  it('runs the relaxed-SIMD build after enableRelaxedSimd, with the same results as the plain one', () => {
    enableRelaxedSimd();
    const { relaxedSimd, simd } = kernelBuilds();
    expect(WebAssembly.validate(relaxedSimd)).toBe(true);
    const [relaxed, plain] = [runAdam(relaxedSimd), runAdam(simd)];
    expect(Array.from(relaxed)).toEqual(Array.from(plain));
    expect(plain.some((value) => value !== 0)).toBe(true);
  });

  it("has a build for a shared memory, as tfjs-backend-wasm's threaded build has, with the same results", () => {
    // That build's memory: shared, with a maximum of the whole 32-bit space.
    const shared = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
    expect(kernelLibrary(true)).toMatchObject({ module: expect.any(WebAssembly.Module) });
    expect(() => runAdam(kernelBuilds().simd, shared)).toThrow(WebAssembly.LinkError);
    expect(Array.from(runAdam(kernelBuilds(true).simd, shared))).toEqual(Array.from(runAdam(kernelBuilds().simd)));
  });
});
