import * as tf from '@tensorflow/tfjs-core';
import type { ForwardMode, Layer } from './layer.js';
import type { LayerPlan } from './spec.js';

/** Reshapes [n, h, w, c] to [n, h·w·c] in row-major order (free for NHWC data). */
export class FlattenLayer implements Layer {
  readonly variables: tf.Variable[] = [];

  constructor(readonly plan: LayerPlan) {}

  forward(x: tf.Tensor, _mode: ForwardMode) {
    const y = tf.reshape(x, [x.shape[0] ?? -1, -1]);
    const backward = (dy: tf.Tensor) => ({ dx: tf.reshape(dy, x.shape), grads: [] });
    return { y, backward };
  }
}
