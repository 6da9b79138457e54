/**
 * Adam's update as one WebAssembly SIMD loop (four float32 lanes per instruction). tf.train.adam runs about a dozen
 * kernels per weight, each a full pass over memory; this is one pass. Every lane does the same float32 operations in
 * the same order as tfjs-core's Adam (IEEE add, mul, div and sqrt round the same way on every engine), so the results
 * are bit-identical to tf.train on the cpu and wasm backends.
 *
 * The module is a few hundred bytes, assembled below rather than shipped as a binary, and imports its memory so the
 * caller sizes it. Engines without WebAssembly SIMD get `null` from `createAdamKernel` and keep the JavaScript loop.
 */
import type { AdamScalars } from './optimizer-updates.js';

/** Adam over float32 arrays that live in the kernel's own WebAssembly memory. */
export interface AdamKernel {
  /** Zero-filled arrays of the lengths asked for, in that order; the memory never grows, so they stay valid. */
  readonly arrays: Float32Array[];
  /**
   * firstMoment, secondMoment ← Adam's moments, and the first `firstMoment.length` weights ← Adam's update, in place.
   * All four are from `arrays`; `weights` and `gradient` may be longer (scratch arrays shared by every variable).
   */
  update(
    weights: Float32Array,
    gradient: Float32Array,
    firstMoment: Float32Array,
    secondMoment: Float32Array,
    scalars: AdamScalars,
  ): void;
}

const pageBytes = 65536;
const vectorBytes = 16;

// Opcodes used below (WebAssembly core and SIMD specifications).
const op = {
  block: 0x02,
  loop: 0x03,
  br: 0x0c,
  brIf: 0x0d,
  end: 0x0b,
  localGet: 0x20,
  localSet: 0x21,
  i32Const: 0x41,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  simd: 0xfd,
} as const;
const simdOp = { load: 0x00, store: 0x0b, splat: 0x13, sqrt: 0xe3, add: 0xe4, mul: 0xe6, div: 0xe7 } as const;
const type = { i32: 0x7f, f32: 0x7d, v128: 0x7b, void: 0x40, func: 0x60 } as const;

function uleb(value: number): number[] {
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

const vector = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
const name = (text: string) => vector([...text].map((c) => [c.charCodeAt(0)]));
const simd = (code: number) => [op.simd, ...uleb(code)];
const get = (local: number) => [op.localGet, ...uleb(local)];
const set = (local: number) => [op.localSet, ...uleb(local)];
// memarg: alignment 2^4 = 16 bytes, offset 0.
const load = (pointer: number, index: number) => [
  ...get(pointer),
  ...get(index),
  op.i32Add,
  ...simd(simdOp.load),
  4,
  0,
];
const store = (pointer: number, index: number, value: number[]) => [
  ...get(pointer),
  ...get(index),
  op.i32Add,
  ...value,
  ...simd(simdOp.store),
  4,
  0,
];
const binary = (code: number, a: number[], b: number[]) => [...a, ...b, ...simd(code)];

/**
 * adam(weights, gradient, m, v, bytes: i32, beta1, 1 − beta1, beta2, 1 − beta2, correction1, correction2, epsilon,
 * −rate: f32), pointers and length in bytes, length a multiple of 16:
 *   m ← m·beta1 + g·(1 − beta1);  v ← v·beta2 + (g·g)·(1 − beta2)
 *   w ← ((m / correction1) / (sqrt(v / correction2) + epsilon))·(−rate) + w
 */
function adamModule(): Uint8Array<ArrayBuffer> {
  const [w, g, m, v, bytes] = [0, 1, 2, 3, 4];
  const scalarCount = 8;
  const firstScalar = 5;
  const index = firstScalar + scalarCount; // i32 local: the byte offset
  const splat = (k: number) => index + 1 + k; // v128 locals: the scalars in every lane
  const [gradient, moment1, moment2] = [index + 1 + scalarCount, index + 2 + scalarCount, index + 3 + scalarCount];
  const [beta1, oneMinusBeta1, beta2, oneMinusBeta2, correction1, correction2, epsilon, negativeRate] = Array.from(
    { length: scalarCount },
    (_, k) => splat(k),
  ) as [number, number, number, number, number, number, number, number];

  const body = [
    ...vector([
      [1, type.i32],
      [scalarCount + 3, type.v128],
    ]),
    ...Array.from({ length: scalarCount }, (_, k) => [
      ...get(firstScalar + k),
      ...simd(simdOp.splat),
      ...set(splat(k)),
    ]).flat(),
    op.block,
    type.void,
    op.loop,
    type.void,
    ...get(index),
    ...get(bytes),
    op.i32GeU,
    op.brIf,
    1,
    ...load(g, index),
    ...set(gradient),
    ...binary(
      simdOp.add,
      binary(simdOp.mul, load(m, index), get(beta1)),
      binary(simdOp.mul, get(gradient), get(oneMinusBeta1)),
    ),
    ...set(moment1),
    ...store(m, index, get(moment1)),
    ...binary(
      simdOp.add,
      binary(simdOp.mul, load(v, index), get(beta2)),
      binary(simdOp.mul, binary(simdOp.mul, get(gradient), get(gradient)), get(oneMinusBeta2)),
    ),
    ...set(moment2),
    ...store(v, index, get(moment2)),
    ...store(
      w,
      index,
      binary(
        simdOp.add,
        binary(
          simdOp.mul,
          binary(
            simdOp.div,
            binary(simdOp.div, get(moment1), get(correction1)),
            binary(
              simdOp.add,
              [...binary(simdOp.div, get(moment2), get(correction2)), ...simd(simdOp.sqrt)],
              get(epsilon),
            ),
          ),
          get(negativeRate),
        ),
        load(w, index),
      ),
    ),
    ...get(index),
    op.i32Const,
    ...uleb(vectorBytes),
    op.i32Add,
    ...set(index),
    op.br,
    0,
    op.end,
    op.end,
    op.end,
  ];
  const params = [...Array(5).fill(type.i32), ...Array(scalarCount).fill(type.f32)];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vector([[type.func, ...vector(params.map((t) => [t])), ...vector([])]])),
    ...section(2, vector([[...name('env'), ...name('memory'), 0x02, 0x00, ...uleb(1)]])),
    ...section(3, vector([[0]])),
    ...section(7, vector([[...name('adam'), 0x00, 0]])),
    ...section(10, vector([[...uleb(body.length), ...body]])),
  ]);
}

type AdamExport = (
  weights: number,
  gradient: number,
  firstMoment: number,
  secondMoment: number,
  bytes: number,
  ...scalars: number[]
) => void;

let compiled: WebAssembly.Module | null | undefined;

function compile(): WebAssembly.Module | null {
  if (compiled === undefined) {
    const bytes = adamModule();
    compiled = typeof WebAssembly === 'object' && WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  }
  return compiled;
}

/** Whether this engine runs the SIMD kernel (WebAssembly with SIMD). */
export function simdAdamAvailable(): boolean {
  return compile() !== null;
}

/**
 * An Adam kernel with its own memory holding zero-filled arrays of `lengths` (each padded to whole vectors), or null
 * where WebAssembly SIMD is unavailable.
 */
export function createAdamKernel(lengths: readonly number[]): AdamKernel | null {
  const module = compile();
  if (!module) return null;
  const padded = lengths.map((length) => Math.ceil(length / 4) * 4);
  const bytes = padded.reduce((sum, length) => sum + length * 4, 0);
  const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(bytes / pageBytes)) });
  const adam = new WebAssembly.Instance(module, { env: { memory } }).exports.adam as AdamExport;
  const offsets = new Map<Float32Array, number>();
  let offset = 0;
  const arrays = lengths.map((length, index) => {
    const array = new Float32Array(memory.buffer, offset, length);
    offsets.set(array, offset);
    offset += padded[index]! * 4;
    return array;
  });
  const pointer = (array: Float32Array, length: number) => {
    const at = offsets.get(array);
    if (at === undefined || array.length < length) throw new Error('the Adam kernel only updates its own arrays');
    return at;
  };
  return {
    arrays,
    update(weights, gradient, firstMoment, secondMoment, s) {
      const length = firstMoment.length;
      if (secondMoment.length !== length) throw new Error('Adam moments differ in length');
      adam(
        pointer(weights, length),
        pointer(gradient, length),
        pointer(firstMoment, length),
        pointer(secondMoment, length),
        Math.ceil(length / 4) * vectorBytes,
        s.beta1,
        s.oneMinusBeta1,
        s.beta2,
        s.oneMinusBeta2,
        s.correction1,
        s.correction2,
        s.epsilon,
        s.negativeRate,
      );
    },
  };
}
