import * as tf from '@tensorflow/tfjs-core';
import type { ForwardMode, Layer } from './layer.js';
import type { DropoutLayerSpec, LayerPlan } from './spec.js';

/** Inverted dropout; the mask is drawn in JS from the step's seeded generator so it is identical on every backend. */
export class DropoutLayer implements Layer {
  readonly variables: tf.Variable[] = [];
  private readonly rate: number;

  constructor(readonly plan: LayerPlan) {
    this.rate = (plan.spec as DropoutLayerSpec).rate;
  }

  forward(x: tf.Tensor, mode: ForwardMode) {
    if (!mode.training || this.rate === 0 || !mode.random) {
      return { y: x, backward: (dy: tf.Tensor) => ({ dx: dy, grads: [] }) };
    }
    const random = mode.random;
    const keepScale = 1 / (1 - this.rate);
    const values = new Float32Array(x.size);
    for (let i = 0; i < values.length; i++) values[i] = random.next() >= this.rate ? keepScale : 0;
    const mask = tf.tensor(values, x.shape, 'float32');
    const y = tf.mul(x, mask);
    return { y, backward: (dy: tf.Tensor) => ({ dx: tf.mul(dy, mask), grads: [] }) };
  }
}
