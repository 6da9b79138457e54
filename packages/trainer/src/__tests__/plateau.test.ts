import { beforeAll, describe, expect, it } from 'vitest';
import { memoryCheckpointStore } from '../checkpoint.js';
import type { BatchEvent, TrainEvent } from '../events.js';
import { initBackend } from '../node-backend.js';
import type { TrainOptions } from '../options.js';
import { train } from '../train.js';
import { compactSpec, trainSubset } from './fixtures.js';

const ratesOf = (events: TrainEvent[]) =>
  events
    .filter((event): event is BatchEvent => event.type === 'batch')
    .map((event) => [event.epoch, event.learningRate]);

describe('the plateau schedule in a run', () => {
  beforeAll(() => initBackend('cpu'));

  it('lowers the rate after the loss stops improving, and a resumed run keeps the lowered rate', async () => {
    const options: TrainOptions = {
      model: compactSpec,
      train: await trainSubset(128),
      epochs: 4,
      batchSize: 64,
      learningRate: 0.01,
      augment: false,
      // A minDelta no loss can beat: every epoch after the first counts as no improvement.
      schedule: { type: 'plateau', factor: 0.5, patience: 1, minDelta: 100 },
    };
    const events: TrainEvent[] = [];
    (await train({ ...options, onEvent: (event) => void events.push(event) })).model.dispose();
    const expected = [0.01, 0.01, 0.005, 0.0025].flatMap((rate, i) => [
      [i + 1, rate],
      [i + 1, rate],
    ]);
    expect(ratesOf(events)).toEqual(expected);

    // Interrupted after epoch 2, then resumed: epochs 3 and 4 run at the rates of the uninterrupted run.
    const store = memoryCheckpointStore();
    const controller = new AbortController();
    const first = await train({
      ...options,
      checkpoint: store,
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'epoch' && event.epoch === 2) controller.abort();
      },
    });
    expect(first.stopReason).toBe('aborted');
    first.model.dispose();
    const resumed: TrainEvent[] = [];
    const second = await train({
      ...options,
      checkpoint: store,
      resume: true,
      onEvent: (event) => void resumed.push(event),
    });
    second.model.dispose();
    expect(ratesOf(resumed)).toEqual(expected.slice(4));
  });
});
