import * as tf from '@tensorflow/tfjs-core';
import {
  checkStateConfig,
  type OptimizerState,
  type ResolvedOptimizerConfig,
  type TrainingOptimizer,
} from './optimizer.js';

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
export class TensorOptimizer implements TrainingOptimizer {
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

  /** Updates `variables` from gradient values given in the same order. */
  applyGradientValues(gradients: readonly Float32Array[], variables: readonly tf.Variable[]): void {
    const named: tf.NamedTensorMap = {};
    try {
      for (const [index, variable] of variables.entries()) {
        named[variable.name] = tf.tensor(gradients[index]!, variable.shape, 'float32');
      }
      this.applyGradients(
        named,
        variables.map((variable) => variable.name),
      );
    } finally {
      tf.dispose(Object.values(named));
    }
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
    checkStateConfig(state, this.config);
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
