import type { CheckpointReason, EpochSummary } from './checkpoint.js';
import type { TrainOptions } from './options.js';
import { type TrainResult, train } from './train.js';

/** Emitted once before the first batch. */
export interface StartEvent {
  type: 'start';
  epochs: number;
  /** Batches per epoch. */
  batches: number;
  trainCount: number;
  validationCount: number;
  /** Epoch (1-based) and batch (0-based) the run starts at; later than 1/0 when resuming. */
  startEpoch: number;
  startBatch: number;
  resumed: boolean;
  backend: string;
}

/** Emitted after every optimizer step. `loss` and `accuracy` are running means over the epoch so far. */
export interface BatchEvent {
  type: 'batch';
  epoch: number;
  epochs: number;
  /** 1-based index of the batch just applied. */
  batch: number;
  batches: number;
  loss: number;
  accuracy: number;
  /** Loss of this batch alone. */
  batchLoss: number;
  imagesPerSecond: number;
  /** Estimated seconds until the end of this epoch (excluding validation). */
  etaSeconds: number;
  learningRate: number;
}

/** Emitted when an epoch ends (after validation, before its checkpoint). */
export interface EpochEvent extends EpochSummary {
  type: 'epoch';
  epochs: number;
}

/** Emitted after a checkpoint was stored. */
export interface CheckpointEvent {
  type: 'checkpoint';
  /** The epoch the checkpoint belongs to; with reason `abort`, the epoch that was interrupted. */
  epoch: number;
  /** Batches of `epoch` the checkpoint includes (0 for a completed epoch, whose checkpoint resumes at the next). */
  batch: number;
  path?: string;
  reason: CheckpointReason;
}

/** Emitted when early stopping ends the run. */
export interface EarlyStopEvent {
  type: 'early-stop';
  epoch: number;
  monitor: string;
  best: number;
  bestEpoch: number;
  patience: number;
}

/** Everything `train` reports while it runs. The trainer never prints; renderers subscribe to these. */
export type TrainEvent = StartEvent | BatchEvent | EpochEvent | CheckpointEvent | EarlyStopEvent;

/** A callback for training events; if it returns a promise, training waits for it. */
export type TrainEventHandler = (event: TrainEvent) => void | Promise<void>;

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
