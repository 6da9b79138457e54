import { type CnnModel, copyValuesInto } from '@mnist-cnn/cnn-model';
import * as tf from '@tensorflow/tfjs-core';
import type { Optimizer } from './optimizer.js';
import { computeBatchGradients, type StepOutcome } from './step.js';

/**
 * Where each weight sits in a shard's exchange region, in the model's `getWeights` order: gradients for trainable
 * weights, the moving statistics after the step for the rest.
 */
export interface WeightSlot {
  name: string;
  offset: number;
  length: number;
  trainable: boolean;
}

/**
 * The shared memory through which replicas swap their shards' results. Each step writes one region per shard; steps
 * alternate between two sets of regions, so a fast replica can write step t + 1 while a slow one still reads step t.
 * Its arrays live on SharedArrayBuffers, so worker threads handed them see the same memory.
 */
export interface Exchange {
  /** `2 × shards` regions of `regionLength` values (the slots, then the shard's mean loss and its correct count). */
  values: Float32Array;
  /** [0] counts every shard's arrival since the pool started; [1] becomes 1 when the run stops. */
  signals: Int32Array;
  shards: number;
  regionLength: number;
}

/** Lays the model's weights out one after another, in `getWeights` order. */
export function weightSlots(model: CnnModel): WeightSlot[] {
  const trainable = new Set(model.trainableVariables.map((variable) => variable.name));
  let offset = 0;
  return Object.entries(model.getWeights()).map(([name, values]) => {
    const slot = { name, offset, length: values.length, trainable: trainable.has(model.variableName(name)) };
    offset += values.length;
    return slot;
  });
}

/** Allocates the exchange for `shards` replicas of a model with these slots. */
export function createExchange(slots: WeightSlot[], shards: number): Exchange {
  const regionLength = slots.reduce((sum, slot) => sum + slot.length, 0) + 2;
  return {
    values: new Float32Array(new SharedArrayBuffer(2 * shards * regionLength * 4)),
    signals: new Int32Array(new SharedArrayBuffer(2 * 4)),
    shards,
    regionLength,
  };
}

/** The arrival count at which every shard of pool step `step` (0, 1, …) has written its region. */
export function arrivalsAfter(exchange: Exchange, step: number): number {
  return exchange.shards * (step + 1);
}

/** Splits `count` images into `parts` contiguous shards whose sizes differ by at most one (larger ones first). */
export function shardSizes(count: number, parts: number): number[] {
  const base = Math.floor(count / parts);
  const larger = count % parts;
  return Array.from({ length: parts }, (_, index) => base + (index < larger ? 1 : 0));
}

/**
 * One model replica of a data-parallel run, on the main thread or a worker. Every replica holds the same weights and
 * an optimizer in the same state; each step it contributes its shard's gradients, then combines every shard's
 * contribution in shard order and applies the result itself. Same inputs, same backend, same order: the replicas stay
 * bit-identical without ever sending weights to each other.
 */
export class Replica {
  /** Each slot's variable. */
  private readonly variables: tf.Variable[];
  /** The trainable variables' slots, in the model's trainable-variable order (the optimizer's order). */
  private readonly trainableSlots: WeightSlot[];
  /** This replica's gradients of the step it contributed to, in the optimizer's order, until `combine`. */
  private ownGradients: tf.Tensor[] | undefined;

  constructor(
    private readonly model: CnnModel,
    private readonly optimizer: Optimizer,
    private readonly slots: WeightSlot[],
    private readonly exchange: Exchange,
    private readonly shard: number,
  ) {
    const byName = new Map(
      [...model.trainableVariables, ...model.nonTrainableVariables].map((variable) => [variable.name, variable]),
    );
    this.variables = slots.map((slot) => byName.get(model.variableName(slot.name))!);
    this.trainableSlots = model.trainableVariables.map((variable) => slots[this.variables.indexOf(variable)]!);
  }

  /** This replica's region of the exchange for pool step `step`, or another shard's. */
  region(step: number, shard = this.shard): Float32Array {
    const start = ((step % 2) * this.exchange.shards + shard) * this.exchange.regionLength;
    return this.exchange.values.subarray(start, start + this.exchange.regionLength);
  }

  /**
   * Forward and backward on this replica's shard (possibly empty), writes the results into its region and announces
   * its arrival to the other replicas. The gradient tensors stay on this backend until `combine`, which updates from
   * them directly where another copy would upload them back from the region.
   */
  contribute(step: number, pixels: Float32Array, labels: Int32Array, seed: number): void {
    this.release();
    if (labels.length > 0) {
      const region = this.region(step);
      const { loss, correct, gradients } = computeBatchGradients(this.model, pixels, labels, seed);
      this.ownGradients = this.model.trainableVariables.map((variable) => gradients[variable.name]!);
      try {
        for (const [index, slot] of this.slots.entries()) {
          const variable = this.variables[index]!;
          const source = slot.trainable ? gradients[variable.name] : variable;
          if (source === undefined) throw new Error(`the model returned no gradient for ${slot.name}`);
          copyValuesInto(source, region, slot.offset);
        }
      } catch (error) {
        this.release();
        throw error;
      }
      region[region.length - 2] = loss;
      region[region.length - 1] = correct;
    }
    Atomics.add(this.exchange.signals, 0, 1);
    Atomics.notify(this.exchange.signals, 0);
  }

  /**
   * Once every shard of `step` has arrived: the batch mean of all shards (each weighted by its share of the batch,
   * summed in shard order), applied by this replica's optimizer. A non-finite loss skips the update on every replica
   * and ends the run, as in the single-threaded step (whose forward pass has also moved batch-norm statistics by then).
   */
  combine(step: number, count: number, learningRate: number): StepOutcome {
    try {
      const length = this.exchange.regionLength;
      const shards = shardSizes(count, this.exchange.shards).flatMap((size, shard) =>
        size > 0 ? [{ shard, size, region: this.region(step, shard), scale: size / count }] : [],
      );
      const loss = shards.reduce((sum, { size, region }) => sum + region[length - 2]! * size, 0) / count;
      const correct = shards.reduce((sum, { region }) => sum + region[length - 1]!, 0);
      if (!Number.isFinite(loss)) return { loss, correct, finite: false };
      this.assignStatistics(shards);
      this.optimizer.setLearningRate(learningRate);
      // This replica's own shard as the tensors it computed (the same values as its region), the others as uploaded.
      const gradientsOf = (shard: number, region: Float32Array) =>
        shard === this.shard && this.ownGradients
          ? this.ownGradients
          : this.trainableSlots.map((slot) => region.subarray(slot.offset, slot.offset + slot.length));
      this.optimizer.applyShardGradients(
        shards.map(({ shard, region, scale }) => ({ gradients: gradientsOf(shard, region), scale })),
        this.model.trainableVariables,
      );
      return { loss, correct, finite: true };
    } finally {
      this.release();
    }
  }

  /** Frees the gradient tensors kept from `contribute` (a step that ends without `combine` calls this). */
  release(): void {
    if (this.ownGradients) tf.dispose(this.ownGradients);
    this.ownGradients = undefined;
  }

  /** Sets the batch-norm moving statistics (the non-trainable weights) to their batch mean over the shards. */
  private assignStatistics(shards: readonly { region: Float32Array; scale: number }[]): void {
    for (const [index, slot] of this.slots.entries()) {
      if (slot.trainable) continue;
      const variable = this.variables[index]!;
      const values = new Float32Array(slot.length);
      for (const { region, scale } of shards) {
        for (let i = 0; i < slot.length; i++) values[i] = values[i]! + scale * region[slot.offset + i]!;
      }
      tf.tidy(() => variable.assign(tf.tensor(values, variable.shape, 'float32')));
    }
  }
}
