// The optimizer update rules, each one pass over a weight. Every rule takes the element count, the weights, the
// gradient (see `gradientAt`), where the new weights go, its own float32 constants, then each slot it keeps followed by
// where that slot's new values go. Each performs tfjs-core's float32 operations in tfjs's order, without fused
// multiply-adds, so the results are bit-identical to tf.train's optimizers on the cpu and wasm backends. A rule reads
// each position's inputs before it writes that position, so the gradient may sit where the new weights go (a sum of
// more than two parts goes there first).
import { read, stepFrom, write } from './vectors';

/** out ← part·scale when `add` is 0, else out + part·scale: one shard of a weighted sum, in float32, in shard order. */
export function scaledSum(n: i32, out: usize, add: i32, part: usize, scale: f32): void {
  const end = (<usize>n) << 2;
  for (let i: usize = 0; i < end; i += stepFrom(i, end)) {
    const whole = i + 16 <= end;
    const scaled = f32x4.mul(read(part + i, whole), f32x4.splat(scale));
    write(out + i, add === 0 ? scaled : f32x4.add(read(out + i, whole), scaled), whole);
  }
}

/**
 * The gradient at byte `i`: `g`'s own, or, when `g1` is not 0, the weighted sum g·scale0 + g1·scale1 of two parts (a
 * data-parallel step's shards) in scaledSum's order, read in the rule's own pass so the sum never goes through memory.
 */
function gradientAt(g: usize, g1: usize, scale0: f32, scale1: f32, i: usize, whole: bool): v128 {
  if (g1 === 0) return read(g + i, whole);
  const first = f32x4.mul(read(g + i, whole), f32x4.splat(scale0));
  return f32x4.add(first, f32x4.mul(read(g1 + i, whole), f32x4.splat(scale1)));
}

/** old·decay + value·rest, in that order: a moving average's step, `rest` being 1 − decay as the caller rounded it. */
function average(old: v128, decay: f32, value: v128, rest: f32): v128 {
  return f32x4.add(f32x4.mul(old, f32x4.splat(decay)), f32x4.mul(value, f32x4.splat(rest)));
}

export function adam(
  n: i32,
  w: usize,
  g: usize,
  g1: usize,
  scale0: f32,
  scale1: f32,
  outW: usize,
  beta1: f32,
  oneMinusBeta1: f32,
  beta2: f32,
  oneMinusBeta2: f32,
  correction1: f32,
  correction2: f32,
  epsilon: f32,
  negativeRate: f32,
  m: usize,
  outM: usize,
  v: usize,
  outV: usize,
): void {
  const end = (<usize>n) << 2;
  for (let i: usize = 0; i < end; i += stepFrom(i, end)) {
    const whole = i + 16 <= end;
    const gradient = gradientAt(g, g1, scale0, scale1, i, whole);
    // m ← m·β1 + g·(1 − β1);  v ← v·β2 + g²·(1 − β2)
    const first = average(read(m + i, whole), beta1, gradient, oneMinusBeta1);
    const second = average(read(v + i, whole), beta2, f32x4.mul(gradient, gradient), oneMinusBeta2);
    // w ← (m / (1 − β1ᵗ)) / (√(v / (1 − β2ᵗ)) + ε) · (−rate) + w
    const denominator = f32x4.add(f32x4.sqrt(f32x4.div(second, f32x4.splat(correction2))), f32x4.splat(epsilon));
    const change = f32x4.mul(
      f32x4.div(f32x4.div(first, f32x4.splat(correction1)), denominator),
      f32x4.splat(negativeRate),
    );
    write(outM + i, first, whole);
    write(outV + i, second, whole);
    write(outW + i, f32x4.add(change, read(w + i, whole)), whole);
  }
}

export function sgd(
  n: i32,
  w: usize,
  g: usize,
  g1: usize,
  scale0: f32,
  scale1: f32,
  outW: usize,
  negativeRate: f32,
): void {
  const end = (<usize>n) << 2;
  for (let i: usize = 0; i < end; i += stepFrom(i, end)) {
    const whole = i + 16 <= end;
    const gradient = gradientAt(g, g1, scale0, scale1, i, whole);
    write(outW + i, f32x4.add(f32x4.mul(f32x4.splat(negativeRate), gradient), read(w + i, whole)), whole);
  }
}

/** Heavy-ball momentum: a ← μ·a + g; w ← (−rate)·a + w. Nesterov: w ← (−rate)·(g + a·μ) + w. */
export function momentum(
  n: i32,
  w: usize,
  g: usize,
  g1: usize,
  scale0: f32,
  scale1: f32,
  outW: usize,
  negativeRate: f32,
  mu: f32,
  nesterov: f32,
  accumulation: usize,
  outAccumulation: usize,
): void {
  const end = (<usize>n) << 2;
  for (let i: usize = 0; i < end; i += stepFrom(i, end)) {
    const whole = i + 16 <= end;
    const gradient = gradientAt(g, g1, scale0, scale1, i, whole);
    const a = f32x4.add(f32x4.mul(f32x4.splat(mu), read(accumulation + i, whole)), gradient);
    const step = nesterov !== 0 ? f32x4.add(gradient, f32x4.mul(a, f32x4.splat(mu))) : a;
    write(outAccumulation + i, a, whole);
    write(outW + i, f32x4.add(f32x4.mul(f32x4.splat(negativeRate), step), read(w + i, whole)), whole);
  }
}

/**
 * RMSProp: s ← s·ρ + g²·(1 − ρ); centered also ḡ ← ḡ·ρ + g·(1 − ρ) and s − (ḡ² + ε) under the root instead of s + ε;
 * p ← p·μ + g·rate / √…; w ← w − p. `meanGrads` is read (and given) only when `centered` is not 0.
 */
export function rmsprop(
  n: i32,
  w: usize,
  g: usize,
  g1: usize,
  scale0: f32,
  scale1: f32,
  outW: usize,
  decay: f32,
  oneMinusDecay: f32,
  mu: f32,
  epsilon: f32,
  rate: f32,
  centered: f32,
  meanSquares: usize,
  outMeanSquares: usize,
  moments: usize,
  outMoments: usize,
  meanGrads: usize,
  outMeanGrads: usize,
): void {
  const end = (<usize>n) << 2;
  for (let i: usize = 0; i < end; i += stepFrom(i, end)) {
    const whole = i + 16 <= end;
    const gradient = gradientAt(g, g1, scale0, scale1, i, whole);
    const squares = average(read(meanSquares + i, whole), decay, f32x4.mul(gradient, gradient), oneMinusDecay);
    let radicand = f32x4.add(squares, f32x4.splat(epsilon));
    if (centered !== 0) {
      const mean = average(read(meanGrads + i, whole), decay, gradient, oneMinusDecay);
      write(outMeanGrads + i, mean, whole);
      radicand = f32x4.sub(squares, f32x4.add(f32x4.mul(mean, mean), f32x4.splat(epsilon)));
    }
    const moment = f32x4.add(
      f32x4.mul(read(moments + i, whole), f32x4.splat(mu)),
      f32x4.div(f32x4.mul(gradient, f32x4.splat(rate)), f32x4.sqrt(radicand)),
    );
    write(outMeanSquares + i, squares, whole);
    write(outMoments + i, moment, whole);
    write(outW + i, f32x4.sub(read(w + i, whole), moment), whole);
  }
}
