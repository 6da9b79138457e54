import type { TrainEvent } from './events.js';
import type { TrainOptions } from './options.js';
import { type TrainResult, train } from './train.js';

/** A running training job seen as an async iterator of events, plus its final result. */
export interface TrainRun {
  events: AsyncIterable<TrainEvent>;
  result: Promise<TrainResult>;
}

/**
 * Starts `train` and exposes its events as an async iterator (`for await (const event of run.events)`). The iterator
 * ends when training ends; a training error rejects both the iterator and `result`.
 */
export function trainEvents(options: Omit<TrainOptions, 'onEvent'>): TrainRun {
  return trainEventsWith(options, train);
}

/** `trainEvents` around a given `train` (the Node entry passes its worker-capable one). */
export function trainEventsWith<Options extends TrainOptions>(
  options: Omit<Options, 'onEvent'>,
  runTraining: (options: Options) => Promise<TrainResult>,
): TrainRun {
  const queue: TrainEvent[] = [];
  let wake = () => {};
  let finished = false;
  const result = runTraining({
    ...(options as Options),
    onEvent: (event) => {
      queue.push(event);
      wake();
    },
  });
  const end = () => {
    finished = true;
    wake();
  };
  // Handling the rejection here also keeps it from crashing the process when the caller only consumes `events`.
  result.then(end, end);
  async function* iterate(): AsyncGenerator<TrainEvent> {
    for (;;) {
      while (queue.length > 0) yield queue.shift()!;
      if (finished) {
        await result; // rethrows a training error
        return;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  }
  return { events: iterate(), result };
}
