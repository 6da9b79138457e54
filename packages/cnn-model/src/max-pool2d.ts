import * as tf from '@tensorflow/tfjs-core';
import { kernelNames, kernelOr } from './kernels/names.js';
import type { ForwardMode, Layer } from './layer.js';
import { type LayerPlan, type MaxPool2dLayerSpec, pair } from './spec.js';

/**
 * Non-overlapping max pooling. The gradient avoids the MaxPoolGrad kernel (a slow loop on wasm): a 0/1 mask of the
 * window maxima, with tied maxima sharing the window's gradient equally, so the result is deterministic and a valid
 * subgradient.
 */
export class MaxPool2dLayer implements Layer {
  readonly variables: tf.Variable[] = [];
  private readonly pool: [number, number];

  constructor(readonly plan: LayerPlan) {
    this.pool = pair((plan.spec as MaxPool2dLayerSpec).poolSize, 0, 'poolSize');
  }

  forward(input: tf.Tensor, _mode: ForwardMode) {
    const x = input as tf.Tensor4D;
    const attrs = { pool: this.pool };
    const y = tf.maxPool(x, this.pool, this.pool, 'valid');
    const backward = (dy: tf.Tensor) => {
      const dx = kernelOr(
        kernelNames.maxPoolBackprop,
        (run) => run({ x, dy }, attrs) as tf.Tensor,
        () => this.stockGradient(x, y, dy as tf.Tensor4D),
      );
      return { dx, grads: [] };
    };
    return { y, backward };
  }

  /**
   * The gradient in tfjs ops: viewed as [n, oh, ph, ow, pw, c], every window is one broadcast against the pooled
   * [n, oh, 1, ow, 1, c], so nothing is upsampled. Rows and columns no window covers are cut off first and get 0.
   */
  private stockGradient(input: tf.Tensor4D, y: tf.Tensor4D, dy: tf.Tensor4D): tf.Tensor4D {
    const [n, h, w, c] = input.shape;
    const [, oh, ow] = y.shape;
    const [ph, pw] = this.pool;
    const x = oh * ph === h && ow * pw === w ? input : tf.slice(input, 0, [n, oh * ph, ow * pw, c]);
    const windows = tf.reshape(x, [n, oh, ph, ow, pw, c]);
    const isMax = tf.sub(1, tf.step(tf.sub(tf.reshape(y, [n, oh, 1, ow, 1, c]), windows)));
    const ties = tf.mul(tf.avgPool(tf.reshape(isMax, x.shape) as tf.Tensor4D, this.pool, this.pool, 'valid'), ph * pw);
    const share = tf.reshape(tf.div(dy, ties), [n, oh, 1, ow, 1, c]);
    const dx = tf.reshape(tf.mul(isMax, share), x.shape) as tf.Tensor4D;
    if (x === input) return dx;
    return tf.pad(dx, [
      [0, 0],
      [0, h - oh * ph],
      [0, w - ow * pw],
      [0, 0],
    ]);
  }
}
