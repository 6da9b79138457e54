import * as tf from '@tensorflow/tfjs-core';
import { hasFastKernel, reluGradient, runFastKernel } from './fast-kernels.js';
import { kernelNames as fastKernelNames } from './kernels/names.js';
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
    if (hasFastKernel(fastKernelNames.conv2d)) return this.forwardAsConv(x, kernel, bias);
    const y = tf.fused.matMul({ a: x, b: kernel, bias, activation: this.activation });
    const backward = (dy: tf.Tensor, needInputGradient: boolean) => {
      const dz = (this.activation === 'relu' ? reluGradient(dy, y) : dy) as tf.Tensor2D;
      const grads: tf.Tensor[] = [matMulTransposed(x, dz, true, false)];
      if (bias) grads.push(sumToLastAxis(dz));
      // dz·Wᵀ as (W·dzᵀ)ᵀ: transposing dz and the [n, in] result beats transposing the kernel and having XNNPACK
      // pack it as a new weight matrix every step (≈ 0.6 ms less per step on wasm).
      const dx = needInputGradient ? tf.transpose(tf.matMul(kernel, tf.transpose(dz))) : null;
      return { dx, grads };
    };
    return { y, backward };
  }

  /** The layer as a 1 × 1 convolution over a 1 × 1 image, for the fast conv kernels (reshapes are free). */
  private forwardAsConv(x: tf.Tensor2D, kernel: tf.Variable<tf.Rank.R2>, bias?: tf.Variable<tf.Rank.R1>) {
    const [n, inputs] = x.shape;
    const units = kernel.shape[1];
    const image = tf.reshape(x, [n, 1, 1, inputs]);
    const filter = tf.reshape(kernel, [1, 1, inputs, units]);
    const attrs = { strides: [1, 1], pads: [0, 0, 0, 0], relu: this.activation === 'relu' };
    const convInputs: tf.NamedTensorMap = bias ? { x: image, filter, bias } : { x: image, filter };
    const y4 = runFastKernel(fastKernelNames.conv2d, convInputs, attrs) as tf.Tensor;
    const backward = (dy: tf.Tensor, needInputGradient: boolean) => {
      const dy4 = tf.reshape(dy, [n, 1, 1, units]);
      const outputs = runFastKernel(
        fastKernelNames.conv2dBackprop,
        attrs.relu ? { x: image, filter, dy: dy4, y: y4 } : { x: image, filter, dy: dy4 },
        { ...attrs, bias: bias !== undefined, inputGradient: needInputGradient },
      ) as tf.Tensor[];
      const dx = needInputGradient ? tf.reshape(outputs.pop()!, [n, inputs]) : null;
      outputs[0] = tf.reshape(outputs[0]!, [inputs, units]);
      return { dx, grads: outputs };
    };
    return { y: tf.reshape(y4, [n, units]), backward };
  }
}
