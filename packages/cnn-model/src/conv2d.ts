import * as tf from '@tensorflow/tfjs-core';
import { type ConvGeometry, conv2dGradients } from './conv-gradients.js';
import { convolutionTakes } from './kernels/convolution.js';
import { kernelNames, kernelOr } from './kernels/names.js';
import type { Layer } from './layer.js';
import { reluGradient } from './relu.js';
import { type Conv2dLayerSpec, convAxis, type LayerPlan, pair } from './spec.js';

/** Conv2D with fused bias + activation forward and forward-convolution gradients. */
export class Conv2dLayer implements Layer {
  private readonly geometry: ConvGeometry;
  private readonly padding: 'valid' | 'same';
  private readonly activation: 'relu' | 'linear';

  /** `reluGradientByPool`: the next layer, a max pool, gives this layer the gradient of its ReLU's input. */
  constructor(
    readonly plan: LayerPlan,
    readonly variables: tf.Variable[],
    private readonly reluGradientByPool = false,
  ) {
    const spec = plan.spec as Conv2dLayerSpec;
    const kernel = pair(spec.kernelSize, 0, 'kernelSize');
    const strides = pair(spec.strides, 1, 'strides');
    this.padding = spec.padding ?? 'valid';
    this.activation = spec.activation ?? 'linear';
    const [h, w] = plan.inputShape as [number, number, number];
    const rows = convAxis(h, kernel[0], strides[0], this.padding);
    const cols = convAxis(w, kernel[1], strides[1], this.padding);
    const pads = { top: rows.padBefore, bottom: rows.padAfter, left: cols.padBefore, right: cols.padAfter };
    this.geometry = { kernel, strides, pads };
  }

  forward(x: tf.Tensor4D) {
    const [filter, bias] = this.variables as [tf.Variable<tf.Rank.R4>, tf.Variable<tf.Rank.R1>?];
    const { strides, pads } = this.geometry;
    const relu = this.activation === 'relu';
    const stock = () => tf.fused.conv2d({ x, filter, strides, pad: this.padding, bias, activation: this.activation });
    // The forward product of ours takes x as it is: padding it would cost a copy that XNNPACK's own kernel avoids.
    const unpadded = Object.values(pads).every((pad) => pad === 0) && convolutionTakes.forward(filter.shape);
    const inputs: tf.NamedTensorMap = bias ? { x, filter, bias } : { x, filter };
    const y = unpadded
      ? kernelOr(kernelNames.convForward, (run) => run(inputs, { strides, relu }) as tf.Tensor4D, stock)
      : stock();
    const backward = (dy: tf.Tensor, needInputGradient: boolean) => {
      const dz = (relu && !this.reluGradientByPool ? reluGradient(dy, y) : dy) as tf.Tensor4D;
      const gradients = conv2dGradients(x, dz, filter, this.geometry, !!bias, needInputGradient);
      return { dx: gradients.dx, grads: [gradients.filter, ...(gradients.bias ? [gradients.bias] : [])] };
    };
    return { y, backward };
  }
}
