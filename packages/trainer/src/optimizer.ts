import { optimizerUpdate } from '@mnist-cnn/cnn-model';
import * as tf from '@tensorflow/tfjs-core';
import { TrainOptionsError } from './errors.js';
import type { OptimizerState, ResolvedOptimizerConfig } from './optimizer-config.js';

// How each optimizer of optimizer-config.ts updates a weight: which rule of cnn-model's kernel library it runs, how
// many slots it keeps per weight, and the float32 constants the rule takes for a step, computed as tfjs-core computes
// them so the results match tf.train's optimizers bit for bit. A new optimizer adds its case to updateRuleOf.

const f = Math.fround;

/**
 * An optimizer's update: the kernel library's rule, its slot count, and its constants for one step given the rate and
 * Adam's running powers of beta1 and beta2.
 */
interface UpdateRule {
  rule: string;
  /** Slot tensors per weight, in tfjs `getWeights` group order (Adam: m, v; RMSProp: mean squares, moments, means). */
  slots: number;
  scalars(learningRate: number, betaPowers: [number, number]): number[];
}

function updateRuleOf(config: ResolvedOptimizerConfig): UpdateRule {
  switch (config.name) {
    case 'adam':
    case 'adamw':
      return {
        rule: 'adam',
        slots: 2,
        scalars: (learningRate, betaPowers) => [
          f(config.beta1),
          f(1 - config.beta1),
          f(config.beta2),
          f(1 - config.beta2),
          f(1 - betaPowers[0]),
          f(1 - betaPowers[1]),
          f(config.epsilon),
          f(-learningRate),
        ],
      };
    case 'sgd':
      return config.momentum > 0
        ? {
            rule: 'momentum',
            slots: 1,
            scalars: (learningRate) => [f(-learningRate), f(config.momentum), config.nesterov ? 1 : 0],
          }
        : { rule: 'sgd', slots: 0, scalars: (learningRate) => [f(-learningRate)] };
    case 'rmsprop':
      return {
        rule: 'rmsprop',
        slots: config.centered ? 3 : 2,
        scalars: (learningRate) => [
          f(config.decay),
          f(1 - config.decay),
          f(config.momentum),
          f(config.epsilon),
          f(learningRate),
          config.centered ? 1 : 0,
        ],
      };
  }
}

/**
 * The weights and gradient parts the rule sees after weight decay. AdamW's decay is decoupled: it shrinks the weights.
 * SGD's is coupled (L2, as PyTorch's): rate × weights joins the gradient's sum, as tf.add(gradient, weights × rate).
 */
function withWeightDecay(
  config: ResolvedOptimizerConfig,
  weights: tf.Tensor,
  parts: tf.Tensor[],
  scales: number[] | undefined,
  learningRate: number,
): { weights: tf.Tensor; parts: tf.Tensor[]; scales: number[] | undefined } {
  const rate = 'weightDecay' in config ? (config.weightDecay ?? 0) : 0;
  if (rate === 0) return { weights, parts, scales };
  if (config.name === 'adamw') return { weights: tf.mul(weights, f(1 - learningRate * rate)), parts, scales };
  return { weights, parts: [...parts, weights], scales: [...(scales ?? [1]), f(rate)] };
}

/**
 * Applies an optimizer to a model's weights, one kernel-library update per weight (on the weights and gradients where
 * the backend holds them), and keeps its state: the slot tensors, the step count and Adam's beta powers. The results
 * are bit-identical to tf.train's optimizers; the state saves and restores exactly, in tfjs's `getWeights` order.
 */
export class Optimizer {
  readonly config: ResolvedOptimizerConfig;
  private readonly update: UpdateRule;
  private rate: number;
  private iterations = 0;
  /** Adam's running powers of beta1 and beta2, as tfjs keeps them (float32, multiplied once per step). */
  private betaPowers: [number, number];
  /** `slots[variable][k]`: kept tensors, made on a variable's first update as tfjs does. */
  private slots: tf.Tensor[][] = [];

  constructor(config: ResolvedOptimizerConfig, learningRate: number) {
    this.config = config;
    this.update = updateRuleOf(config);
    this.rate = learningRate;
    this.betaPowers = 'beta1' in config ? [Math.fround(config.beta1), Math.fround(config.beta2)] : [1, 1];
  }

  /** The learning rate the next update uses. */
  get learningRate(): number {
    return this.rate;
  }

  setLearningRate(learningRate: number): void {
    this.rate = learningRate;
  }

  /** Updates the variables named in `variableNames` (always in that order: slots are kept by position). */
  applyGradients(gradients: tf.NamedTensorMap, variableNames: readonly string[]): void {
    const variables = variableNames.map((name) => {
      const variable = tf.engine().registeredVariables[name];
      if (variable === undefined) throw new Error(`no variable named ${name}`);
      return variable;
    });
    const tensors = variableNames.map((name) => {
      const tensor = gradients[name];
      if (tensor === undefined) throw new Error(`the model returned no gradient for variable ${name}`);
      return tensor;
    });
    this.apply(variables, [tensors]);
  }

  /**
   * Updates `variables` from the weighted sum of shards' gradients (a data-parallel step's): `shards[s].gradients[i]`
   * is shard s's gradient of variable i, as values in shared memory (uploaded for the update) or as a tensor (used as
   * is); the update kernel sums them in shard order.
   */
  applyShardGradients(
    shards: readonly { gradients: readonly (Float32Array | tf.Tensor)[]; scale: number }[],
    variables: readonly tf.Variable[],
  ): void {
    const gradients = shards.map((shard) => shard.gradients);
    const scales = shards.map((shard) => f(shard.scale));
    this.apply(variables, gradients, scales);
  }

  private apply(
    variables: readonly tf.Variable[],
    shards: readonly (readonly (Float32Array | tf.Tensor)[])[],
    gradientScales?: number[],
  ): void {
    const scalars = this.update.scalars(this.rate, this.betaPowers);
    // Frees every tensor made here (uploads, decayed weights, fresh slots) except the kept slots; a variable keeps
    // its new value after the tensor it was assigned from is disposed.
    tf.tidy(() => {
      for (const [index, variable] of variables.entries()) {
        const parts = shards.map((gradients) => {
          const gradient = gradients[index]!;
          return gradient instanceof tf.Tensor ? gradient : tf.tensor(gradient, variable.shape, 'float32');
        });
        for (const { size } of parts) {
          if (size !== variable.size)
            throw new Error(`gradient of ${variable.name} has ${size} values, expected ${variable.size}`);
        }
        const slots = this.slots[index] ?? Array.from({ length: this.update.slots }, () => tf.zeros(variable.shape));
        for (const slot of slots) {
          if (slot.size !== variable.size) {
            throw new Error(`optimizer slot ${index} holds ${slot.size} values, expected ${variable.size}`);
          }
        }
        const decayed = withWeightDecay(this.config, variable, parts, gradientScales, this.rate);
        const [weights, ...newSlots] = optimizerUpdate(
          this.update.rule,
          decayed.weights,
          decayed.parts,
          slots,
          scalars,
          decayed.scales,
        );
        // The weights become a new tensor rather than changing in place: tfjs-backend-wasm's XNNPACK operators keep a
        // packed copy of a weight tensor until it is disposed.
        variable.assign(weights!);
        tf.dispose(slots);
        this.slots[index] = newSlots.map((slot) => tf.keep(slot));
      }
    });
    if ('beta1' in this.config) {
      this.betaPowers = [
        Math.fround(this.betaPowers[0] * Math.fround(this.config.beta1)),
        Math.fround(this.betaPowers[1] * Math.fround(this.config.beta2)),
      ];
    }
    this.iterations += 1;
  }

  /** Copies the optimizer's state into plain arrays. */
  async saveState(): Promise<OptimizerState> {
    const slots = Array.from({ length: this.update.slots }, (_, k) =>
      this.slots.map((perVariable) => ({
        shape: [...perVariable[k]!.shape],
        values: Float32Array.from(perVariable[k]!.dataSync() as Float32Array),
      })),
    ).flat();
    const state: OptimizerState = { config: this.config, iterations: this.iterations, slots };
    if ('beta1' in this.config) state.adamBetaPowers = [...this.betaPowers];
    return state;
  }

  /** Restores a state saved by `saveState` (by an optimizer of this configuration: resume checks it) into this one. */
  async loadState(state: OptimizerState): Promise<void> {
    const groups = this.update.slots;
    if (groups === 0 ? state.slots.length !== 0 : state.slots.length % groups !== 0) {
      throw new TrainOptionsError(
        'optimizer',
        `the checkpoint has ${state.slots.length} optimizer slots, which ${this.config.name} cannot split into ${groups} groups`,
      );
    }
    const perGroup = groups === 0 ? 0 : state.slots.length / groups;
    this.dispose();
    this.slots = Array.from({ length: perGroup }, (_, index) =>
      Array.from({ length: groups }, (_, k) => {
        const { values, shape } = state.slots[k * perGroup + index]!;
        return tf.keep(tf.tensor(Float32Array.from(values), shape, 'float32'));
      }),
    );
    this.iterations = state.iterations;
    if ('beta1' in this.config) {
      // Old states without the powers: tfjs's own rule (pow(beta, iterations + 1)) is the best estimate.
      this.betaPowers = state.adamBetaPowers
        ? [state.adamBetaPowers[0], state.adamBetaPowers[1]]
        : [
            Math.fround(Math.fround(this.config.beta1) ** (state.iterations + 1)),
            Math.fround(Math.fround(this.config.beta2) ** (state.iterations + 1)),
          ];
    }
  }

  /** Frees the slot tensors. */
  dispose(): void {
    tf.dispose(this.slots.flat());
    this.slots = [];
  }
}
