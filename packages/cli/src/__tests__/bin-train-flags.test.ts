import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { recipes } from '@mnist-cnn/trainer';
import { describe, expect, it } from 'vitest';
import { escRegExp } from './fixtures.js';
import { jsonLines, runBin, tempDir } from './run-bin.js';

/** 320 images in batches of 32: ten batches, a few seconds on one core. */
const small = ['--limit', '320', '--epochs', '1', '--batch-size', '32'];

describe('mnist-cnn train --dry-run (built binary)', () => {
  it('trains on one batch, measures one test batch of --test-batch-size, and writes nothing', async () => {
    const out = join(tempDir(), 'model');
    const result = await runBin(['train', '--dry-run', '--test-batch-size', '100', '--out', out, '--json']);
    expect(result.code).toBe(0);
    const records = jsonLines(result.stdout);
    // One batch of the reference recipe's size.
    const batchSize = recipes.reference.batchSize;
    expect(records[0]).toMatchObject({ type: 'start', batches: 1, trainCount: batchSize });
    expect(records.at(-1)).toMatchObject({
      type: 'summary',
      trainCount: batchSize,
      testCount: 100,
      saved: false,
      dryRun: true,
    });
    expect(records.at(-1)).not.toHaveProperty('modelPath');
    expect(existsSync(out)).toBe(false);
  });

  it('colours its result on a pipe with FORCE_COLOR', async () => {
    const result = await runBin(['train', '--dry-run', '--out', join(tempDir(), 'model')], {
      env: { FORCE_COLOR: '1' },
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(escRegExp(String.raw`test accuracy: ESC\[1mESC\[32m\d+\.\d\d%`));
  });

  it('trains with --optimizer sgd --momentum, and refuses --momentum for Adam as a usage error', async () => {
    const sgd = await runBin(['train', '--dry-run', '--optimizer', 'sgd', '--momentum', '0.9', '--json']);
    expect(sgd.code).toBe(0);
    const adam = await runBin(['train', '--dry-run', '--momentum', '0.9']);
    expect(adam.code).toBe(2);
    expect(adam.stderr).toMatch(/^mnist-cnn: error: --momentum applies to --optimizer sgd or rmsprop, not adam$/m);
  });

  it('trains with --optimizer adamw --weight-decay --schedule plateau, and refuses --weight-decay for Adam', async () => {
    const adamw = await runBin([
      'train',
      '--dry-run',
      '--optimizer',
      'adamw',
      '--weight-decay',
      '0.05',
      '--schedule',
      'plateau',
      '--json',
    ]);
    expect(adamw.code).toBe(0);
    const adam = await runBin(['train', '--dry-run', '--weight-decay', '0.05']);
    expect(adam.code).toBe(2);
    expect(adam.stderr).toMatch(/^mnist-cnn: error: --weight-decay applies to --optimizer sgd or adamw, not adam$/m);
  });

  it('refuses --resume, which would write to --out', async () => {
    const result = await runBin(['train', '--dry-run', '--resume']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^mnist-cnn: error: --resume cannot be combined with --dry-run$/m);
  });
});

describe('mnist-cnn train output flags (built binary)', () => {
  it('--no-save trains fully and writes nothing to --out; its report does not name --out', async () => {
    const out = join(tempDir(), 'model');
    const report = join(tempDir(), 'report.html');
    const result = await runBin(['train', ...small, '--no-save', '--out', out, '--report', report, '--json']);
    expect(result.code).toBe(0);
    expect(jsonLines(result.stdout).at(-1)).toMatchObject({ type: 'summary', trainCount: 320, saved: false });
    expect(existsSync(out)).toBe(false);
    const html = readFileSync(report, 'utf8');
    expect(html).toContain('reference (not saved)');
    expect(html).not.toContain(out);
  });

  it('--log-interval sets the batches between progress lines off a terminal; --quiet prints only the result', async () => {
    const progressLines = (stdout: string) => stdout.split('\n').filter((line) => / {2}batch \d+\/10 /.test(line));
    const every2 = await runBin(['train', ...small, '--no-save', '--log-interval', '2']);
    expect(every2.code).toBe(0);
    expect(progressLines(every2.stdout).map((line) => /batch (\d+)/.exec(line)![1])).toEqual(['2', '4', '6', '8']);
    const quiet = await runBin(['train', ...small, '--no-save', '--quiet']);
    expect(quiet.code).toBe(0);
    expect(quiet.stdout).not.toMatch(/batch \d|epoch 1\/1|^data:|^training /m);
    expect(quiet.stdout).toMatch(/^test accuracy: \d+\.\d\d% on 10,000 test images/m);
  });
});
