import { describe, expect, it } from 'vitest';
import { TrainOptionsError } from './errors.js';
import { learningRateAt, resolveSchedule } from './schedule.js';

const at = (step: number) => ({ step, stepsPerEpoch: 10, totalSteps: 100 });

describe('learning-rate schedules', () => {
  it('keeps a constant rate', () => {
    expect(learningRateAt(resolveSchedule('constant'), 0.01, at(57))).toBe(0.01);
  });

  it('halves per epoch with the step schedule', () => {
    const schedule = resolveSchedule({ type: 'step', factor: 0.5, everyEpochs: 2 });
    expect(learningRateAt(schedule, 1, at(0))).toBe(1);
    expect(learningRateAt(schedule, 1, at(19))).toBe(1);
    expect(learningRateAt(schedule, 1, at(20))).toBe(0.5);
    expect(learningRateAt(schedule, 1, at(45))).toBe(0.25);
  });

  it('decays smoothly with the exponential schedule', () => {
    const schedule = resolveSchedule({ type: 'exponential', decayPerEpoch: 0.5 });
    expect(learningRateAt(schedule, 1, at(10))).toBeCloseTo(0.5, 12);
    expect(learningRateAt(schedule, 1, at(5))).toBeCloseTo(Math.SQRT1_2, 12);
  });

  it('follows half a cosine to the minimum', () => {
    const schedule = resolveSchedule({ type: 'cosine', minLearningRate: 0.1 });
    expect(learningRateAt(schedule, 1, at(0))).toBeCloseTo(1, 12);
    expect(learningRateAt(schedule, 1, at(50))).toBeCloseTo(0.55, 12);
    expect(learningRateAt(schedule, 1, at(100))).toBeCloseTo(0.1, 12);
  });

  it('rises then falls in one cycle, peaking at the base rate', () => {
    const schedule = resolveSchedule('one-cycle');
    const rates = Array.from({ length: 100 }, (_, step) => learningRateAt(schedule, 0.01, at(step)));
    const peak = rates.indexOf(Math.max(...rates));
    expect(peak).toBe(30);
    expect(rates[30]).toBeCloseTo(0.01, 12);
    expect(rates[0]).toBeCloseTo(0.01 / 25, 12);
    expect(rates[99]).toBeCloseTo(0.01 / 25 / 1e4, 12);
    for (let i = 1; i <= 30; i++) expect(rates[i]!).toBeGreaterThan(rates[i - 1]!);
    for (let i = 31; i < 100; i++) expect(rates[i]!).toBeLessThan(rates[i - 1]!);
  });

  it('rejects unknown names and bad parameters with typed errors', () => {
    expect(() => resolveSchedule('linear' as never)).toThrow(TrainOptionsError);
    expect(() => resolveSchedule({ type: 'step', factor: 1.5 })).toThrow(/schedule.factor/);
    expect(() => resolveSchedule({ type: 'exponential', decayPerEpoch: Number.NaN })).toThrow(TrainOptionsError);
  });

  it('cuts the rate by its factor after `patience` epochs without improvement, on plateau', () => {
    const schedule = resolveSchedule({ type: 'plateau', factor: 0.1, patience: 2 });
    const after = (losses: number[]) =>
      learningRateAt(schedule, 1, { ...at(0), history: losses.map((loss) => ({ loss })) });
    expect(after([])).toBe(1);
    expect(after([1, 0.9, 0.95])).toBe(1);
    expect(after([1, 0.9, 0.95, 0.96])).toBeCloseTo(0.1, 12);
    expect(after([1, 0.9, 0.95, 0.96, 0.8, 0.97, 0.98])).toBeCloseTo(0.01, 12);
    // The validation loss decides when there is one.
    const withValidation = [1, 0.9, 0.8, 0.7].map((loss, i) => ({ loss, valLoss: [1, 1.1, 1.2, 1.3][i] }));
    expect(learningRateAt(schedule, 1, { ...at(0), history: withValidation })).toBeCloseTo(0.1, 12);
    const floored = resolveSchedule({ type: 'plateau', patience: 1, minLearningRate: 0.05 });
    expect(learningRateAt(floored, 1, { ...at(0), history: [1, 1, 1, 1].map((loss) => ({ loss })) })).toBe(0.05);
    expect(() => resolveSchedule({ type: 'plateau', patience: 0 })).toThrow(/schedule.patience/);
    expect(() => resolveSchedule({ type: 'plateau', factor: 1 })).toThrow(/schedule.factor/);
  });
});
