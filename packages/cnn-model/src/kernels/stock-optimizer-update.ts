import * as tf from '@tensorflow/tfjs-core';

// The optimizer update's stock path, for where the kernels cannot run (engines without WebAssembly SIMD): the rules of
// wasm/assembly/optimizers.ts in tfjs ops, taking the same constants and performing tf.train's float32 operations in
// the same order, so they give the same bits as the kernel.

/** Up to three slots and eight constants, as many as the rule takes (the kernel's callers pass the right counts). */
type Rule = (weights: tf.Tensor, gradient: tf.Tensor, slots: Three<tf.Tensor>, scalars: Eight) => tf.Tensor[];
type Three<T> = [T, T, T];
type Eight = [...Three<number>, ...Three<number>, number, number];

const rules: Record<string, Rule> = {
  adam: (
    w,
    g,
    [m, v],
    [beta1, oneMinusBeta1, beta2, oneMinusBeta2, correction1, correction2, epsilon, negativeRate],
  ) => {
    const first = tf.add(tf.mul(m, beta1), tf.mul(g, oneMinusBeta1));
    const second = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), oneMinusBeta2));
    const denominator = tf.add(tf.sqrt(tf.div(second, correction2)), epsilon);
    return [tf.add(tf.mul(tf.div(tf.div(first, correction1), denominator), negativeRate), w), first, second];
  },
  sgd: (w, g, _, [negativeRate]) => [tf.add(tf.mul(g, negativeRate), w)],
  momentum: (w, g, [accumulation], [negativeRate, mu, nesterov]) => {
    const a = tf.add(tf.mul(accumulation, mu), g);
    return [tf.add(tf.mul(nesterov ? tf.add(g, tf.mul(a, mu)) : a, negativeRate), w), a];
  },
  rmsprop: (w, g, [meanSquares, moments, meanGrads], [decay, oneMinusDecay, mu, epsilon, rate, centered]) => {
    const squares = tf.add(tf.mul(meanSquares, decay), tf.mul(tf.square(g), oneMinusDecay));
    const mean = centered ? tf.add(tf.mul(meanGrads, decay), tf.mul(g, oneMinusDecay)) : undefined;
    const radicand = mean ? tf.sub(squares, tf.add(tf.square(mean), epsilon)) : tf.add(squares, epsilon);
    const moment = tf.add(tf.mul(moments, mu), tf.div(tf.mul(g, rate), tf.sqrt(radicand)));
    return [tf.sub(w, moment), squares, moment, ...(mean ? [mean] : [])];
  },
};

/** One update step of `rule` in tfjs ops, from `optimizerUpdate`'s arguments: [new weights, ...new slots], as the kernel. */
export function stockOptimizerUpdate(
  rule: string,
  weights: tf.Tensor,
  parts: readonly tf.Tensor[],
  slots: readonly tf.Tensor[],
  scalars: readonly number[],
  gradientScales?: readonly number[],
): tf.Tensor[] {
  const update = rules[rule];
  if (update === undefined) throw new Error(`the kernel library has no optimizer rule ${JSON.stringify(rule)}`);
  return tf.tidy(() => {
    const scaled = parts.map((part, k) => (gradientScales ? tf.mul(part, gradientScales[k]!) : part));
    const gradient = scaled.reduce((sum, part) => tf.add(sum, part));
    return update(weights, gradient, [...slots] as Three<tf.Tensor>, [...scalars] as Eight);
  });
}
