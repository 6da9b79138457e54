import * as tf from '@tensorflow/tfjs-core';
import type { ForwardMode, Layer } from './layer.js';
import type { LayerPlan } from './spec.js';

/**
 * A ReLU on its own, for networks that put it after batch norm (conv → batch norm → ReLU, as Keras models often do);
 * a conv or dense layer followed directly by a ReLU folds it into its own `activation` instead.
 */
export class ReluLayer implements Layer {
  readonly variables: tf.Variable[] = [];

  constructor(readonly plan: LayerPlan) {}

  forward(x: tf.Tensor, _mode: ForwardMode) {
    const y = tf.relu(x);
    return { y, backward: (dy: tf.Tensor) => ({ dx: reluGradient(dy, y), grads: [] }) };
  }
}

/** dL/dz for z → relu → y: dy where y > 0, else 0. */
export function reluGradient(dy: tf.Tensor, y: tf.Tensor): tf.Tensor {
  return tf.mul(dy, tf.step(y));
}
