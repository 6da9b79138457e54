// The micro-kernel of every matrix product in the library (convolutions.ts, winograd.ts, dense.ts): 2 rows × 16
// columns of sums in eight vector accumulators, as many as V8 keeps in registers beside the operands (x64 has 16
// vector registers); larger tiles measured slower because they spill. Every caller inlines it (`inline.always`): a call
// per tile passes 14 arguments for a few dozen multiply-adds, and with the caller's constant arguments folded in the
// whole training step measured faster (the benchmarks page has the figures).
import { madd } from './vectors';

/**
 * The micro-kernel. Row one sums splat(a) · (16 floats at f) over `runs` runs of `length` steps: a moves by `aStep`
 * within a run and by `runStep` from the start of one run to the next, f by `fStep` every step (across runs too).
 * Row two is the same with a + bDelta. The sums start at `init` (16 floats; 0 means zeros), go through a ReLU with
 * `relu`, and are added into `out0` and `out1` (`accumulate`) or stored there; with `two` false only row one is kept.
 */
export function tile(
  a: usize,
  bDelta: usize,
  aStep: usize,
  length: i32,
  runs: i32,
  runStep: usize,
  f: usize,
  fStep: usize,
  init: usize,
  out0: usize,
  out1: usize,
  accumulate: bool,
  relu: bool,
  two: bool,
): void {
  let a0 = f32x4.splat(0),
    a1 = a0,
    a2 = a0,
    a3 = a0;
  if (init) {
    a0 = v128.load(init);
    a1 = v128.load(init, 16);
    a2 = v128.load(init, 32);
    a3 = v128.load(init, 48);
  }
  let b0 = a0,
    b1 = a1,
    b2 = a2,
    b3 = a3;
  const runBytes = <usize>length * aStep;
  for (let run = 0, start = a; run < runs; run++, start += runStep) {
    for (let at = start, end = start + runBytes; at < end; at += aStep) {
      const s = v128.load32_splat(at),
        t = v128.load32_splat(at + bDelta);
      const f0 = v128.load(f),
        f1 = v128.load(f, 16),
        f2 = v128.load(f, 32),
        f3 = v128.load(f, 48);
      a0 = madd(s, f0, a0);
      a1 = madd(s, f1, a1);
      a2 = madd(s, f2, a2);
      a3 = madd(s, f3, a3);
      b0 = madd(t, f0, b0);
      b1 = madd(t, f1, b1);
      b2 = madd(t, f2, b2);
      b3 = madd(t, f3, b3);
      f += fStep;
    }
  }
  put(out0, a0, a1, a2, a3, accumulate, relu);
  if (two) put(out1, b0, b1, b2, b3, accumulate, relu);
}

/** Writes one row of a tile: added to what is at `at` (`accumulate`) or stored, through a ReLU with `relu`. */
function put(at: usize, v0: v128, v1: v128, v2: v128, v3: v128, accumulate: bool, relu: bool): void {
  if (accumulate) {
    v0 = f32x4.add(v128.load(at), v0);
    v1 = f32x4.add(v128.load(at, 16), v1);
    v2 = f32x4.add(v128.load(at, 32), v2);
    v3 = f32x4.add(v128.load(at, 48), v3);
  }
  if (relu) {
    const zero = f32x4.splat(0);
    v0 = f32x4.pmax(v0, zero);
    v1 = f32x4.pmax(v1, zero);
    v2 = f32x4.pmax(v2, zero);
    v3 = f32x4.pmax(v3, zero);
  }
  v128.store(at, v0);
  v128.store(at, v1, 16);
  v128.store(at, v2, 32);
  v128.store(at, v3, 48);
}
