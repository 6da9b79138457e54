import { describe, expect, it } from 'vitest';
import { decodeCheckpoint, memoryCheckpointStore } from '../checkpoint.js';
import { initBackend } from '../node-backend.js';
import type { TrainOptions } from '../options.js';
import { train } from '../train.js';
import { compactSpec, trainSubset } from './fixtures.js';

// minDelta 100 means no epoch after the first can count as an improvement, so epoch 1 is always the best one and the
// run stops once patience runs out. A constant schedule makes the first epoch identical however long the run is.
async function options(extra: Partial<TrainOptions> = {}): Promise<TrainOptions> {
  return {
    model: compactSpec,
    train: await trainSubset(320),
    validationSplit: 0.25,
    epochs: 6,
    batchSize: 32,
    learningRate: 0.003,
    schedule: 'constant',
    seed: 21,
    earlyStopping: { monitor: 'valLoss', patience: 2, minDelta: 100, restoreBestWeights: true },
    ...extra,
  };
}

async function weightsAfter(run: ReturnType<typeof train>) {
  const result = await run;
  const weights = result.model.getWeights();
  result.model.dispose();
  return { result, weights };
}

describe('early stopping with restoreBestWeights', () => {
  it('ends an early-stopped run with the best epoch’s weights, not the last epoch’s', async () => {
    await initBackend('cpu');
    const firstEpoch = await weightsAfter(train(await options({ epochs: 1, earlyStopping: false })));
    const kept = await weightsAfter(train(await options({ earlyStopping: { patience: 2, minDelta: 100 } })));
    const restored = await weightsAfter(train(await options()));

    expect(kept.result.stopReason).toBe('early-stopped');
    expect(kept.result.epochsCompleted).toBe(3);
    expect(kept.result.restoredBestEpoch).toBeUndefined();
    expect(kept.weights).not.toEqual(firstEpoch.weights);

    expect(restored.result.stopReason).toBe('early-stopped');
    expect(restored.result.epochsCompleted).toBe(3);
    expect(restored.result.restoredBestEpoch).toBe(1);
    expect(restored.weights).toEqual(firstEpoch.weights);
  });

  it('also restores the best weights when the run completes all its epochs', async () => {
    await initBackend('cpu');
    const firstEpoch = await weightsAfter(train(await options({ epochs: 1, earlyStopping: false })));
    const completed = await weightsAfter(
      train(await options({ epochs: 2, earlyStopping: { patience: 5, minDelta: 100, restoreBestWeights: true } })),
    );
    expect(completed.result.stopReason).toBe('completed');
    expect(completed.result.restoredBestEpoch).toBe(1);
    expect(completed.weights).toEqual(firstEpoch.weights);
  });

  it('keeps the best weights in checkpoints, so a resumed run restores them too', async () => {
    await initBackend('cpu');
    const firstEpoch = await weightsAfter(train(await options({ epochs: 1, earlyStopping: false })));
    const store = memoryCheckpointStore();
    const controller = new AbortController();
    const interrupted = await train({
      ...(await options()),
      checkpoint: store,
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'batch' && event.epoch === 3 && event.batch === 2) controller.abort();
      },
    });
    interrupted.model.dispose();
    expect(interrupted.stopReason).toBe('aborted');
    const saved = decodeCheckpoint(store.latest!);
    expect(saved.earlyStopping.bestEpoch).toBe(1);
    expect(saved.bestWeights).toEqual(firstEpoch.weights);

    const resumed = await weightsAfter(train({ ...(await options()), checkpoint: store, resume: true }));
    expect(resumed.result.resumedFrom).toEqual({ epoch: 3, batch: 2 });
    expect(resumed.result.stopReason).toBe('early-stopped');
    expect(resumed.result.restoredBestEpoch).toBe(1);
    expect(resumed.weights).toEqual(firstEpoch.weights);
  });
});
