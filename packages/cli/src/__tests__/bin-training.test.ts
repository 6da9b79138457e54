import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeIdx } from '@mnist-cnn/mnist-data';
import { parse } from 'parse5';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  escRegExp,
  jpegBytes,
  mnistDataDir,
  mnistTestDigits,
  paintDigit,
  pgmBytes,
  pngBytes,
  weightsPath,
} from './fixtures.js';
import { type BinResult, binPath, childEnv, expectOneLineError, jsonLines, runBin, tempDir } from './run-bin.js';

/** A model trained on 2,000 images for one epoch scores well above this on the 10,000 test images. */
const accuracyFloor = 0.7;

const work = tempDir();
const modelDir = join(work, 'model');
const reportFile = join(work, 'train-report.html');
let trained: BinResult;

beforeAll(async () => {
  trained = await runBin([
    'train',
    '--limit',
    '2000',
    '--epochs',
    '1',
    '--batch-size', // the default recipe's batch of 128 is tuned for all 60,000 images
    '32',
    '--json',
    '--out',
    modelDir,
    '--report',
    reportFile,
  ]);
}, 240_000);

describe('mnist-cnn train (built binary)', () => {
  it('trains, reports per-epoch JSON lines and a summary with a real test accuracy, and saves the model', () => {
    expect(trained.stderr).toBe('');
    expect(trained.code).toBe(0);
    const records = jsonLines(trained.stdout);
    expect(records[0]).toMatchObject({ type: 'start', dataset: 'mnist', trainCount: 2000, epochs: 1, resumed: false });
    // Relaxed SIMD on Node 20 too, where the trainer turns it on before the kernels compile (Node 22+ has it on).
    expect(records[0]).toMatchObject({ backend: 'wasm', kernelBuild: 'relaxed-simd' });
    expect(records.filter((r) => r.type === 'epoch')).toHaveLength(1);
    const summary = records.at(-1)!;
    expect(summary).toMatchObject({
      type: 'summary',
      testCount: 10000,
      epochs: 1,
      trainCount: 2000,
      modelPath: modelDir,
    });
    expect(summary.testAccuracy).toBeGreaterThan(accuracyFloor);
    expect(summary.imagesPerSecond).toBeGreaterThan(0);
    expect(existsSync(join(modelDir, 'model.json'))).toBe(true);
    expect(existsSync(weightsPath(modelDir))).toBe(true);
    expect(existsSync(join(modelDir, 'checkpoint.mnistckpt'))).toBe(false);
  });

  it('writes an HTML report with the epoch charts, the confusion matrix and misclassified digits', () => {
    const html = readFileSync(reportFile, 'utf8');
    const document = parse(html);
    const found: string[] = [];
    const walk = (node: unknown): void => {
      const element = node as { tagName?: string; attrs?: { name: string; value: string }[]; childNodes?: unknown[] };
      const chart = element.attrs?.find((a) => a.name === 'data-chart')?.value;
      if (chart) found.push(chart);
      if (element.tagName === 'figure') found.push('figure');
      for (const child of element.childNodes ?? []) walk(child);
    };
    walk(document);
    expect(found).toEqual(expect.arrayContaining(['loss-chart', 'accuracy-chart', 'confusion-matrix']));
    expect(found.filter((f) => f === 'figure').length).toBeGreaterThan(10);
    expect(html).not.toMatch(/<script|<link/);
  });
});

describe('mnist-cnn evaluate (built binary)', () => {
  it('gives the same accuracy as train measured, as JSON, and the same figures on 1 and 2 workers', async () => {
    // The MNIST test files shipped with mnist-data; batches of 96 leave a short last one for whichever thread is free.
    const args = ['evaluate', '--model', modelDir, '--data', mnistDataDir, '--batch-size', '96', '--json'];
    const [one, two] = [await runBin([...args, '--workers', '1']), await runBin([...args, '--workers', '2'])];
    expect([one.stderr, two.stderr]).toEqual(['', '']);
    expect([one.code, two.code]).toEqual([0, 0]);
    const [record] = jsonLines(two.stdout);
    const summary = jsonLines(trained.stdout).at(-1)!;
    expect(record).toMatchObject({ type: 'evaluation', count: 10000, split: 'test', workers: 2 });
    expect(record!.accuracy).toBeCloseTo(summary.testAccuracy as number, 6);
    const matrix = record!.confusionMatrix as number[][];
    expect(matrix.flat().reduce((a, b) => a + b, 0)).toBe(10000);
    const { durationMs: _one, workers: oneWorker, ...figures } = jsonLines(one.stdout)[0]!;
    const { durationMs: _two, workers: twoWorkers, ...sameFigures } = record!;
    expect([oneWorker, twoWorkers]).toEqual([1, 2]);
    expect(sameFigures).toEqual(figures);
  });

  it('prints per-class metrics and the confusion matrix as tables, and writes a report', async () => {
    const report = join(work, 'evaluate.html');
    const result = await runBin(['evaluate', '--model', modelDir, '--limit', '500', '--report', report]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/accuracy: \d+\.\d\d% \(\d+ of 500\)/);
    expect(result.stdout).toMatch(/^ {2}class +precision +recall +F1 +support$/m);
    expect(result.stdout).toMatch(/^ {2}true\\pred +0 +1 +2 +3 +4 +5 +6 +7 +8 +9$/m);
    expect(readFileSync(report, 'utf8')).toContain('data-chart="confusion-matrix"');
  });

  it('exits 1 for a missing model and for corrupt model files', async () => {
    expectOneLineError(await runBin(['evaluate', '--model', join(work, 'nope')]), 1, /no model at .*nope/);
    const broken = join(work, 'broken');
    mkdirSync(broken);
    copyFileSync(join(modelDir, 'model.json'), join(broken, 'model.json'));
    const weights = weightsPath(modelDir);
    writeFileSync(weights.replace(modelDir, broken), readFileSync(weights).subarray(0, 1000));
    expectOneLineError(await runBin(['evaluate', '--model', broken]), 1, /cannot load the model/);
    writeFileSync(join(broken, 'model.json'), '{ not json');
    const picture = join(work, 'seven.png');
    writeFileSync(picture, pngBytes(paintDigit(mnistTestDigits(1).images[0]!)));
    expectOneLineError(await runBin(['predict', '--model', broken, picture]), 1, /cannot load the model in .*broken/);
  });
});

describe('mnist-cnn predict (built binary)', () => {
  const { images, labels } = mnistTestDigits(10);
  const variants: Record<string, (digit: Uint8Array) => Uint8Array> = {
    png: (digit) => pngBytes(paintDigit(digit)),
    // Dark blue ink on cream paper, 4× larger, off-centre: what a photo of a handwritten digit looks like.
    'big-coloured.png': (digit) =>
      pngBytes(
        paintDigit(digit, {
          scale: 4,
          width: 180,
          height: 150,
          left: 50,
          top: 15,
          ink: [30, 30, 140],
          paper: [245, 235, 200],
        }),
      ),
    jpg: (digit) => jpegBytes(paintDigit(digit, { scale: 3, ink: [10, 10, 10], paper: [250, 250, 250] })),
    pgm: (digit) => pgmBytes(paintDigit(digit, { scale: 2 })),
  };
  const files: Record<string, string[]> = {};
  beforeAll(() => {
    for (const [suffix, make] of Object.entries(variants)) {
      files[suffix] = images.map((digit, i) => {
        const file = join(work, `digit-${i}.${suffix}`);
        writeFileSync(file, make(digit));
        return file;
      });
    }
  });

  it.each(Object.keys(variants))('classifies %s pictures of real MNIST digits, as JSON', async (suffix) => {
    const result = await runBin(['predict', '--model', modelDir, '--json', ...files[suffix]!]);
    expect(result.code).toBe(0);
    const records = jsonLines(result.stdout);
    expect(records).toHaveLength(10);
    records.forEach((record, i) => {
      expect(record).toMatchObject({ type: 'prediction', file: files[suffix]![i] });
      const top = record.top as { label: number; probability: number }[];
      expect(top).toHaveLength(3);
      expect(top[0]!.label).toBe(record.label);
      expect(top[0]!.probability).toBeGreaterThanOrEqual(top[1]!.probability);
    });
    const correct = records.filter((record, i) => record.label === labels[i]).length;
    expect(correct).toBeGreaterThanOrEqual(7);
  });

  it('prints the label and top-3 probabilities per file', async () => {
    const result = await runBin(['predict', '--model', modelDir, files.png![0]!, files.pgm![1]!]);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/digit-0\.png: \d {2}\(\d \d+\.\d%, \d \d+\.\d%, \d \d+\.\d%\)$/);
  });

  it('classifies every readable file, reports each unreadable one on stderr, and exits 1', async () => {
    const bad = join(work, 'bad.png');
    writeFileSync(bad, 'not a picture at all');
    const missing = join(work, 'missing.png');
    const good = [files.png![0]!, files.png![1]!, files.jpg![2]!];
    const result = await runBin(['predict', '--model', modelDir, '--json', good[0]!, bad, good[1]!, missing, good[2]!]);
    expect(result.code).toBe(1);
    const records = jsonLines(result.stdout);
    expect(records.map((record) => record.file)).toEqual(good);
    const errors = result.stderr.split('\n').filter((line) => line.startsWith('mnist-cnn: error:'));
    expect(errors).toHaveLength(2);
    expect(errors[0]).toContain('bad.png');
    expect(errors[1]).toContain('missing.png');
  });

  it('classifies the images of an IDX file', async () => {
    const idx = join(work, 'digits-idx3-ubyte');
    const pixels = new Uint8Array(10 * 784);
    images.forEach((digit, i) => {
      pixels.set(digit, i * 784);
    });
    writeFileSync(idx, encodeIdx({ dtype: 'uint8', shape: [10, 28, 28], data: pixels }));
    const result = await runBin(['predict', '--model', modelDir, '--json', '--limit', '6', idx]);
    expect(result.code).toBe(0);
    const records = jsonLines(result.stdout);
    expect(records.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(records.filter((r, i) => r.label === labels[i]).length).toBeGreaterThanOrEqual(4);
  });
});

describe('a closed output pipe (built binary)', () => {
  it('ends evaluate quietly with exit 0', async () => {
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [binPath, 'evaluate', '--model', modelDir, '--limit', '200'], {
        env: childEnv(),
      });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
      });
      // Closed before the command writes anything, as `mnist-cnn evaluate | head -0` would.
      child.stdout.destroy();
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stderr }));
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});

describe('mnist-cnn show --model (built binary)', () => {
  it('prints the prediction beside each digit', async () => {
    const result = await runBin(['show', '--model', modelDir, '--count', '3']);
    expect(result.code).toBe(0);
    expect(result.stdout.match(/predicted \d/g)).toHaveLength(3);
    expect(result.stdout).toMatch(/#2 {2}label 1/);
    const json = await runBin(['show', '--model', modelDir, '--count', '3', '--json']);
    const records = jsonLines(json.stdout);
    expect(records).toHaveLength(3);
    for (const record of records) {
      expect(record).toMatchObject({ type: 'digit', predicted: expect.any(Number), probability: expect.any(Number) });
      expect(record.top).toHaveLength(3);
    }
  });
});

describe('Ctrl-C during mnist-cnn train (built binary)', () => {
  it('writes a checkpoint, exits 130 saying how to resume, and --resume finishes the run', async () => {
    const out = join(work, 'interrupted');
    const args = ['train', '--limit', '3000', '--epochs', '1', '--batch-size', '32', '--json', '--out', out];
    let sent = false;
    const interrupted = await runBin(args, {
      onStdout: (text, child) => {
        if (!sent && text.includes('"type":"start"')) {
          sent = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(interrupted.code).toBe(130);
    expect(interrupted.stderr).toMatch(/interrupted; checkpoint saved to .*checkpoint\.mnistckpt/);
    expect(interrupted.stderr).toContain(
      `resume with: mnist-cnn train --limit 3000 --epochs 1 --batch-size 32 --json --out ${out} --resume`,
    );
    expect(existsSync(join(out, 'checkpoint.mnistckpt'))).toBe(true);
    expect(existsSync(join(out, 'model.json'))).toBe(false);

    const resumed = await runBin([...args, '--resume']);
    expect(resumed.code).toBe(0);
    const records = jsonLines(resumed.stdout);
    expect(records[0]).toMatchObject({ type: 'start', resumed: true });
    expect(records.at(-1)!.testAccuracy).toBeGreaterThan(accuracyFloor);
    expect(existsSync(join(out, 'model.json'))).toBe(true);
  });

  it('refuses --resume when there is no checkpoint', async () => {
    expectOneLineError(
      await runBin(['train', '--resume', '--out', join(work, 'fresh')]),
      1,
      /no checkpoint to resume from/,
    );
  });
});

describe('mnist-cnn train --patience --restore-best (built binary)', () => {
  // At this learning rate the validation loss of this small run gets worse in its last epoch, so early stopping fires
  // there; a constant schedule makes the first epochs identical however many epochs the run has.
  const base = [
    'train',
    '--limit',
    '400',
    '--batch-size',
    '32',
    '--validation-split',
    '0.25',
    '--lr',
    '0.02',
    '--schedule',
    'constant',
  ];

  it('stops early and saves the best epoch’s weights, byte for byte those of a run that ended there', async () => {
    const restoredDir = join(work, 'restored');
    const restored = await runBin([
      ...base,
      '--epochs',
      '4',
      '--patience',
      '1',
      '--restore-best',
      '--json',
      '--out',
      restoredDir,
    ]);
    expect(restored.code).toBe(0);
    const records = jsonLines(restored.stdout);
    const stop = records.find((record) => record.type === 'early-stop');
    expect(stop).toBeDefined();
    const bestEpoch = stop!.bestEpoch as number;
    expect(bestEpoch).toBeLessThan(stop!.epoch as number);
    expect(records.at(-1)).toMatchObject({
      type: 'summary',
      stopReason: 'early-stopped',
      restoredBestEpoch: bestEpoch,
    });

    const shorterDir = join(work, 'shorter');
    const shorter = await runBin([...base, '--epochs', String(bestEpoch), '--json', '--out', shorterDir]);
    expect(shorter.code).toBe(0);
    expect(readFileSync(weightsPath(restoredDir)).equals(readFileSync(weightsPath(shorterDir)))).toBe(true);
  });

  it('refuses --restore-best without --patience as a usage error', async () => {
    expectOneLineError(
      await runBin(['train', '--restore-best', '--out', join(work, 'unused')]),
      2,
      /--restore-best needs --patience/,
    );
  });
});

describe('mnist-cnn bench (built binary)', () => {
  it('reports training and inference throughput on the cpu backend', async () => {
    const result = await runBin([
      'bench',
      '--backend',
      'cpu',
      '--steps',
      '2',
      '--warmup',
      '3',
      '--batch-size',
      '16',
      '--inference-images',
      '128',
      '--json',
    ]);
    expect(result.code).toBe(0);
    const [record] = jsonLines(result.stdout);
    expect(record).toMatchObject({
      type: 'bench',
      backend: 'cpu',
      kernelBuild: 'relaxed-simd',
      batchSize: 16,
      inferenceImages: 128,
      trainingSteps: 2,
    });
    expect(record!.trainingImagesPerSecond).toBeGreaterThan(0);
    expect(record!.inferenceImagesPerSecond).toBeGreaterThan(0);
  });
});

const hasScript = spawnSync('script', ['--version']).status === 0;

describe('mnist-cnn train on a terminal (built binary under a pseudo-terminal)', () => {
  const trainInTerminal = (env: Record<string, string>) =>
    new Promise<string>((resolve, reject) => {
      const command = [
        process.execPath,
        binPath,
        'train',
        '--limit',
        '320',
        '--epochs',
        '1',
        '--batch-size',
        '32',
        '--out',
        join(work, 'tty-model'),
      ].join(' ');
      const child = spawn('script', ['-qec', command, '/dev/null'], { env: childEnv(env) });
      let output = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        output += chunk;
      });
      child.on('error', reject);
      child.on('close', () => resolve(output));
    });

  it.skipIf(!hasScript)('draws a live progress bar in colour (skipped without util-linux script)', async () => {
    const output = await trainInTerminal({ TERM: 'xterm-256color' });
    expect(output).toMatch(escRegExp(String.raw`\rESC\[2K.*epoch 1\/1.*█`));
    expect(output).toMatch(escRegExp(String.raw`ESC\[36m`));
    expect(output).toContain('test accuracy:');
  });

  it.skipIf(!hasScript)(
    'draws the bar without colours when NO_COLOR is set (skipped without util-linux script)',
    async () => {
      const output = await trainInTerminal({ TERM: 'xterm-256color', NO_COLOR: '1' });
      expect(output).toMatch(escRegExp(String.raw`\rESC\[2K`));
      expect(output).not.toMatch(escRegExp(String.raw`ESC\[(?!2K)[\d;]*m`));
      expect(output).toContain('test accuracy:');
    },
  );
});
