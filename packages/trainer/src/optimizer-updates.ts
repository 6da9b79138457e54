import type { ResolvedOptimizerConfig } from './optimizer.js';

// The update rules of tfjs-core's Adam, SGD, momentum and RMSProp optimizers, fused into one loop per weight. tfjs runs
// each rule as a chain of float32 tensor ops (mul, add, sqrt, …), each rounding its result to float32; these loops
// round after every operation the same way (Math.fround), so they give the same bits on the cpu and wasm backends
// without the dozens of kernel launches and temporary tensors per weight.

const f = Math.fround;

/** Slot arrays per weight, in tfjs `getWeights` order groups: Adam [m, v], momentum [accumulation], RMSProp [ms, moments(, mg)]. */
export type SlotGroups = Float32Array[][];

/** Number of slot groups (arrays per weight) an optimizer keeps. */
export function slotGroupCount(config: ResolvedOptimizerConfig): number {
  switch (config.name) {
    case 'adam':
      return 2;
    case 'sgd':
      return config.momentum > 0 ? 1 : 0;
    case 'rmsprop':
      return config.centered ? 3 : 2;
  }
}

/** Per-step scalars: the learning rate, and Adam's running powers of beta1 and beta2 (float32 values). */
export interface StepScalars {
  learningRate: number;
  betaPowers: [number, number];
}

/** Writes the updated weights into `out` and advances the slots in place, for one weight. */
export function updateWeight(
  config: ResolvedOptimizerConfig,
  scalars: StepScalars,
  weights: ArrayLike<number>,
  gradient: ArrayLike<number>,
  slots: Float32Array[],
  out: Float32Array,
): void {
  if (config.name === 'adam') adam(config, scalars, weights, gradient, slots[0]!, slots[1]!, out);
  else if (config.name === 'rmsprop') rmsprop(config, scalars, weights, gradient, slots, out);
  else if (config.momentum > 0) momentum(config, scalars, weights, gradient, slots[0]!, out);
  else sgd(scalars, weights, gradient, out);
}

/** Adam's per-step constants as float32 values, as tfjs computes them: the SIMD kernel takes the same ones. */
export function adamScalars(config: Extract<ResolvedOptimizerConfig, { name: 'adam' }>, scalars: StepScalars) {
  return {
    beta1: f(config.beta1),
    oneMinusBeta1: f(1 - config.beta1),
    beta2: f(config.beta2),
    oneMinusBeta2: f(1 - config.beta2),
    /** 1 − beta1^t and 1 − beta2^t. */
    correction1: f(1 - scalars.betaPowers[0]),
    correction2: f(1 - scalars.betaPowers[1]),
    epsilon: f(config.epsilon),
    negativeRate: f(-scalars.learningRate),
  };
}

/** Adam's float32 constants for one step (see adamScalars). */
export type AdamScalars = ReturnType<typeof adamScalars>;

function adam(
  config: Extract<ResolvedOptimizerConfig, { name: 'adam' }>,
  scalars: StepScalars,
  weights: ArrayLike<number>,
  gradient: ArrayLike<number>,
  firstMoment: Float32Array,
  secondMoment: Float32Array,
  out: Float32Array,
): void {
  const { beta1, oneMinusBeta1, beta2, oneMinusBeta2, correction1, correction2, epsilon, negativeRate } = adamScalars(
    config,
    scalars,
  );
  for (let i = 0; i < out.length; i++) {
    const g = gradient[i]!;
    const m = f(f(firstMoment[i]! * beta1) + f(g * oneMinusBeta1));
    const v = f(f(secondMoment[i]! * beta2) + f(f(g * g) * oneMinusBeta2));
    firstMoment[i] = m;
    secondMoment[i] = v;
    const mHat = f(m / correction1);
    const vHat = f(v / correction2);
    out[i] = f(f(f(mHat / f(f(Math.sqrt(vHat)) + epsilon)) * negativeRate) + weights[i]!);
  }
}

function sgd(scalars: StepScalars, weights: ArrayLike<number>, gradient: ArrayLike<number>, out: Float32Array): void {
  const negativeRate = f(-scalars.learningRate);
  for (let i = 0; i < out.length; i++) out[i] = f(f(negativeRate * gradient[i]!) + weights[i]!);
}

function momentum(
  config: Extract<ResolvedOptimizerConfig, { name: 'sgd' }>,
  scalars: StepScalars,
  weights: ArrayLike<number>,
  gradient: ArrayLike<number>,
  accumulation: Float32Array,
  out: Float32Array,
): void {
  const negativeRate = f(-scalars.learningRate);
  const m = f(config.momentum);
  for (let i = 0; i < out.length; i++) {
    const g = gradient[i]!;
    const a = f(f(m * accumulation[i]!) + g);
    accumulation[i] = a;
    const step = config.nesterov ? f(g + f(a * m)) : a;
    out[i] = f(f(negativeRate * step) + weights[i]!);
  }
}

function rmsprop(
  config: Extract<ResolvedOptimizerConfig, { name: 'rmsprop' }>,
  scalars: StepScalars,
  weights: ArrayLike<number>,
  gradient: ArrayLike<number>,
  slots: Float32Array[],
  out: Float32Array,
): void {
  const [meanSquares, moments, meanGrads] = slots as [Float32Array, Float32Array, Float32Array | undefined];
  const decay = f(config.decay);
  const oneMinusDecay = f(1 - config.decay);
  const m = f(config.momentum);
  const epsilon = f(config.epsilon);
  const rate = f(scalars.learningRate);
  for (let i = 0; i < out.length; i++) {
    const g = gradient[i]!;
    const ms = f(f(meanSquares[i]! * decay) + f(f(g * g) * oneMinusDecay));
    meanSquares[i] = ms;
    let denominator: number;
    if (meanGrads) {
      const mg = f(f(meanGrads[i]! * decay) + f(g * oneMinusDecay));
      meanGrads[i] = mg;
      denominator = f(Math.sqrt(f(ms - f(f(mg * mg) + epsilon))));
    } else {
      denominator = f(Math.sqrt(f(ms + epsilon)));
    }
    const moment = f(f(moments[i]! * m) + f(f(g * rate) / denominator));
    moments[i] = moment;
    out[i] = f(weights[i]! - moment);
  }
}
