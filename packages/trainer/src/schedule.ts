import { checkNumber, integerIn, type NumberCheck, numberIn, TrainOptionsError } from './errors.js';

/** Names of the learning-rate schedules; each has defaults, so a name alone is a valid schedule. */
export type ScheduleName = 'constant' | 'step' | 'exponential' | 'cosine' | 'one-cycle' | 'plateau';

/** A learning-rate schedule. Every variant scales the run's base `learningRate`. */
export type LearningRateSchedule =
  | { type: 'constant' }
  /** Multiply by `factor` every `everyEpochs` epochs (defaults 0.5 and 1). */
  | { type: 'step'; factor?: number; everyEpochs?: number }
  /** Multiply by `decayPerEpoch` per epoch, applied smoothly per batch (default 0.9). */
  | { type: 'exponential'; decayPerEpoch?: number }
  /** Half a cosine from the base rate down to `minLearningRate` (default 0) over the run, after optional warm-up. */
  | { type: 'cosine'; minLearningRate?: number; warmupEpochs?: number }
  /**
   * Rise from base/`divFactor` to the base rate over the first `warmupFraction` of the run, then fall along a cosine to
   * base/`finalDivFactor` (defaults 0.3, 25, 1e4), the one-cycle policy of Smith & Topin.
   */
  | { type: 'one-cycle'; warmupFraction?: number; divFactor?: number; finalDivFactor?: number }
  /**
   * Reduce on plateau, as Keras' ReduceLROnPlateau and PyTorch's ReduceLROnPlateau do: multiply by `factor` (default
   * 0.1) each time the loss — the validation loss when there is validation data, else the training loss — has not
   * improved by more than `minDelta` (default 1e-4) for `patience` epochs (default 2); never below `minLearningRate`
   * (default 0).
   */
  | { type: 'plateau'; factor?: number; patience?: number; minDelta?: number; minLearningRate?: number };

/** Where a run stands, in optimizer steps. */
export interface SchedulePosition {
  /** Steps already taken (0 for the first batch). */
  step: number;
  /** Steps in one epoch. */
  stepsPerEpoch: number;
  /** Steps in the whole run. */
  totalSteps: number;
  /** The finished epochs' losses, oldest first; the plateau schedule decides from them. */
  history?: readonly { loss: number; valLoss?: number | undefined }[];
}

const positive = numberIn(0, Infinity, 'min');
const fraction = numberIn(0, 1, 'both');
const nonNegative = numberIn(0);
const epochCount = integerIn(1);

/** Every schedule's optional fields and their checks; the keys are the schedule names. */
const fieldChecks: Record<ScheduleName, Record<string, NumberCheck>> = {
  constant: {},
  step: { factor: fraction, everyEpochs: positive },
  exponential: { decayPerEpoch: fraction },
  cosine: { minLearningRate: nonNegative, warmupEpochs: nonNegative },
  'one-cycle': { warmupFraction: fraction, divFactor: positive, finalDivFactor: positive },
  plateau: { factor: fraction, patience: epochCount, minDelta: nonNegative, minLearningRate: nonNegative },
};

/** Turns a schedule name or object into a validated schedule object; throws TrainOptionsError on bad values. */
export function resolveSchedule(schedule: ScheduleName | LearningRateSchedule | undefined): LearningRateSchedule {
  if (schedule === undefined) return { type: 'constant' };
  const resolved = typeof schedule === 'string' ? ({ type: schedule } as LearningRateSchedule) : schedule;
  const checks = Object.hasOwn(fieldChecks, resolved?.type) ? fieldChecks[resolved.type] : undefined;
  if (checks === undefined) {
    const shown = typeof schedule === 'string' ? schedule : JSON.stringify(schedule);
    const names = Object.keys(fieldChecks).join(', ');
    throw new TrainOptionsError('schedule', `unknown schedule ${shown}; expected one of ${names}`);
  }
  for (const [name, check] of Object.entries(checks)) {
    const value = (resolved as Record<string, unknown>)[name];
    if (value !== undefined) checkNumber(`schedule.${name}`, value, check);
  }
  return resolved;
}

function cosineBetween(from: number, to: number, progress: number): number {
  const clamped = Math.min(1, Math.max(0, progress));
  return to + ((from - to) * (1 + Math.cos(Math.PI * clamped))) / 2;
}

/** The learning rate for the batch at `position`, a pure function of the position so resumed runs match exactly. */
export function learningRateAt(schedule: LearningRateSchedule, baseRate: number, position: SchedulePosition): number {
  const { step, stepsPerEpoch, totalSteps } = position;
  const epochProgress = step / stepsPerEpoch;
  switch (schedule.type) {
    case 'constant':
      return baseRate;
    case 'step': {
      const drops = Math.floor(Math.floor(epochProgress) / (schedule.everyEpochs ?? 1));
      return baseRate * (schedule.factor ?? 0.5) ** drops;
    }
    case 'exponential':
      return baseRate * (schedule.decayPerEpoch ?? 0.9) ** epochProgress;
    case 'cosine': {
      const minRate = schedule.minLearningRate ?? 0;
      const warmupSteps = Math.round((schedule.warmupEpochs ?? 0) * stepsPerEpoch);
      if (step < warmupSteps) return (baseRate * (step + 1)) / warmupSteps;
      const span = Math.max(1, totalSteps - warmupSteps);
      return cosineBetween(baseRate, minRate, (step - warmupSteps) / span);
    }
    case 'one-cycle': {
      const initial = baseRate / (schedule.divFactor ?? 25);
      const final = initial / (schedule.finalDivFactor ?? 1e4);
      const peakStep = Math.max(1, Math.round((schedule.warmupFraction ?? 0.3) * totalSteps));
      if (step < peakStep) return cosineBetween(initial, baseRate, step / peakStep);
      return cosineBetween(baseRate, final, (step - peakStep) / Math.max(1, totalSteps - 1 - peakStep));
    }
    case 'plateau':
      return Math.max(schedule.minLearningRate ?? 0, baseRate * plateauScale(schedule, position.history ?? []));
  }
}

/**
 * How far the plateau schedule has cut the rate after `history`, replayed from the start so that a resumed run, whose
 * checkpoint holds the history, continues with the same rate.
 */
function plateauScale(
  schedule: Extract<LearningRateSchedule, { type: 'plateau' }>,
  history: NonNullable<SchedulePosition['history']>,
): number {
  const patience = schedule.patience ?? 2;
  let best = Number.POSITIVE_INFINITY;
  let epochsWithoutImprovement = 0;
  let scale = 1;
  for (const epoch of history) {
    const value = epoch.valLoss ?? epoch.loss;
    if (value < best - (schedule.minDelta ?? 1e-4)) {
      best = value;
      epochsWithoutImprovement = 0;
    } else if (++epochsWithoutImprovement >= patience) {
      scale *= schedule.factor ?? 0.1;
      epochsWithoutImprovement = 0;
    }
  }
  return scale;
}
