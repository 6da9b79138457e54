import type { ModelSpec } from '@mnist-cnn/cnn-model';
import type { Checkpoint, CheckpointStore, RunFingerprint } from './checkpoint.js';
import { decodeCheckpoint } from './checkpoint.js';
import { CheckpointError } from './errors.js';
import type { ResolvedTrainOptions } from './options.js';

/** Reads the checkpoint a run should resume from, or undefined to start fresh. */
export async function readResumeCheckpoint(
  resume: boolean | Checkpoint | Uint8Array | undefined,
  store: CheckpointStore | undefined,
): Promise<Checkpoint | undefined> {
  if (resume === undefined || resume === false) return undefined;
  if (resume instanceof Uint8Array) return decodeCheckpoint(resume);
  if (resume !== true) return resume;
  const bytes = await store?.load();
  return bytes === undefined ? undefined : decodeCheckpoint(bytes, store?.location);
}

/** The settings that make two runs "the same run" for resuming. */
export function fingerprintOf(
  options: ResolvedTrainOptions,
  trainCount: number,
  validationCount: number,
): RunFingerprint {
  return {
    seed: options.seed,
    epochs: options.epochs,
    batchSize: options.batchSize,
    learningRate: options.learningRate,
    schedule: options.schedule,
    optimizer: options.optimizer,
    augment: options.augment ?? null,
    validationSplit: options.validationSplit,
    trainCount,
    validationCount,
  };
}

/**
 * Throws CheckpointError when a checkpoint cannot continue this run exactly. More epochs than before are allowed when
 * the schedule does not depend on the run's length.
 */
export function checkResumable(saved: RunFingerprint, current: RunFingerprint, source: string | undefined): void {
  const lengthFree = ['constant', 'step', 'exponential'].includes((current.schedule as { type: string }).type);
  const differences = (Object.keys(current) as (keyof RunFingerprint)[])
    .filter((key) => !(key === 'epochs' && lengthFree && current.epochs >= saved.epochs))
    .filter((key) => JSON.stringify(saved[key]) !== JSON.stringify(current[key]))
    .map((key) => `${key} was ${JSON.stringify(saved[key])}, now ${JSON.stringify(current[key])}`);
  if (differences.length > 0) {
    throw new CheckpointError(
      'CHECKPOINT_MISMATCH',
      `the checkpoint belongs to a different run (${differences.join('; ')}); use the original settings or start afresh`,
      { source },
    );
  }
}

/** Throws CheckpointError when the checkpoint's architecture differs from the model being trained. */
export function checkSameModel(saved: ModelSpec, current: ModelSpec, source: string | undefined): void {
  if (JSON.stringify(saved) !== JSON.stringify(current)) {
    throw new CheckpointError(
      'CHECKPOINT_MISMATCH',
      `the checkpoint holds model ${saved.name}, which differs from the model being trained (${current.name})`,
      { source },
    );
  }
}
