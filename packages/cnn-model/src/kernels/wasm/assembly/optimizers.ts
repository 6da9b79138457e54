// The optimizer update rules, each one pass over a weight. Every rule takes the same arguments: the element count,
// the weights, the gradient (see `gradientAt`), up to three slots, where the new weights and slots go, then its own
// float32 constants. Each performs tfjs-core's float32 operations in tfjs's order, without fused multiply-adds, so the
// results are bit-identical to tf.train's optimizers on the cpu and wasm backends. A new optimizer is one more
// function here, with the same first thirteen arguments. A rule reads each position's inputs before it writes that
// position, so the gradient may sit where the new weights go (a sum of more than two parts goes there first).
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

export function adam(
  n: i32,
  w: usize,
  g: usize,
  g1: usize,
  scale0: f32,
  scale1: f32,
  m: usize,
  v: usize,
  _unused: usize,
  outW: usize,
  outM: usize,
  outV: usize,
  _unusedOut: usize,
  beta1: f32,
  oneMinusBeta1: f32,
  beta2: f32,
  oneMinusBeta2: f32,
  correction1: f32,
  correction2: f32,
  epsilon: f32,
  negativeRate: f32,
): void {
  const end = (<usize>n) << 2;
  for (let i: usize = 0; i < end; i += stepFrom(i, end)) {
    const whole = i + 16 <= end;
    const gradient = gradientAt(g, g1, scale0, scale1, i, whole);
    // m ← m·β1 + g·(1 − β1);  v ← v·β2 + g²·(1 − β2)
    const first = f32x4.add(
      f32x4.mul(read(m + i, whole), f32x4.splat(beta1)),
      f32x4.mul(gradient, f32x4.splat(oneMinusBeta1)),
    );
    const second = f32x4.add(
      f32x4.mul(read(v + i, whole), f32x4.splat(beta2)),
      f32x4.mul(f32x4.mul(gradient, gradient), f32x4.splat(oneMinusBeta2)),
    );
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
  _s0: usize,
  _s1: usize,
  _s2: usize,
  outW: usize,
  _o0: usize,
  _o1: usize,
  _o2: usize,
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
  accumulation: usize,
  _s1: usize,
  _s2: usize,
  outW: usize,
  outAccumulation: usize,
  _o1: usize,
  _o2: usize,
  negativeRate: f32,
  mu: f32,
  nesterov: f32,
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
 * p ← p·μ + g·rate / √…; w ← w − p. `meanGrads` is read only when `centered` is not 0.
 */
export function rmsprop(
  n: i32,
  w: usize,
  g: usize,
  g1: usize,
  scale0: f32,
  scale1: f32,
  meanSquares: usize,
  moments: usize,
  meanGrads: usize,
  outW: usize,
  outMeanSquares: usize,
  outMoments: usize,
  outMeanGrads: usize,
  decay: f32,
  oneMinusDecay: f32,
  mu: f32,
  epsilon: f32,
  rate: f32,
  centered: f32,
): void {
  const end = (<usize>n) << 2;
  for (let i: usize = 0; i < end; i += stepFrom(i, end)) {
    const whole = i + 16 <= end;
    const gradient = gradientAt(g, g1, scale0, scale1, i, whole);
    const squares = f32x4.add(
      f32x4.mul(read(meanSquares + i, whole), f32x4.splat(decay)),
      f32x4.mul(f32x4.mul(gradient, gradient), f32x4.splat(oneMinusDecay)),
    );
    let radicand = f32x4.add(squares, f32x4.splat(epsilon));
    if (centered !== 0) {
      const mean = f32x4.add(
        f32x4.mul(read(meanGrads + i, whole), f32x4.splat(decay)),
        f32x4.mul(gradient, f32x4.splat(oneMinusDecay)),
      );
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
