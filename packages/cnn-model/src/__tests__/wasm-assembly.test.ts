import { describe, expect, it } from 'vitest';
import { assembleModule, code, simdKernels, simdOp, sleb, uleb, valType } from '../wasm-assembly.js';

// out[i] = a[i] * b[i] + a[i] over `bytes`, four lanes at a time: enough to exercise loads, stores, loops and SIMD ops.
const multiplyAdd = {
  name: 'multiplyAdd',
  params: Array(4).fill(valType.i32),
  locals: [valType.i32],
  body: code.loop(4, code.get(3), 16, [
    ...code.store(
      code.add(code.get(2), code.get(4)),
      code.simd(
        simdOp.f32x4Add,
        code.simd(
          simdOp.f32x4Mul,
          code.load(code.add(code.get(0), code.get(4))),
          code.load(code.add(code.get(1), code.get(4))),
        ),
        code.load(code.add(code.get(0), code.get(4))),
      ),
    ),
  ]),
};

describe('wasm assembler', () => {
  it('encodes LEB128 like the WebAssembly spec examples', () => {
    expect(uleb(0)).toEqual([0]);
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(sleb(-123456)).toEqual([0xc0, 0xbb, 0x78]);
    expect(sleb(64)).toEqual([0xc0, 0x00]);
    expect(sleb(-1)).toEqual([0x7f]);
  });

  it('assembles a module that validates and computes in place on the memory it imports', () => {
    expect(WebAssembly.validate(assembleModule([multiplyAdd]))).toBe(true);
    const memory = new WebAssembly.Memory({ initial: 1 });
    const kernels = simdKernels<{ multiplyAdd(a: number, b: number, out: number, bytes: number): void }>([multiplyAdd])(
      memory,
    );
    expect(kernels).not.toBeNull();
    const floats = new Float32Array(memory.buffer);
    floats.set([1, 2, 3, 4, 5, 6, 7, 8], 0);
    floats.set([2, 2, 2, 2, 0.5, 0.5, 0.5, 0.5], 8);
    kernels!.multiplyAdd(0, 32, 64, 32);
    expect(Array.from(floats.subarray(16, 24))).toEqual([3, 6, 9, 12, 7.5, 9, 10.5, 12]);
  });

  it('instantiates once per memory, so callers need no cache of their own', () => {
    const instantiate = simdKernels<object>([multiplyAdd]);
    const [first, second] = [new WebAssembly.Memory({ initial: 1 }), new WebAssembly.Memory({ initial: 1 })];
    expect(instantiate(first)).not.toBeNull();
    expect(instantiate(first)).toBe(instantiate(first));
    expect(instantiate(second)).not.toBe(instantiate(first));
  });

  it('gives null, not a crash, for a memory it cannot import (shared)', () => {
    const shared = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    expect(simdKernels([multiplyAdd])(shared)).toBeNull();
  });
});
