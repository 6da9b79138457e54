import * as tf from '@tensorflow/tfjs-core';
import { kernelNames, kernelOr } from './kernels/names.js';
import type { Layer } from './layer.js';
import { sumToLastAxis } from './reduce.js';
import { reluGradient } from './relu.js';
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

  forward(x: tf.Tensor2D) {
    const [kernel, bias] = this.variables as [tf.Variable<tf.Rank.R2>, tf.Variable<tf.Rank.R1>?];
    const relu = this.activation === 'relu';
    const y = kernelOr(
      kernelNames.denseForward,
      (run) => run(bias ? { x, kernel, bias } : { x, kernel }, { relu }) as tf.Tensor2D,
      () => tf.fused.matMul({ a: x, b: kernel, bias, activation: this.activation }),
    );
    const backward = (dy: tf.Tensor, needInputGradient: boolean) =>
      kernelOr(
        kernelNames.denseGradient,
        (run) => {
          const inputs: tf.NamedTensorMap = relu ? { x, kernel, dy, y } : { x, kernel, dy };
          const [dKernel, dBias, dx] = run(inputs, { relu, inputGradient: needInputGradient }) as tf.Tensor[];
          if (!bias) dBias!.dispose();
          return { dx: dx ?? null, grads: bias ? [dKernel!, dBias!] : [dKernel!] };
        },
        () => {
          const dz = (relu ? reluGradient(dy, y) : dy) as tf.Tensor2D;
          // Transposed explicitly: wasm's transposed matMul is a slow path.
          const grads: tf.Tensor[] = [tf.matMul(tf.transpose(x), dz)];
          if (bias) grads.push(sumToLastAxis(dz));
          // dz·Wᵀ as (W·dzᵀ)ᵀ: transposing dz and the [n, in] result is cheaper than transposing the kernel and having
          // XNNPACK pack it as a new weight matrix every step.
          const dx = needInputGradient ? tf.transpose(tf.matMul(kernel, tf.transpose(dz))) : null;
          return { dx, grads };
        },
      );
    return { y, backward };
  }
}
