import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeIdx } from '@mnist-cnn/mnist-data';
import { expect, it } from 'vitest';
import { mnistTestDigits } from './fixtures.js';
import { jsonLines, runBin, tempDir } from './run-bin.js';

/** A dataset directory of real MNIST digits, `trainCount` of them as the training split and 20 as the test split. */
function smallDataset(trainCount: number): string {
  const dir = join(tempDir(), 'data');
  mkdirSync(dir);
  const write = (prefix: string, count: number) => {
    const { images, labels } = mnistTestDigits(count);
    const pixels = new Uint8Array(count * 784);
    for (const [i, digit] of images.entries()) pixels.set(digit, i * 784);
    writeFileSync(
      join(dir, `${prefix}-images-idx3-ubyte`),
      encodeIdx({ dtype: 'uint8', shape: [count, 28, 28], data: pixels }),
    );
    writeFileSync(
      join(dir, `${prefix}-labels-idx1-ubyte`),
      encodeIdx({ dtype: 'uint8', shape: [count], data: Uint8Array.from(labels) }),
    );
  };
  write('train', trainCount);
  write('t10k', 20);
  return dir;
}

it('mnist-cnn bench shortens its default warm-up to fit a small training split, and still times --steps batches', async () => {
  // 100 images hold 6 full batches of 16: 4 to warm up (not the default 200), then the 2 timed.
  const args = ['bench', '--backend', 'cpu', '--workers', '1', '--steps', '2', '--batch-size', '16'];
  const result = await runBin([...args, '--inference-images', '16', '--data', smallDataset(100), '--json']);
  expect(result.code).toBe(0);
  const records = jsonLines(result.stdout);
  expect(records.find((record) => record.type === 'bench')).toMatchObject({ trainingSteps: 2, batchSize: 16 });
  expect(`${result.stdout}${result.stderr}`).toContain('warm-up shortened to 4 batches: the training split holds 6');
});
