import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandDefinitions } from '../definitions.js';
import { escRegExp } from './fixtures.js';
import { binPath, childEnv, runBin, tempDir } from './run-bin.js';

/** The lines of `text` wider than `width` characters (code points, as a terminal counts them). */
function linesWiderThan(text: string, width: number): string[] {
  return text.split(/\r?\n/).filter((line) => [...line].length > width);
}

const hasScript = spawnSync('script', ['--version']).status === 0;

/** Runs the binary under a pseudo-terminal of `columns` columns and returns what it printed. */
function runInTerminal(args: readonly string[], columns: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const command = `stty cols ${columns}; ${[process.execPath, binPath, ...args].join(' ')}`;
    const child = spawn('script', ['-qec', command, '/dev/null'], { env: childEnv({ TERM: 'xterm-256color' }) });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    child.on('error', reject);
    child.on('close', () => resolve(output));
  });
}

describe('mnist-cnn usage errors (built binary)', () => {
  it.each([
    [['train', '--lr', '-1'], /^mnist-cnn: error: --lr must be > 0, got -1$/m],
    [['train', '--epochs', '-2'], /^mnist-cnn: error: --epochs must be >= 1, got -2$/m],
    [['trian'], /^hint: did you mean 'train'\?$/m],
    [['train', '--epoch', '3'], /^hint: did you mean '--epochs'\?$/m],
    [['evaluate', '--batch', '8'], /^hint: did you mean '--batch-size'\?$/m],
    [['help', 'predct'], /^hint: did you mean 'predict'\?$/m],
  ])('%j exits 2 with the right message', async (args, message) => {
    const result = await runBin(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });
});

describe('mnist-cnn help (built binary)', () => {
  it.each(['', ...commandDefinitions.map((command) => command.name)])(
    'help %s fits in 80 columns when piped',
    async (name) => {
      const result = await runBin(name === '' ? ['--help'] : [name, '--help']);
      expect(result.code).toBe(0);
      expect(result.stdout.split('\n').length).toBeGreaterThan(5);
      expect(linesWiderThan(result.stdout, 80)).toEqual([]);
    },
  );

  it('help <command> prints what <command> --help prints', async () => {
    const viaWord = await runBin(['help', 'train']);
    const viaFlag = await runBin(['train', '--help']);
    expect(viaWord.code).toBe(0);
    expect(viaWord.stdout).toBe(viaFlag.stdout);
    expect(viaWord.stdout).toContain('Usage:\n  mnist-cnn train');
    const root = await runBin(['help']);
    expect(root.stdout).toContain('Commands:');
  });

  it.skipIf(!hasScript)('wraps to the width of the terminal (skipped without util-linux script)', async () => {
    const narrow = await runInTerminal(['train', '--help'], 60);
    expect(narrow).toContain('--validation-split');
    expect(linesWiderThan(narrow, 60)).toEqual([]);
    const wide = await runInTerminal(['train', '--help'], 100);
    expect(linesWiderThan(wide, 100)).toEqual([]);
    expect(linesWiderThan(wide, 80).length).toBeGreaterThan(0);
  });
});

describe('mnist-cnn output streams (built binary)', () => {
  it('ends quietly with exit 0 when the reader closes the pipe early', async () => {
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [binPath, 'show', '--count', '1000'], { env: childEnv() });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
      });
      // Like `| head -1`: read one chunk, then close our end while the command is still writing.
      child.stdout.once('data', () => child.stdout.destroy());
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stderr }));
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('colours output on a pipe when FORCE_COLOR is set, and not when it is 0', async () => {
    const forced = await runBin(['show', '--count', '1'], { env: { FORCE_COLOR: '1' } });
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(escRegExp(String.raw`ESC\[38;5;\d+m`));
    const off = await runBin(['show', '--count', '1'], { env: { FORCE_COLOR: '0' } });
    expect(off.stdout).not.toContain('\u001b[');
    const error = await runBin(['train', '--epochs', '0'], { env: { FORCE_COLOR: '1' } });
    expect(error.stderr).toMatch(escRegExp(String.raw`^mnist-cnn: ESC\[31merror:`));
  });
});

describe('mnist-cnn --data (built binary)', () => {
  it('refuses a --data directory that does not exist, naming it', async () => {
    const missing = join(tempDir(), 'no-such-dir');
    const result = await runBin(['train', '--data', missing, '--limit', '100']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`mnist-cnn: error: --data ${missing} does not exist`);
    expect(result.stdout).toBe('');
  });

  it('refuses a --data directory without the dataset, naming it', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'mnist'));
    writeFileSync(join(dir, 'train-images-idx3-ubyte'), 'not much');
    const result = await runBin(['info', '--data', dir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`mnist-cnn: error: --data ${dir} holds no mnist dataset; looked in:`);
    expect(result.stderr).toContain(`\n  ${join(dir, 'mnist')}: no dataset files\n`);
    expect(result.stderr).toMatch(/train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte\n/);
    const file = await runBin(['info', '--data', join(dir, 'train-images-idx3-ubyte')]);
    expect(file.code).toBe(1);
    expect(file.stderr).toContain('is not a directory');
  });
});
