import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { encodeIdx } from '../src/index.js';
import type { DatasetFileKey } from '../src/presets.js';

/** Deterministic pseudo-random bytes (xorshift32). */
export function pseudoRandomBytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

export interface FixtureSplit {
  images: Uint8Array;
  labels: Uint8Array;
}

/** A small MNIST-shaped dataset as encoded IDX bytes per file (raw), plus its raw arrays. */
export function makeFixture(
  options: { train?: number; test?: number; rows?: number; cols?: number; seed?: number } = {},
) {
  const { train = 12, test = 5, rows = 4, cols = 3, seed = 7 } = options;
  const mk = (count: number, s: number): FixtureSplit => {
    const images = pseudoRandomBytes(count * rows * cols, s);
    const labels = pseudoRandomBytes(count, s + 1).map((b) => b % 10);
    return { images, labels };
  };
  const trainSplit = mk(train, seed);
  const testSplit = mk(test, seed + 100);
  const bytes: Record<DatasetFileKey, Uint8Array> = {
    trainImages: encodeIdx({ dtype: 'uint8', shape: [train, rows, cols], data: trainSplit.images }),
    trainLabels: encodeIdx({ dtype: 'uint8', shape: [train], data: trainSplit.labels }),
    testImages: encodeIdx({ dtype: 'uint8', shape: [test, rows, cols], data: testSplit.images }),
    testLabels: encodeIdx({ dtype: 'uint8', shape: [test], data: testSplit.labels }),
  };
  const gz = Object.fromEntries(Object.entries(bytes).map(([k, v]) => [k, new Uint8Array(gzipSync(v))])) as Record<
    DatasetFileKey,
    Uint8Array
  >;
  return { train: trainSplit, test: testSplit, rows, cols, bytes, gz };
}

export function tempDir(prefix = 'mnist-data-test-'): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}
