import * as tf from '@tensorflow/tfjs-core';
import type { ForwardMode, Layer } from './layer.js';
import { type LayerPlan, type MaxPool2dLayerSpec, pair } from './spec.js';

/**
 * Non-overlapping max pooling. The gradient avoids the MaxPoolGrad kernel (a slow loop on wasm): a 0/1 mask of the
 * window maxima is built from the upsampled output, and tied maxima share the window's gradient equally, so the
 * result is deterministic and a valid subgradient.
 */
export class MaxPool2dLayer implements Layer {
  readonly variables: tf.Variable[] = [];
  private readonly pool: [number, number];

  constructor(readonly plan: LayerPlan) {
    this.pool = pair((plan.spec as MaxPool2dLayerSpec).poolSize, 0, 'poolSize');
  }

  forward(input: tf.Tensor, _mode: ForwardMode) {
    const x = input as tf.Tensor4D;
    const y = tf.maxPool(x, this.pool, this.pool, 'valid');
    const backward = (dy: tf.Tensor) => {
      const [n, h, w, c] = x.shape;
      const [ph, pw] = this.pool;
      const coveredH = y.shape[1] * ph;
      const coveredW = y.shape[2] * pw;
      const covered = coveredH === h && coveredW === w ? x : tf.slice(x, [0, 0, 0, 0], [n, coveredH, coveredW, c]);
      const upsampledMax = tf.image.resizeNearestNeighbor(y, [coveredH, coveredW]);
      // max − x is 0 exactly at the maxima and positive elsewhere, so 1 − sign(max − x) is the maxima mask.
      const isMax = tf.sub(1, tf.sign(tf.sub(upsampledMax, covered))) as tf.Tensor4D;
      const tiesPerWindow = tf.mul(tf.avgPool(isMax, this.pool, this.pool, 'valid'), ph * pw);
      const share = tf.div(dy, tiesPerWindow) as tf.Tensor4D;
      const dx = tf.mul(isMax, tf.image.resizeNearestNeighbor(share, [coveredH, coveredW])) as tf.Tensor4D;
      const full =
        covered === x
          ? dx
          : tf.pad(dx, [
              [0, 0],
              [0, h - coveredH],
              [0, w - coveredW],
              [0, 0],
            ]);
      return { dx: full, grads: [] };
    };
    return { y, backward };
  }
}
