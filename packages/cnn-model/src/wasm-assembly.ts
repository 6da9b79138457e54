/**
 * A small WebAssembly assembler for SIMD kernels: enough of the binary format to emit modules of a few functions that
 * import one memory and loop over float32 vectors. Kernels are assembled at load time from the byte helpers below, so
 * the packages ship no binaries and need no toolchain. Engines without WebAssembly SIMD fail `validate`, and callers
 * fall back to JavaScript.
 */

/** Value types. */
export const valType = { i32: 0x7f, f32: 0x7d, v128: 0x7b } as const;
export type ValType = (typeof valType)[keyof typeof valType];

/** Core opcodes used by the kernels. */
export const op = {
  block: 0x02,
  loop: 0x03,
  br: 0x0c,
  brIf: 0x0d,
  end: 0x0b,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Const: 0x41,
  f32Const: 0x43,
  i32Eqz: 0x45,
  i32LtU: 0x49,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  i32Mul: 0x6c,
} as const;

/** SIMD opcodes (after the 0xfd prefix). */
export const simdOp = {
  load: 0x00,
  load32Splat: 0x09,
  store: 0x0b,
  f32x4Splat: 0x13,
  f32x4Eq: 0x41,
  f32x4Gt: 0x44,
  v128And: 0x4e,
  f32x4Sqrt: 0xe3,
  f32x4Add: 0xe4,
  f32x4Mul: 0xe6,
  f32x4Div: 0xe7,
  f32x4Max: 0xe9,
} as const;

/** Unsigned LEB128. */
export function uleb(value: number): number[] {
  const bytes: number[] = [];
  let rest = value >>> 0;
  do {
    let byte = rest & 0x7f;
    rest >>>= 7;
    if (rest !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (rest !== 0);
  return bytes;
}

/** Signed LEB128 (i32.const immediates). */
export function sleb(value: number): number[] {
  const bytes: number[] = [];
  let rest = value | 0;
  for (;;) {
    const byte = rest & 0x7f;
    rest >>= 7;
    if ((rest === 0 && (byte & 0x40) === 0) || (rest === -1 && (byte & 0x40) !== 0)) {
      bytes.push(byte);
      return bytes;
    }
    bytes.push(byte | 0x80);
  }
}

const vector = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
const name = (text: string) => vector([...text].map((c) => [c.charCodeAt(0)]));

/** Instruction builders; each returns the bytes of an expression or statement. */
export const code = {
  get: (local: number) => [op.localGet, ...uleb(local)],
  set: (local: number, value: number[]) => [...value, op.localSet, ...uleb(local)],
  i32: (value: number) => [op.i32Const, ...sleb(value)],
  f32: (value: number) => {
    const bytes = new Uint8Array(new Float32Array([value]).buffer);
    return [op.f32Const, ...bytes];
  },
  add: (a: number[], b: number[]) => [...a, ...b, op.i32Add],
  mul: (a: number[], b: number[]) => [...a, ...b, op.i32Mul],
  simd: (code: number, ...operands: number[][]) => [...operands.flat(), 0xfd, ...uleb(code)],
  /** v128.load from the byte address `address` + `offset` (16-byte alignment hint). */
  load: (address: number[], offset = 0) => [...address, 0xfd, ...uleb(simdOp.load), 4, ...uleb(offset)],
  /** v128.store of `value` at the byte address `address` + `offset`. */
  store: (address: number[], value: number[], offset = 0) => [
    ...address,
    ...value,
    0xfd,
    ...uleb(simdOp.store),
    4,
    ...uleb(offset),
  ],
  /** The float32 at byte address `address` + `offset` in all four lanes (v128.load32_splat). */
  splat: (address: number[], offset = 0) => [...address, 0xfd, ...uleb(simdOp.load32Splat), 2, ...uleb(offset)],
  /** `for (local = 0; local < limit; local += step) body`, with i32 `local` and an i32 expression `limit`. */
  loop: (local: number, limit: number[], step: number, body: number[]) => [
    ...code.set(local, code.i32(0)),
    op.block,
    0x40,
    op.loop,
    0x40,
    ...code.get(local),
    ...limit,
    op.i32GeU,
    op.brIf,
    1,
    ...body,
    ...code.set(local, code.add(code.get(local), code.i32(step))),
    op.br,
    0,
    op.end,
    op.end,
  ],
};

/** One exported function: its parameters come first in the local index space, then its extra locals. */
export interface WasmFunction {
  name: string;
  params: ValType[];
  locals: ValType[];
  body: number[];
}

/** A module importing `env.memory` and exporting `functions` (no results), as bytes for `WebAssembly.Module`. */
export function assembleModule(functions: readonly WasmFunction[]): Uint8Array<ArrayBuffer> {
  const types = functions.map((f) => [0x60, ...vector(f.params.map((t) => [t])), ...vector([])]);
  const bodies = functions.map((f) => {
    const body = [...vector(f.locals.map((t) => [1, t])), ...f.body, op.end];
    return [...uleb(body.length), ...body];
  });
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vector(types)),
    ...section(2, vector([[...name('env'), ...name('memory'), 0x02, 0x00, ...uleb(1)]])),
    ...section(3, vector(functions.map((_, index) => uleb(index)))),
    ...section(7, vector(functions.map((f, index) => [...name(f.name), 0x00, ...uleb(index)]))),
    ...section(10, vector(bodies)),
  ]);
}

/**
 * Compiles `functions` once (null where the engine lacks WebAssembly or SIMD) and returns a function that instantiates
 * them against a memory, once per memory (later calls return the same instance); null also for a memory the module
 * cannot import (a shared one, as tfjs-backend-wasm's multithreaded build uses in cross-origin isolated pages).
 */
export function simdKernels<Exports>(
  functions: readonly WasmFunction[],
): (memory: WebAssembly.Memory) => Exports | null {
  let module: WebAssembly.Module | null | undefined;
  const instances = new WeakMap<WebAssembly.Memory, Exports | null>();
  const instantiate = (memory: WebAssembly.Memory): Exports | null => {
    if (module === undefined) {
      const bytes = assembleModule(functions);
      module = typeof WebAssembly === 'object' && WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
    }
    if (!module) return null;
    try {
      return new WebAssembly.Instance(module, { env: { memory } }).exports as Exports;
    } catch (error) {
      if (error instanceof WebAssembly.LinkError) return null;
      throw error;
    }
  };
  return (memory) => {
    if (!instances.has(memory)) instances.set(memory, instantiate(memory));
    return instances.get(memory)!;
  };
}

/** For kernels that import tfjs-backend-wasm's own memory and work on its tensors in place. */
export { isWasmBackend, offsetOf, type WasmBackendLike } from './wasm-heap.js';
