import * as tf from '@tensorflow/tfjs-core';
import { TrainOptionsError } from './errors.js';

/** Optimizer names accepted by `train`; `momentum` is SGD with momentum 0.9. */
export type OptimizerName = 'adam' | 'sgd' | 'momentum' | 'rmsprop';

/** An optimizer and its hyper-parameters; the learning rate comes from the run's `learningRate` and schedule. */
export type OptimizerConfig =
  | { name: 'adam'; beta1?: number; beta2?: number; epsilon?: number }
  /** Plain SGD when `momentum` is 0 (the default); heavy-ball or Nesterov momentum otherwise. */
  | { name: 'sgd'; momentum?: number; nesterov?: boolean }
  | { name: 'rmsprop'; decay?: number; momentum?: number; epsilon?: number; centered?: boolean };

/** The full optimizer configuration with defaults filled in; stored in checkpoints. */
export type ResolvedOptimizerConfig =
  | { name: 'adam'; beta1: number; beta2: number; epsilon: number }
  | { name: 'sgd'; momentum: number; nesterov: boolean }
  | { name: 'rmsprop'; decay: number; momentum: number; epsilon: number; centered: boolean };

/** An optimizer's saved state: its step count and slot tensors in a fixed order, with Adam's bias accumulators. */
export interface OptimizerState {
  config: ResolvedOptimizerConfig;
  iterations: number;
  /** Slot tensors in tfjs `getWeights` order (after the iteration counter). */
  slots: { shape: number[]; values: Float32Array }[];
  /** Adam's running beta powers, saved exactly because recomputing them with pow() rounds differently. */
  adamBetaPowers?: [number, number];
}

const optimizerNames: readonly OptimizerName[] = ['adam', 'sgd', 'momentum', 'rmsprop'];

function inRange(option: string, value: number, low: number, high: number, includeLow = true): number {
  if (!Number.isFinite(value) || value > high || value < low || (!includeLow && value === low)) {
    throw new TrainOptionsError(option, `expected a number in ${includeLow ? '[' : '('}${low}, ${high}], got ${value}`);
  }
  return value;
}

/** Fills in defaults and validates hyper-parameters; throws TrainOptionsError for unknown names or bad values. */
export function resolveOptimizer(optimizer: OptimizerName | OptimizerConfig | undefined): ResolvedOptimizerConfig {
  const config: OptimizerConfig =
    optimizer === undefined
      ? { name: 'adam' }
      : typeof optimizer === 'string'
        ? optimizer === 'momentum'
          ? { name: 'sgd', momentum: 0.9 }
          : ({ name: optimizer } as OptimizerConfig)
        : optimizer;
  switch (config?.name) {
    case 'adam':
      return {
        name: 'adam',
        beta1: inRange('optimizer.beta1', config.beta1 ?? 0.9, 0, 0.9999999),
        beta2: inRange('optimizer.beta2', config.beta2 ?? 0.999, 0, 0.9999999),
        epsilon: inRange('optimizer.epsilon', config.epsilon ?? 1e-7, 0, 1, false),
      };
    case 'sgd':
      return {
        name: 'sgd',
        momentum: inRange('optimizer.momentum', config.momentum ?? 0, 0, 0.9999999),
        nesterov: Boolean(config.nesterov),
      };
    case 'rmsprop':
      return {
        name: 'rmsprop',
        decay: inRange('optimizer.decay', config.decay ?? 0.9, 0, 0.9999999),
        momentum: inRange('optimizer.momentum', config.momentum ?? 0, 0, 0.9999999),
        epsilon: inRange('optimizer.epsilon', config.epsilon ?? 1e-7, 0, 1, false),
        centered: Boolean(config.centered),
      };
    default: {
      const shown = typeof optimizer === 'string' ? optimizer : JSON.stringify(optimizer);
      throw new TrainOptionsError(
        'optimizer',
        `unknown optimizer ${shown}; expected one of ${optimizerNames.join(', ')}`,
      );
    }
  }
}

/** tfjs-core's `{ name, tensor }` pair, which it does not export. */
type NamedTensor = { name: string; tensor: tf.Tensor };

// The tfjs classes keep the learning rate in a protected field; these are the members we reach past TS for.
interface AdamInternals {
  learningRate: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
}

/**
 * A tfjs-core optimizer (tf.train.*) that applies gradients in a fixed variable order, follows a changing learning
 * rate, and saves/restores its state bit-exactly so a resumed run continues exactly where it stopped.
 */
export class TrainingOptimizer {
  readonly config: ResolvedOptimizerConfig;
  private readonly optimizer: tf.Optimizer;
  private rate: number;

  constructor(config: ResolvedOptimizerConfig, learningRate: number) {
    this.config = config;
    this.rate = learningRate;
    switch (config.name) {
      case 'adam':
        this.optimizer = tf.train.adam(learningRate, config.beta1, config.beta2, config.epsilon);
        break;
      case 'sgd':
        this.optimizer =
          config.momentum > 0
            ? tf.train.momentum(learningRate, config.momentum, config.nesterov)
            : tf.train.sgd(learningRate);
        break;
      case 'rmsprop':
        this.optimizer = tf.train.rmsprop(learningRate, config.decay, config.momentum, config.epsilon, config.centered);
        break;
    }
  }

  /** The learning rate the next `applyGradients` uses. */
  get learningRate(): number {
    return this.rate;
  }

  /** Changes the learning rate used by the next `applyGradients`. */
  setLearningRate(learningRate: number): void {
    if (learningRate === this.rate) return;
    this.rate = learningRate;
    // SGD and momentum precompute -learningRate as a tensor; the others read the plain field on every step.
    if (this.config.name === 'sgd') (this.optimizer as tf.SGDOptimizer).setLearningRate(learningRate);
    else (this.optimizer as unknown as AdamInternals).learningRate = learningRate;
  }

  /** Updates the variables named in `variableNames` (always in that order, since tfjs keys slots by position). */
  applyGradients(gradients: tf.NamedTensorMap, variableNames: readonly string[]): void {
    const ordered: NamedTensor[] = variableNames.map((name) => {
      const tensor = gradients[name];
      if (tensor === undefined) throw new Error(`the model returned no gradient for variable ${name}`);
      return { name, tensor };
    });
    this.optimizer.applyGradients(ordered);
  }

  /** Copies the optimizer's state out of tfjs into plain arrays. */
  async saveState(): Promise<OptimizerState> {
    const weights = await this.optimizer.getWeights();
    const [iterationWeight, ...slotWeights] = weights;
    const iterations = iterationWeight ? (await iterationWeight.tensor.data())[0]! : 0;
    iterationWeight?.tensor.dispose(); // getWeights creates this scalar afresh on every call
    const slots = await Promise.all(
      slotWeights.map(async ({ tensor }) => ({
        shape: [...tensor.shape],
        values: new Float32Array(await tensor.data<'float32'>()),
      })),
    );
    const state: OptimizerState = { config: this.config, iterations, slots };
    if (this.config.name === 'adam') {
      const internals = this.optimizer as unknown as AdamInternals;
      const [beta1Power] = await internals.accBeta1.data();
      const [beta2Power] = await internals.accBeta2.data();
      state.adamBetaPowers = [beta1Power!, beta2Power!];
    }
    return state;
  }

  /** Restores a state saved by `saveState` into this (fresh, never stepped) optimizer. */
  async loadState(state: OptimizerState): Promise<void> {
    if (JSON.stringify(state.config) !== JSON.stringify(this.config)) {
      throw new TrainOptionsError(
        'optimizer',
        `the checkpoint was trained with ${JSON.stringify(state.config)}, not ${JSON.stringify(this.config)}`,
      );
    }
    const tensors: NamedTensor[] = [
      { name: 'iter', tensor: tf.scalar(state.iterations, 'int32') },
      ...state.slots.map((slot, index) => ({ name: `slot${index}`, tensor: tf.tensor(slot.values, slot.shape) })),
    ];
    try {
      await this.optimizer.setWeights(tensors);
    } finally {
      // setWeights copies each tensor into a new variable, so the inputs are ours to free.
      tf.dispose(tensors.map(({ tensor }) => tensor));
    }
    if (this.config.name === 'adam' && state.adamBetaPowers) {
      const internals = this.optimizer as unknown as AdamInternals;
      tf.tidy(() => {
        internals.accBeta1.assign(tf.scalar(state.adamBetaPowers![0]));
        internals.accBeta2.assign(tf.scalar(state.adamBetaPowers![1]));
      });
    }
  }

  /** Frees the optimizer's tensors. */
  dispose(): void {
    this.optimizer.dispose();
  }
}
