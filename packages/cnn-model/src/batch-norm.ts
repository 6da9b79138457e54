import * as tf from '@tensorflow/tfjs-core';
import type { ForwardMode, Layer } from './layer.js';
import { sumToLastAxis } from './reduce.js';
import type { BatchNormLayerSpec, LayerPlan } from './spec.js';

/**
 * Batch normalization over the last axis. Training normalizes with batch statistics and moves the moving averages
 * (Keras convention: moving = momentum·moving + (1 − momentum)·batch); inference uses the moving averages.
 */
export class BatchNormLayer implements Layer {
  private readonly momentum: number;
  private readonly epsilon: number;

  constructor(
    readonly plan: LayerPlan,
    readonly variables: tf.Variable[],
  ) {
    const spec = plan.spec as BatchNormLayerSpec;
    this.momentum = spec.momentum ?? 0.99;
    this.epsilon = spec.epsilon ?? 1e-3;
  }

  forward(x: tf.Tensor, mode: ForwardMode) {
    const [gamma, beta, movingMean, movingVariance] = this.variables as Four<tf.Variable>;
    if (!mode.training) {
      const y = tf.batchNorm(x, movingMean, movingVariance, beta, gamma, this.epsilon);
      return { y, backward: inferenceOnly };
    }
    const count = x.size / (x.shape[x.shape.length - 1] ?? 1);
    const mean = tf.div(sumToLastAxis(x), count);
    const centered = tf.sub(x, mean);
    const variance = tf.div(sumToLastAxis(tf.square(centered)), count);
    const invStd = tf.rsqrt(tf.add(variance, this.epsilon));
    const normalized = tf.mul(centered, invStd);
    const y = tf.add(tf.mul(normalized, gamma), beta);
    movingMean.assign(tf.add(tf.mul(movingMean, this.momentum), tf.mul(mean, 1 - this.momentum)));
    movingVariance.assign(tf.add(tf.mul(movingVariance, this.momentum), tf.mul(variance, 1 - this.momentum)));
    const backward = (dy: tf.Tensor, needInputGradient: boolean) => {
      const dBeta = sumToLastAxis(dy);
      const dGamma = sumToLastAxis(tf.mul(dy, normalized));
      if (!needInputGradient) return { dx: null, grads: [dGamma, dBeta] };
      // dx = γ/σ · (dy − mean(dy) − x̂ · mean(dy · x̂))
      const centered = tf.sub(dy, tf.div(dBeta, count));
      const dx = tf.mul(tf.sub(centered, tf.mul(normalized, tf.div(dGamma, count))), tf.mul(gamma, invStd));
      return { dx, grads: [dGamma, dBeta] };
    };
    return { y, backward };
  }
}

type Four<T> = [T, T, T, T];

function inferenceOnly(): never {
  throw new Error('batch norm backward needs a training-mode forward pass');
}
