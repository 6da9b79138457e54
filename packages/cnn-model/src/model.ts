import * as tf from '@tensorflow/tfjs-core';
import { BatchNormLayer } from './batch-norm.js';
import { Conv2dLayer } from './conv2d.js';
import { DenseLayer } from './dense.js';
import { DropoutLayer } from './dropout.js';
import { ModelFormatError, ModelSpecError } from './errors.js';
import { FlattenLayer } from './flatten.js';
import { initialValues } from './init.js';
import type { Backward, ForwardMode, Layer } from './layer.js';
import { softmaxCrossEntropy } from './loss.js';
import { MaxPool2dLayer, poolTakesReluGradient } from './max-pool2d.js';
import { createRng, normalSampler, type Rng } from './random.js';
import { ReluLayer } from './relu.js';
import { type LayerPlan, type LayerSpec, type ModelSpec, planModel, weightCount } from './spec.js';
import { checkWeightMap } from './weights.js';

/** What one training step returns; every tensor is the caller's to dispose. */
export type TrainingStepResult = {
  /** Mean softmax cross-entropy over the batch. */
  loss: tf.Scalar;
  /** Number of correctly classified examples in the batch. */
  correct: tf.Scalar;
  /** dLoss/dVariable keyed by variable name, ready for `optimizer.applyGradients`. */
  gradients: tf.NamedTensorMap;
};

let instanceCounter = 0;

function uniqueVariablePrefix(name: string): string {
  const registered = tf.engine().registeredVariables;
  for (;;) {
    instanceCounter += 1;
    const prefix = `${name}_${instanceCounter}`;
    if (!Object.keys(registered).some((key) => key.startsWith(`${prefix}/`))) return prefix;
  }
}

type LayerBuilder = (plan: LayerPlan, variables: tf.Variable[], before?: LayerPlan, after?: LayerPlan) => Layer;

/** Each layer type's class, given the layer's neighbours where it matters (see {@link poolTakesReluGradient}). */
const layerBuilders: Record<LayerSpec['type'], LayerBuilder> = {
  conv2d: (plan, variables, _, after) => new Conv2dLayer(plan, variables, poolTakesReluGradient(plan, after)),
  maxPool2d: (plan, _, before) => new MaxPool2dLayer(plan, poolTakesReluGradient(before, plan)),
  batchNorm: (plan, variables) => new BatchNormLayer(plan, variables),
  dropout: (plan) => new DropoutLayer(plan),
  relu: (plan) => new ReluLayer(plan),
  flatten: (plan) => new FlattenLayer(plan),
  dense: (plan, variables) => new DenseLayer(plan, variables),
};

/** A CNN defined on tfjs-core ops with an explicit, registration-free backward pass; runs on any backend. */
export class CnnModel {
  /** The architecture this model was built from (a private copy). */
  readonly spec: ModelSpec;
  /** Weights updated by the optimizer, in layer order; names are unique per instance. */
  readonly trainableVariables: tf.Variable[] = [];
  /** Batch-norm moving statistics, updated by `computeGradients`. */
  readonly nonTrainableVariables: tf.Variable[] = [];
  private readonly plans: LayerPlan[];
  private readonly layers: Layer[];
  private readonly byWeightName = new Map<string, tf.Variable>();
  private readonly dropoutRandom: Rng;
  private disposed = false;

  /** Use {@link createModel}; the constructor trusts that `plans` came from `planModel(spec)`. */
  constructor(spec: ModelSpec, plans: LayerPlan[], seed: number) {
    this.spec = structuredClone(spec);
    this.plans = plans;
    const random = createRng(seed >>> 0);
    const normal = normalSampler(random);
    const prefix = uniqueVariablePrefix(spec.name);
    this.layers = plans.map((plan, i) => {
      const variables = plan.weights.map((weight) => {
        const initial = tf.tensor(initialValues(weight, plan.spec, random, normal), weight.shape, 'float32');
        const variable = tf.variable(initial, weight.trainable, `${prefix}/${weight.name}`);
        initial.dispose();
        this.byWeightName.set(weight.name, variable);
        (weight.trainable ? this.trainableVariables : this.nonTrainableVariables).push(variable);
        return variable;
      });
      return layerBuilders[plan.spec.type](plan, variables, plans[i - 1], plans[i + 1]);
    });
    this.dropoutRandom = createRng((seed ^ 0x5bd1e995) >>> 0);
  }

  /** Class probabilities for normalized NHWC images, in inference mode (no dropout, moving batch-norm stats). */
  predict(x: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => tf.softmax(this.logits(x)));
  }

  /** Raw logits for normalized NHWC images, in inference mode. */
  logits(x: tf.Tensor4D): tf.Tensor2D {
    this.checkInput(x);
    return tf.tidy(() => this.run(x, { training: false }).logits as tf.Tensor2D);
  }

  /** One training-mode forward + backward pass: loss, correct count and gradients keyed by variable name. */
  computeGradients(x: tf.Tensor4D, labels: tf.Tensor1D, options: { seed?: number } = {}): TrainingStepResult {
    this.checkInput(x);
    if (labels.rank !== 1 || labels.shape[0] !== x.shape[0]) {
      throw new ModelSpecError(
        'INVALID_INPUT',
        `labels must be a 1-D tensor of ${x.shape[0]} class indices, got shape [${labels.shape}]`,
      );
    }
    const random = createRng((options.seed ?? this.dropoutRandom.nextUint32()) >>> 0);
    return tf.tidy(() => {
      const { logits, backwards } = this.run(x, { training: true, random });
      const { loss, correct, dLogits } = softmaxCrossEntropy(logits as tf.Tensor2D, labels);
      const gradients: tf.NamedTensorMap = {};
      let upstream: tf.Tensor = dLogits;
      for (let i = this.layers.length - 1; i >= 0; i--) {
        const { dx, grads } = backwards[i]!(upstream, i > 0);
        const trainable = this.layers[i]!.variables.filter((v) => v.trainable);
        for (const [k, grad] of grads.entries()) gradients[trainable[k]!.name] = grad;
        if (dx) upstream = dx;
      }
      return { loss, correct, gradients };
    });
  }

  /** Copies of all weights (trainable and moving statistics) keyed by Keras-style name, e.g. `conv2d_1/kernel`. */
  getWeights(): Record<string, Float32Array> {
    const result: Record<string, Float32Array> = {};
    for (const [name, variable] of this.byWeightName)
      result[name] = Float32Array.from(variable.dataSync() as Float32Array);
    return result;
  }

  /** Replaces all weights at once; throws {@link ModelFormatError} (and changes nothing) if any is missing or wrong. */
  setWeights(weights: Record<string, Float32Array | ArrayLike<number>>): void {
    checkWeightMap(
      this.plans.flatMap((p) => p.weights),
      weights,
    );
    tf.tidy(() => {
      for (const [name, variable] of this.byWeightName) {
        variable.assign(tf.tensor(weights[name]!, variable.shape, 'float32'));
      }
    });
  }

  /** Name of the variable that holds a Keras-style weight (`conv2d_1/kernel` → its unique variable name). */
  variableName(weightName: string): string {
    const variable = this.byWeightName.get(weightName);
    if (!variable) throw new ModelFormatError('MISSING_WEIGHT', `model ${this.spec.name} has no weight ${weightName}`);
    return variable.name;
  }

  /** Number of parameters: all of them (like Keras "Total params"), or only trainable ones. */
  parameterCount(options: { trainableOnly?: boolean } = {}): number {
    const variables = options.trainableOnly
      ? this.trainableVariables
      : [...this.trainableVariables, ...this.nonTrainableVariables];
    return variables.reduce((sum, v) => sum + v.size, 0);
  }

  /** A Keras-style table: layer (type), output shape, parameter count, then the totals. */
  summary(): string {
    const format = (count: number) => count.toLocaleString('en-US');
    const header = ['Layer (type)', 'Output shape', 'Params'];
    const rows = this.plans.map((plan) => [
      `${plan.name} (${plan.spec.type})`,
      `[null, ${plan.outputShape.join(', ')}]`,
      format(weightCount(plan.weights)),
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
    const line = (cells: string[]) =>
      cells.map((cell, i) => (i === 2 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('   ');
    const rule = '─'.repeat(widths.reduce((a, b) => a + b, 0) + 6);
    const total = this.parameterCount();
    const trainable = this.parameterCount({ trainableOnly: true });
    const totals = [`Total params: ${format(total)}`, `Trainable params: ${format(trainable)}`];
    totals.push(`Non-trainable params: ${format(total - trainable)}`);
    return [`Model: ${this.spec.name}`, rule, line(header), rule, ...rows.map(line), rule, ...totals].join('\n');
  }

  /** Releases every variable; the model cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const variable of this.byWeightName.values()) variable.dispose();
  }

  private run(x: tf.Tensor, mode: ForwardMode) {
    const backwards: Backward[] = [];
    let current = x;
    for (const layer of this.layers) {
      const { y, backward } = layer.forward(current, mode);
      backwards.push(backward);
      current = y;
    }
    return { logits: current, backwards };
  }

  private checkInput(x: tf.Tensor): void {
    if (this.disposed) throw new ModelSpecError('INVALID_INPUT', `model ${this.spec.name} has been disposed`);
    const [, h, w, c] = x.shape;
    const [eh, ew, ec] = this.spec.inputShape;
    if (x.rank !== 4 || h !== eh || w !== ew || c !== ec) {
      throw new ModelSpecError(
        'INVALID_INPUT',
        `expected normalized NHWC input [n, ${eh}, ${ew}, ${ec}], got [${x.shape}]`,
      );
    }
  }
}

/**
 * Builds a model from a spec with seeded He/Glorot initialization (same seed → same weights on every backend).
 *
 * @example
 * ```ts
 * import { createModel, getPreset } from '@mnist-cnn/cnn-model';
 * import * as tf from '@tensorflow/tfjs-core';
 * import '@tensorflow/tfjs-backend-cpu';
 *
 * await tf.setBackend('cpu'); // the package uses whichever backend you set up
 * const model = createModel(getPreset('reference'), { seed: 42 });
 * console.log(model.summary()); // layers, output shapes, 225,034 parameters
 * ```
 */
export function createModel(spec: ModelSpec, options: { seed?: number } = {}): CnnModel {
  const plans = planModel(spec);
  return new CnnModel(spec, plans, options.seed ?? 0);
}
