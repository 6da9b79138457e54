import type * as tf from '@tensorflow/tfjs-core';
import type { Rng } from './random.js';
import type { LayerPlan } from './spec.js';

/** How a forward pass runs: training mode enables dropout and batch statistics. */
export type ForwardMode = { training: boolean; random?: Rng };

/**
 * The backward step of one forward call, closed over exactly the tensors it needs: the gradients for the layer's input
 * (null when not asked for) and for each trainable variable, in order.
 */
export type Backward = (dy: tf.Tensor, needInputGradient: boolean) => { dx: tf.Tensor | null; grads: tf.Tensor[] };

/** A layer built from a plan: its variables (aligned with `plan.weights`) and an explicit forward/backward pair. */
export interface Layer {
  readonly plan: LayerPlan;
  readonly variables: tf.Variable[];
  forward(x: tf.Tensor, mode: ForwardMode): { y: tf.Tensor; backward: Backward };
}
