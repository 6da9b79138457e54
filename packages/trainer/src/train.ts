import {
  type CnnModel,
  checkActivationBudget,
  createRng,
  createRngFromState,
  deriveSeed,
  type RngState,
  shuffleInPlace,
} from '@mnist-cnn/cnn-model';
import { sliceSplit } from '@mnist-cnn/mnist-data';
import * as tf from '@tensorflow/tfjs-core';
import {
  type CheckpointReason,
  type EarlyStoppingState,
  type EpochSummary,
  encodeCheckpoint,
  nonFiniteProblem,
  type TrainingProgress,
} from './checkpoint.js';
import { NonFiniteLossError, NonFiniteStateError, TrainOptionsError } from './errors.js';
import { evaluate } from './evaluate.js';
import type { TrainEvent } from './events.js';
import { buildModel, checkSplitFitsModel, specOf } from './model.js';
import { Optimizer } from './optimizer.js';
import { type ResolvedTrainOptions, resolveTrainOptions, type TrainOptions } from './options.js';
import { checkSameRun, datasetFingerprintOf, fingerprintOf, readResumeCheckpoint } from './resume.js';
import { learningRateAt } from './schedule.js';
import { localSteps, type StepFactory, type StepRunner, type UpcomingStep } from './step.js';

/** How a run ended. */
export type StopReason = 'completed' | 'early-stopped' | 'aborted';

/** What `train` returns. */
export interface TrainResult {
  /** The trained model (the one passed in, or the one the trainer built; the caller disposes it). */
  model: CnnModel;
  /** One entry per finished epoch, including epochs finished before a resume. */
  history: EpochSummary[];
  stopReason: StopReason;
  epochsCompleted: number;
  /** Optimizer steps taken since the run first began. */
  steps: number;
  trainCount: number;
  validationCount: number;
  /** Wall time of this call. */
  durationMs: number;
  /** Training images per second over this call's batches. */
  imagesPerSecond: number;
  /** Path of the last checkpoint written, when the store has paths. */
  checkpointPath?: string;
  /** Where the run resumed from, when it did. */
  resumedFrom?: { epoch: number; batch: number };
  /** The epoch whose weights the model ends with, when `earlyStopping.restoreBestWeights` put them back. */
  restoredBestEpoch?: number;
}

const earlyStoppingHigherIsBetter = { valLoss: false, loss: false, valAccuracy: true, accuracy: true } as const;

// Lets timers, signal handlers (Ctrl-C) and renderers run between batches without the delay of a clamped setTimeout.
const yieldToEventLoop: () => Promise<void> =
  typeof setImmediate === 'function'
    ? () => new Promise((resolve) => setImmediate(resolve))
    : () => new Promise((resolve) => setTimeout(resolve, 0));

/** The progress at the start of `epoch`, which shuffles from `shuffleRng`. */
function epochStart(epoch: number, step: number, shuffleRng: RngState): TrainingProgress {
  return { epoch, batch: 0, step, lossSum: 0, correct: 0, seen: 0, elapsedMs: 0, shuffleRng };
}

/**
 * Trains a model on a split with mini-batches, emitting events and writing checkpoints; resumable and deterministic.
 *
 * @example
 * ```ts
 * import { fetchDataset } from '@mnist-cnn/mnist-data';
 * import { initBackend, train } from '@mnist-cnn/trainer';
 *
 * await initBackend('wasm', { wasmPaths: '/wasm/' }); // where the page serves tfjs-backend-wasm's .wasm files
 * const mnist = await fetchDataset('/data/mnist/');
 * const { model, history } = await train({
 *   model: 'reference',
 *   train: mnist.train,
 *   epochs: 1,
 *   onEvent: (event) => {
 *     if (event.type === 'batch' && event.batch % 100 === 0) console.log(event.loss);
 *   },
 * });
 * console.log(history[0]?.accuracy);
 * ```
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const workers = options?.workers;
  if (workers !== undefined && workers !== 1) {
    resolveTrainOptions(options); // a malformed count gets its own message
    throw new TrainOptionsError(
      'workers',
      `${workers} workers need worker threads: import train from @mnist-cnn/trainer/node, or use workers: 1`,
    );
  }
  return trainWithSteps(options, localSteps);
}

/** `train` with the step function supplied by the caller (the Node entry's worker threads, or the local step). */
export async function trainWithSteps(options: TrainOptions, createSteps: StepFactory): Promise<TrainResult> {
  const run = await prepareRun(options);
  // Without an initBackend call tfjs picks its preferred backend lazily; wasm can only start asynchronously.
  await tf.ready();
  const { model, created } = buildModel(options.model, run.spec, run.resolved.seed);
  const optimizer = new Optimizer(run.resolved.optimizer, run.resolved.learningRate);
  try {
    if (run.checkpoint) {
      model.setWeights(run.checkpoint.model.weights);
      await optimizer.loadState(run.checkpoint.optimizer);
    }
    const steps = await createSteps(model, optimizer, { ...run.resolved, split: options.train });
    try {
      return await runLoop(run, model, optimizer, steps.step);
    } finally {
      await steps.close();
    }
  } catch (error) {
    if (created) model.dispose();
    throw error;
  } finally {
    optimizer.dispose();
  }
}

/** Checks the options against the data and reads the checkpoint to resume from, checked against them, if any. */
async function prepareRun(options: TrainOptions) {
  const startedAt = performance.now();
  const resolved = resolveTrainOptions(options);
  const spec = specOf(options.model);
  checkActivationBudget(spec, resolved.batchSize);
  checkSplitFitsModel(options.train, spec, 'training');
  if (options.validation) checkSplitFitsModel(options.validation, spec, 'validation');
  const { trainCount, heldOut } = resolved;
  const validation =
    options.validation ?? (heldOut > 0 ? sliceSplit(options.train, trainCount, trainCount + heldOut) : undefined);
  const fingerprint = fingerprintOf(resolved, validation?.count ?? 0);
  const checkpoint = await readResumeCheckpoint(options.resume, options.checkpoint);
  const dataset =
    options.checkpoint || checkpoint ? await datasetFingerprintOf(options.train, options.dataset) : undefined;
  if (checkpoint) checkSameRun(checkpoint, { run: fingerprint, spec, dataset: dataset! }, options.checkpoint?.location);
  return { options, resolved, spec, validation, fingerprint, dataset, checkpoint, startedAt };
}

async function runLoop(
  run: Awaited<ReturnType<typeof prepareRun>>,
  model: CnnModel,
  optimizer: Optimizer,
  step: StepRunner,
): Promise<TrainResult> {
  const { options, resolved, validation, fingerprint, dataset, checkpoint } = run;
  const { epochs, batchSize, seed, trainCount } = resolved;
  const validationCount = validation?.count ?? 0;
  const batches = Math.ceil(trainCount / batchSize);
  const totalSteps = batches * epochs;
  const emit = async (event: TrainEvent) => options.onEvent?.(event);
  const history: EpochSummary[] = checkpoint ? [...checkpoint.history] : [];
  const earlyStopping: EarlyStoppingState = checkpoint
    ? { ...checkpoint.earlyStopping }
    : { best: null, bestEpoch: 0, epochsWithoutImprovement: 0 };
  let progress = checkpoint ? { ...checkpoint.progress } : epochStart(1, 0, createRng(seed).state());
  let checkpointPath: string | undefined;
  let bestWeights = checkpoint?.bestWeights;
  let imagesThisCall = 0;
  let trainingMsThisCall = 0;

  // Only a checkpoint this run wrote or resumed from is this run's: the store may hold another run's.
  const lastGoodCheckpoint = () => checkpointPath ?? (checkpoint ? options.checkpoint?.location : undefined);
  const saveCheckpoint = async (reason: CheckpointReason, at: TrainingProgress, eventEpoch: number) => {
    if (!options.checkpoint) return;
    const state = { model: { spec: model.spec, weights: model.getWeights() }, optimizer: await optimizer.saveState() };
    const nonFinite = nonFiniteProblem(state);
    if (nonFinite !== undefined) throw new NonFiniteStateError(nonFinite, lastGoodCheckpoint());
    const bytes = encodeCheckpoint({
      reason,
      ...state,
      progress: at,
      history,
      earlyStopping,
      ...(bestWeights ? { bestWeights } : {}),
      run: fingerprint,
      ...(dataset ? { dataset } : {}),
      backend: tf.getBackend(),
      createdAt: new Date().toISOString(),
    });
    const saved = await options.checkpoint.save(bytes, reason);
    checkpointPath = saved.path;
    await emit({
      type: 'checkpoint',
      epoch: eventEpoch,
      batch: at.batch,
      reason,
      ...(saved.path === undefined ? {} : { path: saved.path }),
    });
  };
  const result = (stopReason: TrainResult['stopReason']): TrainResult => {
    // With `restoreBestWeights`, a run that was not aborted ends with the best epoch's weights, if the last was not it.
    const restore =
      stopReason !== 'aborted' &&
      resolved.earlyStopping?.restoreBestWeights &&
      bestWeights &&
      earlyStopping.bestEpoch !== history.at(-1)?.epoch;
    if (restore) model.setWeights(bestWeights!);
    return {
      model,
      ...(restore ? { restoredBestEpoch: earlyStopping.bestEpoch } : {}),
      history,
      stopReason,
      epochsCompleted: history.length,
      steps: progress.step,
      trainCount,
      validationCount,
      durationMs: performance.now() - run.startedAt,
      imagesPerSecond: trainingMsThisCall > 0 ? (imagesThisCall * 1000) / trainingMsThisCall : 0,
      ...(checkpointPath === undefined ? {} : { checkpointPath }),
      ...(checkpoint ? { resumedFrom: { epoch: checkpoint.progress.epoch, batch: checkpoint.progress.batch } } : {}),
    };
  };

  const patience = resolved.earlyStopping?.patience ?? Number.POSITIVE_INFINITY;
  const resumedAtEpochEnd = checkpoint && (checkpoint.reason === 'epoch' || progress.batch === 0);
  if (resumedAtEpochEnd && earlyStopping.epochsWithoutImprovement >= patience) {
    return result('early-stopped');
  }
  await emit({
    type: 'start',
    epochs,
    batches,
    trainCount,
    validationCount,
    startEpoch: progress.epoch,
    startBatch: progress.batch,
    resumed: checkpoint !== undefined,
    backend: tf.getBackend(),
  });

  while (progress.epoch <= epochs) {
    const epoch = progress.epoch;
    const shuffleRng = createRngFromState(progress.shuffleRng);
    const order = shuffleInPlace(
      Int32Array.from({ length: trainCount }, (_, i) => i),
      shuffleRng,
    );
    const sessionStart = performance.now();
    let sessionImages = 0;
    let learningRate = resolved.learningRate;
    /** Batch `batch` of this epoch, ready for the step that is `step` steps into the run. */
    const prepare = (batch: number, step: number): UpcomingStep => ({
      batch: {
        indices: order.subarray(batch * batchSize, Math.min(trainCount, (batch + 1) * batchSize)),
        augmentSeed: deriveSeed(seed, epoch, batch, 1),
        seed: deriveSeed(seed, epoch, batch, 2),
      },
      learningRate: learningRateAt(resolved.schedule, resolved.learningRate, {
        step,
        stepsPerEpoch: batches,
        totalSteps,
        history,
      }),
    });
    /** The next batch, when the step asked for it early (see StepRunner). */
    let prepared: UpcomingStep | undefined;
    for (let batch = progress.batch; batch < batches; batch++) {
      if (options.signal?.aborted) {
        progress = { ...progress, elapsedMs: progress.elapsedMs + (performance.now() - sessionStart) };
        await saveCheckpoint('abort', progress, epoch);
        return result('aborted');
      }
      const batchStart = performance.now();
      const current = prepared ?? prepare(batch, progress.step);
      prepared = undefined;
      learningRate = current.learningRate;
      const stepsSoFar = progress.step;
      const upcoming = batch + 1 < batches ? () => (prepared = prepare(batch + 1, stepsSoFar + 1)) : undefined;
      const outcome = await step(current.batch, learningRate, upcoming);
      const imagesInBatch = current.batch.indices.length;
      if (!outcome.finite) {
        const kept = lastGoodCheckpoint();
        throw new NonFiniteLossError(
          epoch,
          batch + 1,
          outcome.loss,
          `try a lower learningRate${kept ? `; the last good checkpoint is kept at ${kept}` : ''}`,
        );
      }
      trainingMsThisCall += performance.now() - batchStart;
      imagesThisCall += imagesInBatch;
      sessionImages += imagesInBatch;
      progress = {
        ...progress,
        batch: batch + 1,
        step: progress.step + 1,
        lossSum: progress.lossSum + outcome.loss * imagesInBatch,
        correct: progress.correct + outcome.correct,
        seen: progress.seen + imagesInBatch,
      };
      const sessionSeconds = (performance.now() - sessionStart) / 1000;
      const imagesPerSecond = sessionSeconds > 0 ? sessionImages / sessionSeconds : 0;
      await emit({
        type: 'batch',
        epoch,
        epochs,
        batch: batch + 1,
        batches,
        loss: progress.lossSum / progress.seen,
        accuracy: progress.correct / progress.seen,
        batchLoss: outcome.loss,
        imagesPerSecond,
        etaSeconds: imagesPerSecond > 0 ? (trainCount - progress.seen) / imagesPerSecond : 0,
        learningRate,
      });
      await yieldToEventLoop();
    }
    const held = validation && evaluate(model, validation);
    const durationMs = progress.elapsedMs + (performance.now() - sessionStart);
    const summary: EpochSummary = {
      epoch,
      loss: progress.lossSum / progress.seen,
      accuracy: progress.correct / progress.seen,
      ...(held ? { valLoss: held.loss, valAccuracy: held.accuracy } : {}),
      learningRate,
      durationMs,
      imagesPerSecond: durationMs > 0 ? (progress.seen * 1000) / durationMs : 0,
    };
    history.push(summary);
    await emit({ type: 'epoch', epochs, ...summary });
    const stop = updateEarlyStopping(resolved, earlyStopping, summary);
    if (resolved.earlyStopping && earlyStopping.bestEpoch === epoch) bestWeights = model.getWeights();
    progress = epochStart(epoch + 1, progress.step, shuffleRng.state());
    await saveCheckpoint('epoch', progress, epoch);
    if (stop) {
      await emit({
        type: 'early-stop',
        epoch,
        monitor: resolved.earlyStopping!.monitor,
        best: earlyStopping.best!,
        bestEpoch: earlyStopping.bestEpoch,
        patience,
      });
      return result('early-stopped');
    }
  }
  return result('completed');
}

/** Records an epoch's monitored value; returns true when patience has run out. */
function updateEarlyStopping(
  resolved: ResolvedTrainOptions,
  state: EarlyStoppingState,
  summary: EpochSummary,
): boolean {
  const settings = resolved.earlyStopping;
  if (!settings) return false;
  const value = summary[settings.monitor];
  if (value === undefined) return false;
  const higherIsBetter = earlyStoppingHigherIsBetter[settings.monitor];
  const improved =
    state.best === null ||
    (higherIsBetter ? value > state.best + settings.minDelta : value < state.best - settings.minDelta);
  if (improved) {
    state.best = value;
    state.bestEpoch = summary.epoch;
    state.epochsWithoutImprovement = 0;
  } else {
    state.epochsWithoutImprovement += 1;
  }
  return state.epochsWithoutImprovement >= settings.patience;
}
