import * as tf from '@tensorflow/tfjs-core';
import type { ForwardMode, Layer } from './layer.js';
import { matMulTransposed, sumToLastAxis } from './reduce.js';
import type { DenseLayerSpec, LayerPlan } from './spec.js';

/** A fully connected layer with a fused matMul + bias + activation forward. */
export class DenseLayer implements Layer {
  private readonly activation: 'relu' | 'linear';

  constructor(
    readonly plan: LayerPlan,
    readonly variables: tf.Variable[],
  ) {
    this.activation = (plan.spec as DenseLayerSpec).activation ?? 'linear';
  }

  forward(input: tf.Tensor, _mode: ForwardMode) {
    const x = input as tf.Tensor2D;
    const [kernel, bias] = this.variables as [tf.Variable<tf.Rank.R2>, tf.Variable<tf.Rank.R1>?];
    const y = tf.fused.matMul({ a: x, b: kernel, bias, activation: this.activation });
    const backward = (dy: tf.Tensor, needInputGradient: boolean) => {
      const dz = (this.activation === 'relu' ? tf.mul(dy, tf.step(y)) : dy) as tf.Tensor2D;
      const grads: tf.Tensor[] = [matMulTransposed(x, dz, true, false)];
      if (bias) grads.push(sumToLastAxis(dz));
      const dx = needInputGradient ? matMulTransposed(dz, kernel, false, true) : null;
      return { dx, grads };
    };
    return { y, backward };
  }
}
