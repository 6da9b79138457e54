import * as tf from '@tensorflow/tfjs-core';
import type { ResolvedOptimizerConfig } from './optimizer-config.js';

// How each optimizer of optimizer-config.ts updates a weight: which rule of cnn-model's kernel library it runs, how
// many slots it keeps per weight, and the float32 constants the rule takes for a step, computed as tfjs-core computes
// them so the results match tf.train's optimizers bit for bit. A new optimizer adds its case here.

const f = Math.fround;

/** Where a run stands before a step: the rate to apply and Adam's running powers of beta1 and beta2 (float32). */
export interface StepPosition {
  learningRate: number;
  betaPowers: [number, number];
}

/**
 * An optimizer's update: the kernel library's rule, its slot count, and its constants for one step. Weight decay runs
 * before the rule, on the gradient (`coupled`, L2 as PyTorch's SGD) or on the weights (`decoupled`, AdamW).
 */
export interface UpdateRule {
  rule: string;
  weightDecay?: { rate: number; decoupled: boolean };
  /** Slot tensors per weight, in tfjs `getWeights` group order (Adam: m, v; RMSProp: mean squares, moments, means). */
  slots: number;
  scalars(step: StepPosition): number[];
}

export function updateRuleOf(config: ResolvedOptimizerConfig): UpdateRule {
  switch (config.name) {
    case 'adam':
    case 'adamw':
      return {
        rule: 'adam',
        slots: 2,
        ...(config.name === 'adamw' && config.weightDecay > 0
          ? { weightDecay: { rate: config.weightDecay, decoupled: true } }
          : {}),
        scalars: ({ learningRate, betaPowers }) => [
          f(config.beta1),
          f(1 - config.beta1),
          f(config.beta2),
          f(1 - config.beta2),
          f(1 - betaPowers[0]),
          f(1 - betaPowers[1]),
          f(config.epsilon),
          f(-learningRate),
        ],
      };
    case 'sgd': {
      const decay = config.weightDecay ? { weightDecay: { rate: config.weightDecay, decoupled: false } } : {};
      return config.momentum > 0
        ? {
            rule: 'momentum',
            slots: 1,
            ...decay,
            scalars: ({ learningRate }) => [f(-learningRate), f(config.momentum), config.nesterov ? 1 : 0],
          }
        : { rule: 'sgd', slots: 0, ...decay, scalars: ({ learningRate }) => [f(-learningRate)] };
    }
    case 'rmsprop':
      return {
        rule: 'rmsprop',
        slots: config.centered ? 3 : 2,
        scalars: ({ learningRate }) => [
          f(config.decay),
          f(1 - config.decay),
          f(config.momentum),
          f(config.epsilon),
          f(learningRate),
          config.centered ? 1 : 0,
        ],
      };
  }
}

/** The weights and gradient the rule sees after weight decay; `created` are the new tensors for the caller to free. */
export function withWeightDecay(
  update: UpdateRule,
  weights: tf.Tensor,
  gradient: tf.Tensor,
  learningRate: number,
): { weights: tf.Tensor; gradient: tf.Tensor; created: tf.Tensor[] } {
  const decay = update.weightDecay;
  if (decay === undefined) return { weights, gradient, created: [] };
  if (decay.decoupled) {
    const shrunk = tf.tidy(() => tf.mul(weights, f(1 - learningRate * decay.rate)));
    return { weights: shrunk, gradient, created: [shrunk] };
  }
  const regularized = tf.tidy(() => tf.add(gradient, tf.mul(weights, f(decay.rate))));
  return { weights, gradient: regularized, created: [regularized] };
}
