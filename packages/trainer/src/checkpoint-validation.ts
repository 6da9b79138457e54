import type { Checkpoint } from './checkpoint.js';

const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/** The first problem with a decoded checkpoint's fields, or undefined when every field is in range. */
export function checkpointFieldProblem(checkpoint: Checkpoint): string | undefined {
  const { run, progress, optimizer, history, earlyStopping } = checkpoint;
  if (!isObject(run) || !isCount(run.epochs) || run.epochs < 1) return 'run.epochs is not a positive count';
  if (!isObject(progress)) return 'progress is missing';
  if (!isCount(progress.epoch) || progress.epoch < 1 || progress.epoch > run.epochs + 1) {
    return `progress.epoch ${JSON.stringify(progress.epoch)} is outside 1…${run.epochs + 1}`;
  }
  for (const key of ['batch', 'step', 'correct', 'seen'] as const) {
    if (!isCount(progress[key])) return `progress.${key} ${JSON.stringify(progress[key])} is not a count`;
  }
  if (progress.correct > progress.seen) return 'progress.correct exceeds progress.seen';
  if (!isFiniteNumber(progress.lossSum) || progress.lossSum < 0) return 'progress.lossSum is not a finite sum';
  if (!isFiniteNumber(progress.elapsedMs) || progress.elapsedMs < 0) return 'progress.elapsedMs is not a duration';
  if (!Array.isArray(progress.shuffleRng) || progress.shuffleRng.length !== 4 || !progress.shuffleRng.every(isCount)) {
    return 'progress.shuffleRng is not a generator state';
  }
  if (!isObject(optimizer) || !isCount(optimizer.iterations)) return 'optimizer.iterations is not a count';
  if (JSON.stringify(optimizer.config) !== JSON.stringify(run.optimizer)) {
    return 'the optimizer state belongs to another optimizer configuration than the run';
  }
  if (optimizer.adamBetaPowers !== undefined) {
    const powers = optimizer.adamBetaPowers;
    if (!Array.isArray(powers) || powers.length !== 2 || !powers.every((p) => isFiniteNumber(p) && p > 0 && p <= 1)) {
      return 'optimizer.adamBetaPowers are not two numbers in (0, 1]';
    }
  }
  if (!Array.isArray(history)) return 'history is not a list';
  if (!isObject(earlyStopping) || !isCount(earlyStopping.epochsWithoutImprovement)) {
    return 'earlyStopping is not an early-stopping state';
  }
  return nonFiniteProblem(checkpoint);
}

/** Names the first weight or optimizer slot holding NaN or ±Infinity, or undefined when all are finite. */
export function nonFiniteProblem(
  checkpoint: Pick<Checkpoint, 'model' | 'optimizer' | 'bestWeights'>,
): string | undefined {
  const sections = [
    ...Object.entries(checkpoint.model.weights).map(([name, values]) => [`weight ${name}`, values] as const),
    ...checkpoint.optimizer.slots.map((slot, index) => [`optimizer slot ${index}`, slot.values] as const),
    ...Object.entries(checkpoint.bestWeights ?? {}).map(([name, values]) => [`best weight ${name}`, values] as const),
  ];
  for (const [name, values] of sections) {
    const index = values.findIndex((value) => !Number.isFinite(value));
    if (index >= 0) return `${name} holds ${values[index]} at index ${index}`;
  }
  return undefined;
}
