/**
 * Adam's update as one WebAssembly SIMD loop (four float32 lanes per instruction). tf.train.adam runs about a dozen
 * kernels per weight, each a full pass over memory; this is one pass. Every lane does the same float32 operations in
 * the same order as tfjs-core's Adam (IEEE add, mul, div and sqrt round the same way on every engine), so the results
 * are bit-identical to tf.train on the cpu and wasm backends.
 *
 * The module is assembled at load time with cnn-model's assembler and imports its memory, which the caller sizes.
 * Engines without WebAssembly SIMD get `null` from `createAdamKernel` and keep the JavaScript loop.
 */
import { wasmAssembly } from '@mnist-cnn/cnn-model';
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
const { code, simdOp, valType } = wasmAssembly;
const { get, set, add, load, store } = code;
const f32x4 = (operation: number, ...operands: number[][]) => code.simd(operation, ...operands);

// adam(weights, gradient, m, v, out, bytes: i32, beta1, 1 − beta1, beta2, 1 − beta2, correction1, correction2,
// epsilon, −rate: f32), pointers and length in bytes, length a multiple of 16 (`out` may be `weights`):
//   m ← m·beta1 + g·(1 − beta1);  v ← v·beta2 + (g·g)·(1 − beta2)
//   out ← ((m / correction1) / (sqrt(v / correction2) + epsilon))·(−rate) + w
const [w, g, m, v, out, bytes] = [0, 1, 2, 3, 4, 5];
const pointerCount = 6;
const scalarCount = 8;
const index = pointerCount + scalarCount; // i32 local: the byte offset
const [beta1, oneMinusBeta1, beta2, oneMinusBeta2, correction1, correction2, epsilon, negativeRate] = Array.from(
  { length: scalarCount },
  (_, k) => index + 1 + k, // v128 locals: the scalars in every lane
) as [number, number, number, number, number, number, number, number];
const [gradient, moment1, moment2] = [index + 1 + scalarCount, index + 2 + scalarCount, index + 3 + scalarCount];
const at = (pointer: number) => add(get(pointer), get(index));
const adamFunction = {
  name: 'adam',
  params: [...Array(pointerCount).fill(valType.i32), ...Array(scalarCount).fill(valType.f32)],
  locals: [valType.i32, ...Array(scalarCount + 3).fill(valType.v128)],
  body: [
    ...Array.from({ length: scalarCount }, (_, k) =>
      set(beta1 + k, f32x4(simdOp.f32x4Splat, get(pointerCount + k))),
    ).flat(),
    ...code.loop(index, get(bytes), vectorBytes, [
      ...set(gradient, load(at(g))),
      ...set(
        moment1,
        f32x4(
          simdOp.f32x4Add,
          f32x4(simdOp.f32x4Mul, load(at(m)), get(beta1)),
          f32x4(simdOp.f32x4Mul, get(gradient), get(oneMinusBeta1)),
        ),
      ),
      ...store(at(m), get(moment1)),
      ...set(
        moment2,
        f32x4(
          simdOp.f32x4Add,
          f32x4(simdOp.f32x4Mul, load(at(v)), get(beta2)),
          f32x4(simdOp.f32x4Mul, f32x4(simdOp.f32x4Mul, get(gradient), get(gradient)), get(oneMinusBeta2)),
        ),
      ),
      ...store(at(v), get(moment2)),
      ...store(
        at(out),
        f32x4(
          simdOp.f32x4Add,
          f32x4(
            simdOp.f32x4Mul,
            f32x4(
              simdOp.f32x4Div,
              f32x4(simdOp.f32x4Div, get(moment1), get(correction1)),
              f32x4(
                simdOp.f32x4Add,
                f32x4(simdOp.f32x4Sqrt, f32x4(simdOp.f32x4Div, get(moment2), get(correction2))),
                get(epsilon),
              ),
            ),
            get(negativeRate),
          ),
          load(at(w)),
        ),
      ),
    ]),
  ],
};

/** adam(weights, gradient, m, v, out, bytes, …scalars): byte pointers into the memory, `bytes` a multiple of 16. */
export type AdamExports = {
  adam(
    weights: number,
    gradient: number,
    firstMoment: number,
    secondMoment: number,
    out: number,
    bytes: number,
    ...scalars: number[]
  ): void;
};

const instantiate = wasmAssembly.simdKernels<AdamExports>([adamFunction]);
let available: boolean | undefined;

/** Whether this engine runs the SIMD kernel (WebAssembly with SIMD). */
export function simdAdamAvailable(): boolean {
  available ??= instantiate(new WebAssembly.Memory({ initial: 1 })) !== null;
  return available;
}

/** The raw kernel instantiated against another module's memory (tfjs-backend-wasm's heap), or null without SIMD. */
export function adamOnMemory(memory: WebAssembly.Memory): AdamExports | null {
  return instantiate(memory);
}

/**
 * An Adam kernel with its own memory holding zero-filled arrays of `lengths` (each padded to whole vectors), or null
 * where WebAssembly SIMD is unavailable.
 */
export function createAdamKernel(lengths: readonly number[]): AdamKernel | null {
  if (typeof WebAssembly !== 'object') return null;
  const padded = lengths.map((length) => Math.ceil(length / 4) * 4);
  const total = padded.reduce((sum, length) => sum + length * 4, 0);
  const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(total / pageBytes)) });
  const kernel = instantiate(memory);
  if (!kernel) return null;
  const offsets = new Map<Float32Array, number>();
  let offset = 0;
  const arrays = lengths.map((length, k) => {
    const array = new Float32Array(memory.buffer, offset, length);
    offsets.set(array, offset);
    offset += padded[k]! * 4;
    return array;
  });
  const pointer = (array: Float32Array, length: number) => {
    const start = offsets.get(array);
    if (start === undefined || array.length < length) throw new Error('the Adam kernel only updates its own arrays');
    return start;
  };
  return {
    arrays,
    update(weights, gradientArray, firstMoment, secondMoment, s) {
      const length = firstMoment.length;
      if (secondMoment.length !== length) throw new Error('Adam moments differ in length');
      const weightsAt = pointer(weights, length);
      kernel.adam(
        weightsAt,
        pointer(gradientArray, length),
        pointer(firstMoment, length),
        pointer(secondMoment, length),
        weightsAt,
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
