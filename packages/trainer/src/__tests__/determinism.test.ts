import { describe, expect, it } from 'vitest';
import type { TrainEvent } from '../events.js';
import { trainEvents } from '../events.js';
import { initBackend } from '../node-backend.js';
import { localSteps, type StepBatch, type StepFactory, type StepRunner } from '../step.js';
import { train, trainWithSteps } from '../train.js';
import { compactSpec, trainSubset } from './fixtures.js';

async function lossSequence(seed: number) {
  const losses: number[] = [];
  const result = await train({
    model: compactSpec,
    train: await trainSubset(320),
    epochs: 2,
    batchSize: 32,
    optimizer: 'rmsprop',
    schedule: 'one-cycle',
    augment: true,
    seed,
    onEvent: (event) => {
      if (event.type === 'batch') losses.push(event.batchLoss);
    },
  });
  const weights = result.model.getWeights();
  result.model.dispose();
  return { losses, weights };
}

describe.each(['cpu', 'wasm'] as const)('determinism (%s)', (backend) => {
  it('gives an identical loss sequence and weights for the same seed, and a different one for another seed', async () => {
    await initBackend(backend);
    const first = await lossSequence(5);
    const second = await lossSequence(5);
    const other = await lossSequence(6);
    expect(first.losses).toHaveLength(20);
    expect(second.losses).toEqual(first.losses);
    expect(second.weights).toEqual(first.weights);
    expect(other.losses).not.toEqual(first.losses);
  });
});

describe('handing the next batch to a step early', () => {
  it('leaves the current batch intact, passes the same batch next, and gives the same run as not asking', async () => {
    await initBackend('cpu');
    const options = {
      model: compactSpec,
      train: await trainSubset(320),
      epochs: 2,
      batchSize: 32,
      schedule: 'cosine' as const,
      augment: true,
      seed: 3,
    };
    const plain = await trainWithSteps(options, localSteps);
    const received: { batch: StepBatch; learningRate: number }[] = [];
    /** What step i handed out as step i + 1, if anything. */
    const handedOut: ({ batch: StepBatch; learningRate: number } | undefined)[] = [];
    // A local step that asks for the next batch before it runs the current one, as a pipelined runner might.
    const eager: StepFactory = async (model, optimizer, run) => {
      const { step: local } = await localSteps(model, optimizer, run);
      const step: StepRunner = (batch, learningRate, upcoming) => {
        received.push({ batch, learningRate });
        const next = upcoming?.();
        handedOut.push(next);
        if (next) expect(next.batch.indices).not.toEqual(batch.indices);
        return local(batch, learningRate);
      };
      return { step, close: async () => {} };
    };
    const eagerResult = await trainWithSteps(options, eager);
    // Ten batches per epoch: every batch but an epoch's last hands out the next one, which is the next step's batch.
    expect(handedOut.filter(Boolean)).toHaveLength(18);
    for (const [index, next] of handedOut.entries()) {
      if (index % 10 === 9) expect(next).toBeUndefined();
      else expect(received[index + 1]!.batch).toBe(next!.batch);
      if (next) expect(received[index + 1]!.learningRate).toBe(next.learningRate);
    }
    const plainWeights = plain.model.getWeights();
    const eagerWeights = eagerResult.model.getWeights();
    expect(eagerWeights).toEqual(plainWeights);
    expect(eagerResult.history.map((epoch) => epoch.loss)).toEqual(plain.history.map((epoch) => epoch.loss));
    expect(new Set(received.map((entry) => entry.learningRate)).size).toBeGreaterThan(10);
    plain.model.dispose();
    eagerResult.model.dispose();
  });
});

describe('events', () => {
  it('streams start, batch, epoch, checkpoint and early-stop events through the async iterator', async () => {
    await initBackend('cpu');
    const { memoryCheckpointStore } = await import('../checkpoint.js');
    const run = trainEvents({
      model: compactSpec,
      train: await trainSubset(256),
      validationSplit: 0.25,
      epochs: 50,
      batchSize: 64,
      learningRate: 0.05,
      optimizer: 'sgd',
      // A minDelta no epoch can reach makes the stop deterministic: best at epoch 1, patience 2, stop after epoch 3.
      earlyStopping: { patience: 2, minDelta: 100 },
      checkpoint: memoryCheckpointStore(),
    });
    const types: TrainEvent['type'][] = [];
    let earlyStop: TrainEvent | undefined;
    for await (const event of run.events) {
      if (types.at(-1) !== event.type || event.type !== 'batch') types.push(event.type);
      if (event.type === 'early-stop') earlyStop = event;
    }
    const result = await run.result;
    result.model.dispose();
    expect(types).toEqual([
      'start',
      ...Array.from({ length: 3 }, () => ['batch', 'epoch', 'checkpoint'] as const).flat(),
      'early-stop',
    ]);
    expect(earlyStop).toMatchObject({ type: 'early-stop', epoch: 3, monitor: 'valLoss', bestEpoch: 1, patience: 2 });
    expect(result.stopReason).toBe('early-stopped');
    expect(result.history).toHaveLength(3);
    expect(result.history.every((epoch) => epoch.valLoss !== undefined && epoch.valAccuracy !== undefined)).toBe(true);
  });

  it('rejects the iterator when training fails', async () => {
    const run = trainEvents({ model: compactSpec, train: await trainSubset(64), epochs: 0 });
    const consume = async () => {
      for await (const _ of run.events) {
        // drain
      }
    };
    await expect(consume()).rejects.toThrow(/invalid option epochs/);
    await expect(run.result).rejects.toThrow(/invalid option epochs/);
  });
});
