import * as tf from '@tensorflow/tfjs-core';
import { padOrCrop } from './conv-gradients.js';
import { kernelNames, kernelOr } from './kernels/names.js';
import type { Layer } from './layer.js';
import { type LayerPlan, type MaxPool2dLayerSpec, pair } from './spec.js';

/**
 * Whether the max pool `pool` right after `before` takes over the gradient of before's ReLU, so that one pass over the
 * large tensor gives both gradients: the pool's gradient goes to window maxima, which the ReLU passes unless they are 0.
 */
export const poolTakesReluGradient = (before?: LayerPlan, pool?: LayerPlan) =>
  before?.spec.type === 'conv2d' && before.spec.activation === 'relu' && pool?.spec.type === 'maxPool2d';

/**
 * Non-overlapping max pooling. The gradient avoids the MaxPoolGrad kernel (a slow loop on wasm): a 0/1 mask of the
 * window maxima, with tied maxima sharing the window's gradient equally, so the result is deterministic and a valid
 * subgradient. With `afterRelu` (see {@link poolTakesReluGradient}) it is the gradient of the ReLU's input.
 */
export class MaxPool2dLayer implements Layer {
  readonly variables: tf.Variable[] = [];
  private readonly pool: [number, number];

  constructor(
    readonly plan: LayerPlan,
    private readonly afterRelu = false,
  ) {
    this.pool = pair((plan.spec as MaxPool2dLayerSpec).poolSize, 0, 'poolSize');
  }

  forward(x: tf.Tensor4D) {
    const attrs = { pool: this.pool, relu: this.afterRelu };
    const stock = () => tf.maxPool(x, this.pool, this.pool, 'valid');
    const y = kernelOr(kernelNames.maxPool, (run) => run({ x }, attrs) as tf.Tensor4D, stock);
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
    const x = padOrCrop(input, 0, oh * ph - h, 0, ow * pw - w);
    const windows = tf.reshape(x, [n, oh, ph, ow, pw, c]);
    const isMax = tf.sub(1, tf.step(tf.sub(tf.reshape(y, [n, oh, 1, ow, 1, c]), windows)));
    const ties = tf.mul(tf.avgPool(tf.reshape(isMax, x.shape) as tf.Tensor4D, this.pool, this.pool, 'valid'), ph * pw);
    const shares = this.afterRelu ? tf.mul(tf.div(dy, ties), tf.step(y)) : tf.div(dy, ties);
    const share = tf.reshape(shares, [n, oh, 1, ow, 1, c]);
    return padOrCrop(tf.reshape(tf.mul(isMax, share), x.shape), 0, h - oh * ph, 0, w - ow * pw);
  }
}
