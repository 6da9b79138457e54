import * as tf from '@tensorflow/tfjs-core';
import { TrainOptionsError } from './errors.js';
import { HeapAdam } from './heap-adam.js';
import {
  checkStateConfig,
  type OptimizerState,
  type ResolvedOptimizerConfig,
  type TrainingOptimizer,
} from './optimizer.js';
import { adamScalars, type SlotGroups, slotGroupCount, updateWeight } from './optimizer-updates.js';
import { type AdamKernel, createAdamKernel } from './simd-adam.js';
import { copyValues } from './tensor-values.js';

/** Options of the fused optimizer. */
export interface FusedOptimizerOptions {
  /** Run Adam as a WebAssembly SIMD loop where the engine supports it (default true); false keeps the JS loop. */
  simd?: boolean;
}

/**
 * Applies gradients in a fixed variable order with tfjs-core's Adam, SGD, momentum or RMSProp update rules, bit for bit,
 * as one fused loop per weight in plain JavaScript (see optimizer-updates.ts), or for Adam as one WebAssembly SIMD loop
 * (simd-adam.ts): far fewer kernel launches and passes over memory than tf.train's optimizers. Follows a changing
 * learning rate and saves/restores its state exactly, in tfjs's `getWeights` order, so a resumed run continues exactly
 * where it stopped.
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
  /** Whether Adam should run on the SIMD kernel; turns false for good if the engine has no WebAssembly SIMD. */
  private simd: boolean;
  /** The SIMD kernel's memory, laid out for the variable sizes it was made for: [m, v] per variable, then scratch. */
  private arena: { kernel: AdamKernel; sizes: number[] } | undefined;
  /** On tfjs-backend-wasm, Adam on the backend's heap, which then holds the slots (`slots` is left empty meanwhile). */
  private heap: HeapAdam | undefined;

  constructor(config: ResolvedOptimizerConfig, learningRate: number, options: FusedOptimizerOptions = {}) {
    this.config = config;
    this.rate = learningRate;
    this.simd = config.name === 'adam' && options.simd !== false;
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
    const tensors = variableNames.map((name) => {
      const tensor = gradients[name];
      if (tensor === undefined) throw new Error(`the model returned no gradient for variable ${name}`);
      return tensor;
    });
    this.update(tensors, variables);
  }

  /** Updates `variables` from gradient values given in the same order (the data-parallel path, which has them). */
  applyGradientValues(gradients: readonly Float32Array[], variables: readonly tf.Variable[]): void {
    this.update(gradients, variables);
  }

  private update(gradients: readonly (Float32Array | tf.Tensor)[], variables: readonly tf.Variable[]): void {
    const scalars = { learningRate: this.rate, betaPowers: this.betaPowers };
    for (const [index, variable] of variables.entries()) {
      const gradient = gradients[index]!;
      const length = gradient instanceof Float32Array ? gradient.length : gradient.size;
      if (length !== variable.size) {
        throw new Error(`gradient of ${variable.name} has ${length} values, expected ${variable.size}`);
      }
      this.shapes[index] ??= [...variable.shape];
    }
    if (this.simd && this.config.name === 'adam') {
      const heap = this.heapAdam();
      if (heap) {
        heap.update(this.config, scalars, adamScalars(this.config, scalars), variables, gradients);
        this.advance();
        return;
      }
    }
    const kernel = this.simd ? this.simdKernel(variables) : undefined;
    // Once per step: the step's Adam constants and the kernel's two scratch arrays (weights, gradient).
    const simd =
      kernel && this.config.name === 'adam'
        ? {
            kernel,
            constants: adamScalars(this.config, scalars),
            weights: kernel.arrays.at(-2)!,
            scratch: kernel.arrays.at(-1)!,
          }
        : undefined;
    for (const [index, variable] of variables.entries()) {
      const gradient = gradients[index]!;
      const size = variable.size;
      let updated: Float32Array;
      if (simd) {
        const { weights, scratch } = simd;
        copyValues(variable, weights);
        if (gradient instanceof Float32Array) scratch.set(gradient);
        else copyValues(gradient, scratch);
        simd.kernel.update(weights, scratch, this.slots[0]![index]!, this.slots[1]![index]!, simd.constants);
        // A fresh array each time: the cpu backend keeps the array a tensor is made from.
        updated = weights.slice(0, size);
      } else {
        const slots = this.slots.map((group) => {
          group[index] ??= new Float32Array(size);
          return group[index]!;
        });
        const values = gradient instanceof Float32Array ? gradient : (gradient.dataSync() as Float32Array);
        updated = new Float32Array(size);
        updateWeight(this.config, scalars, variable.dataSync() as Float32Array, values, slots, updated);
      }
      tf.tidy(() => variable.assign(tf.tensor(updated, variable.shape, 'float32')));
    }
    this.advance();
  }

  /** Counts a step: Adam's beta powers and the iteration count move on. */
  private advance(): void {
    if (this.config.name === 'adam') {
      this.betaPowers = [
        Math.fround(this.betaPowers[0] * Math.fround(this.config.beta1)),
        Math.fround(this.betaPowers[1] * Math.fround(this.config.beta2)),
      ];
    }
    this.iterations += 1;
  }

  /**
   * The heap Adam for the current backend when that is wasm with SIMD, else undefined. Slots move onto the heap when
   * it is created, and back into arrays if the backend changes between steps.
   */
  private heapAdam(): HeapAdam | undefined {
    if (this.heap && !this.heap.runsOn(tf.backend())) this.leaveHeap();
    if (!this.heap && tf.getBackend() === 'wasm') {
      this.heap = HeapAdam.create(this.slots) ?? undefined;
      if (this.heap) this.slots = this.slots.map(() => []);
    }
    return this.heap;
  }

  /** Moves the slots off the heap into arrays and frees the heap copies. */
  private leaveHeap(): void {
    if (!this.heap) return;
    this.slots = this.heap.read();
    this.heap.dispose();
    this.heap = undefined;
  }

  /**
   * The SIMD kernel laid out for these variables, with the slots moved into its memory (slots that a loadState or an
   * earlier layout left elsewhere are copied in); undefined, and the JS loop from then on, without WebAssembly SIMD.
   */
  private simdKernel(variables: readonly tf.Variable[]): AdamKernel | undefined {
    const laidOut = this.arena?.sizes;
    const fits =
      laidOut?.length === variables.length && variables.every((variable, index) => variable.size === laidOut[index]);
    if (!this.arena || !fits) {
      const sizes = variables.map((variable) => variable.size);
      const longest = Math.max(0, ...sizes);
      const kernel = createAdamKernel([...sizes.flatMap((size) => [size, size]), longest, longest]);
      if (!kernel) {
        this.simd = false;
        return undefined;
      }
      this.arena = { kernel, sizes };
    }
    const { kernel, sizes } = this.arena;
    const { arrays } = kernel;
    for (const [group, slots] of this.slots.entries()) {
      for (const [index, size] of sizes.entries()) {
        const home = arrays[2 * index + group]!;
        const slot = slots[index];
        if (slot === home) continue;
        if (slot !== undefined) {
          if (slot.length !== size) {
            throw new Error(`optimizer slot ${index} holds ${slot.length} values, expected ${size}`);
          }
          home.set(slot);
        }
        slots[index] = home;
      }
    }
    return kernel;
  }

  /** Copies the optimizer's state into plain arrays. */
  async saveState(): Promise<OptimizerState> {
    const groups = this.heap ? this.heap.read() : this.slots;
    const slots = groups.flatMap((group) =>
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
    this.heap?.dispose();
    this.heap = undefined;
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
    this.arena = undefined;
    this.heap?.dispose();
    this.heap = undefined;
  }
}
