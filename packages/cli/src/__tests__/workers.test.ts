import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inferenceWorkerCount, workerCount } from '../workers.js';
import { expectOneLineError, runBin, tempDir } from './run-bin.js';

describe('workerCount', () => {
  it('uses --workers when given', () => {
    expect(workerCount(3, 16)).toBe(3);
  });

  it('warns above the cores and caps at 4× the cores', () => {
    const warnings: string[] = [];
    const warn = (message: string) => void warnings.push(message);
    expect(workerCount(2, 64, warn, 2)).toBe(2);
    expect(warnings).toEqual([]);
    expect(workerCount(5, 64, warn, 2)).toBe(5);
    expect(workerCount(256, 64, warn, 2)).toBe(8);
    expect(warnings).toEqual([
      '--workers 5 is more than the 2 CPU cores; the threads will share them and run slower',
      '--workers 256 is more than 4× the 2 CPU cores; using 8',
    ]);
  });

  it('defaults to the cores, keeping at least 16 images per worker', () => {
    expect(workerCount(undefined, 16)).toBe(1);
    expect(workerCount(undefined, 31)).toBe(1);
    expect(workerCount(undefined, 32)).toBe(Math.min(availableParallelism(), 2));
    expect(workerCount(undefined, 64)).toBe(Math.min(availableParallelism(), 4));
    expect(workerCount(undefined, 4096)).toBe(availableParallelism());
  });
});

describe('inferenceWorkerCount', () => {
  it('defaults to one per core whatever the batch size, and caps like training', () => {
    expect(inferenceWorkerCount(undefined, undefined, 2)).toBe(2);
    expect(inferenceWorkerCount(1, undefined, 2)).toBe(1);
    const warnings: string[] = [];
    expect(inferenceWorkerCount(9, (message) => void warnings.push(message), 2)).toBe(8);
    expect(warnings).toEqual(['--workers 9 is more than 4× the 2 CPU cores; using 8']);
  });
});

describe('mnist-cnn bench --workers (built binary)', () => {
  it('infers on the given number of workers and says so', async () => {
    const args = ['bench', '--backend', 'wasm', '--steps', '1', '--warmup', '1', '--batch-size', '32'];
    const result = await runBin([...args, '--workers', '2', '--inference-images', '300', '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const [record] = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(record).toMatchObject({ type: 'bench', workers: 2, inferenceWorkers: 2, inferenceImages: 300 });
    expect(record!.inferenceImagesPerSecond).toBeGreaterThan(0);
    const text = await runBin([...args, '--workers', '2', '--inference-images', '64']);
    expect(text.stdout).toMatch(/^inference: [\d,]+ images\/s \(64 images in batches of 32 on 2 workers\)$/m);
  });

  it('rejects --workers 0 and 257 as usage errors', async () => {
    for (const workers of ['0', '257']) {
      const result = await runBin(['bench', '--workers', workers]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/^mnist-cnn: error: --workers must be (>= 1|<= 256), got (0|257)/);
    }
  });
});

describe('mnist-cnn train --workers (built binary)', () => {
  it('trains data-parallel on 2 worker threads and learns', async () => {
    const out = join(tempDir(), 'model');
    const result = await runBin([
      'train',
      '--workers',
      '2',
      '--batch-size',
      '64',
      '--limit',
      '3200',
      '--no-augment',
      '--json',
      '--out',
      out,
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const records = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records[0]).toMatchObject({ type: 'start', workers: 2 });
    const summary = records.find((record) => record.type === 'summary');
    expect(summary?.testAccuracy).toBeGreaterThan(0.7);
  });

  it('rejects --workers 0 as a usage error', async () => {
    const result = await runBin(['train', '--workers', '0']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^mnist-cnn: error: --workers must be >= 1, got 0/);
  });
});

describe('mnist-cnn evaluate --workers (built binary)', () => {
  it.each([
    ['0', /--workers must be >= 1, got 0$/],
    ['abc', /invalid value 'abc' for --workers: expected an integer$/],
  ])('rejects --workers %s as a usage error naming the value', async (workers, message) => {
    expectOneLineError(await runBin(['evaluate', '--workers', workers]), 2, message);
  });
});
