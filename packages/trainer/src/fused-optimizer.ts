import * as tf from '@tensorflow/tfjs-core';
import { TrainOptionsError } from './errors.js';
import {
  checkStateConfig,
  type OptimizerState,
  type ResolvedOptimizerConfig,
  type TrainingOptimizer,
} from './optimizer.js';
import { type SlotGroups, slotGroupCount, updateWeight } from './optimizer-updates.js';

/**
 * Applies gradients in a fixed variable order with tfjs-core's Adam, SGD, momentum or RMSProp update rules, bit for bit,
 * as one fused loop per weight in plain JavaScript (see optimizer-updates.ts): far fewer kernel launches than tf.train's
 * optimizers. Follows a changing learning rate and saves/restores its state exactly, in tfjs's `getWeights` order, so a
 * resumed run continues exactly where it stopped.
 */
export class FusedOptimizer implements TrainingOptimizer {
  readonly config: ResolvedOptimizerConfig;
  private rate: number;
  private iterations = 0;
  /** Adam's running powers of beta1 and beta2, as tfjs keeps them (float32, multiplied once per step). */
  private betaPowers: [number, number];
  /** `slots[group][variable]`, created on a variable's first update as tfjs does. */
  private slots: SlotGroups;
  /** The shape of each variable's slots, saved with them. */
  private shapes: number[][] = [];

  constructor(config: ResolvedOptimizerConfig, learningRate: number) {
    this.config = config;
    this.rate = learningRate;
    this.betaPowers = config.name === 'adam' ? [Math.fround(config.beta1), Math.fround(config.beta2)] : [1, 1];
    this.slots = Array.from({ length: slotGroupCount(config) }, () => []);
  }

  /** The learning rate the next `applyGradients` uses. */
  get learningRate(): number {
    return this.rate;
  }

  /** Changes the learning rate used by the next `applyGradients`. */
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
    const values = variableNames.map((name) => {
      const tensor = gradients[name];
      if (tensor === undefined) throw new Error(`the model returned no gradient for variable ${name}`);
      return tensor.dataSync() as Float32Array;
    });
    this.applyGradientValues(values, variables);
  }

  /** Updates `variables` from gradient values given in the same order (the data-parallel path, which has them). */
  applyGradientValues(gradients: readonly Float32Array[], variables: readonly tf.Variable[]): void {
    const scalars = { learningRate: this.rate, betaPowers: this.betaPowers };
    for (const [index, variable] of variables.entries()) {
      const gradient = gradients[index]!;
      const size = variable.size;
      if (gradient.length !== size) {
        throw new Error(`gradient of ${variable.name} has ${gradient.length} values, expected ${size}`);
      }
      this.shapes[index] ??= [...variable.shape];
      const slots = this.slots.map((group) => {
        group[index] ??= new Float32Array(size);
        return group[index]!;
      });
      // A fresh array each time: the cpu backend keeps the array a tensor is made from.
      const updated = new Float32Array(size);
      updateWeight(this.config, scalars, variable.dataSync() as Float32Array, gradient, slots, updated);
      tf.tidy(() => variable.assign(tf.tensor(updated, variable.shape, 'float32')));
    }
    if (this.config.name === 'adam') {
      this.betaPowers = [
        Math.fround(this.betaPowers[0] * Math.fround(this.config.beta1)),
        Math.fround(this.betaPowers[1] * Math.fround(this.config.beta2)),
      ];
    }
    this.iterations += 1;
  }

  /** Copies the optimizer's state into plain arrays. */
  async saveState(): Promise<OptimizerState> {
    const slots = this.slots.flatMap((group) =>
      group.map((values, index) => ({ shape: this.shapes[index] ?? [values.length], values: values.slice() })),
    );
    const state: OptimizerState = { config: this.config, iterations: this.iterations, slots };
    if (this.config.name === 'adam') state.adamBetaPowers = [...this.betaPowers];
    return state;
  }

  /** Restores a state saved by `saveState` into this (fresh, never stepped) optimizer. */
  async loadState(state: OptimizerState): Promise<void> {
    checkStateConfig(state, this.config);
    const groups = this.slots.length;
    if (groups === 0 ? state.slots.length !== 0 : state.slots.length % groups !== 0) {
      throw new TrainOptionsError(
        'optimizer',
        `the checkpoint has ${state.slots.length} optimizer slots, which ${this.config.name} cannot split into ${groups} groups`,
      );
    }
    const perGroup = groups === 0 ? 0 : state.slots.length / groups;
    this.slots = Array.from({ length: groups }, (_, group) =>
      state.slots.slice(group * perGroup, (group + 1) * perGroup).map((slot) => Float32Array.from(slot.values)),
    );
    this.shapes = state.slots.slice(0, perGroup).map((slot) => [...slot.shape]);
    this.iterations = state.iterations;
    if (this.config.name === 'adam') {
      // Old states without the powers: tfjs's own rule (pow(beta, iterations + 1)) is the best estimate.
      this.betaPowers = state.adamBetaPowers
        ? [state.adamBetaPowers[0], state.adamBetaPowers[1]]
        : [
            Math.fround(Math.fround(this.config.beta1) ** (state.iterations + 1)),
            Math.fround(Math.fround(this.config.beta2) ** (state.iterations + 1)),
          ];
    }
  }

  /** Frees the optimizer's state (plain arrays: nothing is held on the backend). */
  dispose(): void {
    this.slots = this.slots.map(() => []);
  }
}
