import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRng } from '@mnist-cnn/cnn-model';
import { describe, expect, it } from 'vitest';
import { type Checkpoint, decodeCheckpoint, encodeCheckpoint, memoryCheckpointStore } from './checkpoint.js';
import { CheckpointError } from './errors.js';
import { checkpointFileName, directoryCheckpointStore } from './node-checkpoint.js';

function sampleCheckpoint(): Checkpoint {
  return {
    reason: 'abort',
    model: {
      spec: {
        name: 'tiny',
        inputShape: [28, 28, 1],
        normalization: { mean: 0, std: 1 },
        layers: [{ type: 'flatten' }],
      },
      weights: { 'dense_1/kernel': Float32Array.from([1.5, -2, 3.25]), 'dense_1/bias': Float32Array.from([0.5]) },
    },
    optimizer: {
      config: { name: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
      iterations: 17,
      slots: [
        { shape: [2, 2], values: Float32Array.from([0.1, 0.2, 0.3, 0.4]) },
        { shape: [3], values: Float32Array.from([Math.fround(1e-30), -0, 7]) },
      ],
      adamBetaPowers: [Math.fround(0.9 ** 18), Math.fround(0.999 ** 18)],
    },
    progress: {
      epoch: 2,
      batch: 5,
      step: 37,
      lossSum: 12.5,
      correct: 300,
      seen: 320,
      elapsedMs: 1234.5,
      shuffleRng: createRng(4).state(),
    },
    history: [{ epoch: 1, loss: 0.3, accuracy: 0.9, learningRate: 0.001, durationMs: 100, imagesPerSecond: 500 }],
    earlyStopping: { best: 0.3, bestEpoch: 1, epochsWithoutImprovement: 0 },
    run: {
      seed: 1,
      epochs: 3,
      batchSize: 64,
      learningRate: 0.001,
      schedule: { type: 'constant' },
      optimizer: { name: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
      augment: null,
      validationSplit: 0,
      trainCount: 2000,
      validationCount: 0,
    },
    backend: 'cpu',
    createdAt: '2026-01-01T00:00:00.000Z',
  };
}

describe('checkpoint encoding', () => {
  it('round-trips every field bit-exactly', () => {
    const original = sampleCheckpoint();
    const decoded = decodeCheckpoint(encodeCheckpoint(original));
    expect(decoded.model).toEqual(original.model);
    expect(decoded.optimizer.slots).toEqual(original.optimizer.slots);
    expect(Object.is(decoded.optimizer.slots[1]!.values[1], -0)).toBe(true);
    const { model: _m1, optimizer: _o1, ...restDecoded } = decoded;
    const { model: _m2, optimizer: _o2, ...restOriginal } = original;
    expect(restDecoded).toEqual(restOriginal);
    expect(decoded.optimizer.adamBetaPowers).toEqual(original.optimizer.adamBetaPowers);
  });

  it('rejects truncated, flipped and foreign bytes with CheckpointError', () => {
    const bytes = encodeCheckpoint(sampleCheckpoint());
    expect(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 9))).toThrow(CheckpointError);
    const flipped = bytes.slice();
    flipped[flipped.length - 20]! ^= 0x40;
    expect(() => decodeCheckpoint(flipped, 'x.ckpt')).toThrow(/x.ckpt: .*checksum/);
    expect(() => decodeCheckpoint(new TextEncoder().encode('{"not":"a checkpoint"}'))).toThrow(/signature/);
  });
});

describe('checkpoint stores', () => {
  it('keeps the latest checkpoint in memory', async () => {
    const store = memoryCheckpointStore();
    expect(await store.load()).toBeUndefined();
    const bytes = encodeCheckpoint(sampleCheckpoint());
    await store.save(bytes, 'epoch');
    expect(await store.load()).toEqual(bytes);
  });

  it('writes a directory checkpoint atomically, leaving no temporary files', async () => {
    const directory = join(await mkdtemp(join(tmpdir(), 'trainer-ckpt-')), 'nested');
    const store = directoryCheckpointStore(directory);
    expect(await store.load()).toBeUndefined();
    const first = encodeCheckpoint(sampleCheckpoint());
    const { path } = await store.save(first, 'epoch');
    expect(path).toBe(join(directory, checkpointFileName));
    const second = encodeCheckpoint({ ...sampleCheckpoint(), reason: 'epoch' });
    await store.save(second, 'epoch');
    expect(await readdir(directory)).toEqual([checkpointFileName]);
    expect(new Uint8Array(await readFile(path!))).toEqual(second);
    expect(decodeCheckpoint((await store.load())!).reason).toBe('epoch');
    await writeFile(path!, 'garbage');
    await expect(store.load().then((bytes) => decodeCheckpoint(bytes!, path))).rejects.toThrow(CheckpointError);
  });
});
