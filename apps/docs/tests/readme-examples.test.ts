import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// The TypeScript examples of the package READMEs (the npm pages) run here as written, each in a fresh folder, and what
// they print is checked against what their comments promise. `pnpm typecheck` compiles them as well.
const packagesDir = join(import.meta.dirname, '..', '..', '..', 'packages');
// Inside apps/docs, so the examples resolve the packages the way a user's project would.
const runDir = join(import.meta.dirname, '..', '.readme-examples');

function typescriptBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => match[1]!);
}

/** What each README's example must print; the argument is everything it logged, one entry per console.log call. */
const expectations: Record<string, (lines: string[], workDir: string) => void> = {
  'mnist-data': (lines) => {
    expect(lines[0]).toBe('package 60000 10000');
    // MNIST's first training labels.
    expect(lines[1]).toMatch(/^5 0 4 1 9 2 1 3 1 4( \d){22}$/);
  },
  'cnn-model': (lines, workDir) => {
    const losses = lines.filter((line) => line.startsWith('step ')).map((line) => Number(line.split('loss ')[1]));
    expect(losses).toHaveLength(5);
    expect(losses[4]!).toBeLessThan(losses[0]!);
    expect(existsSync(join(workDir, 'tiny-model', 'model.json'))).toBe(true);
  },
  trainer: (lines, workDir) => {
    expect(lines.filter((line) => /^epoch 1: loss \d/.test(line))).toHaveLength(1);
    const accuracy = lines.find((line) => line.startsWith('test accuracy '));
    expect(Number.parseFloat(accuracy?.slice('test accuracy '.length) ?? '0'), lines.join('\n')).toBeGreaterThan(93);
    expect(existsSync(join(workDir, 'mnist-model', 'model.json'))).toBe(true);
  },
  cli: (lines) => {
    expect(lines.join('\n')).toMatch(/^## train$[\s\S]*`--batch-size <n>`/m);
  },
};

describe('the package READMEs examples run as written', () => {
  const startDir = process.cwd();
  beforeAll(() => {
    rmSync(runDir, { recursive: true, force: true });
    mkdirSync(runDir, { recursive: true });
  });
  afterAll(() => {
    process.chdir(startDir);
    rmSync(runDir, { recursive: true, force: true });
  });

  it.each(Object.keys(expectations))('packages/%s/README.md', async (name) => {
    const blocks = typescriptBlocks(readFileSync(join(packagesDir, name, 'README.md'), 'utf8'));
    expect(blocks.length).toBeGreaterThan(0);
    const workDir = mkdtempSync(join(tmpdir(), `mnist-cnn-readme-${name}-`));
    const lines: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      lines.push(args.map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg))).join(' '));
    });
    process.chdir(workDir);
    try {
      for (const [i, code] of blocks.entries()) {
        const file = join(runDir, `${name}-${i + 1}.ts`);
        writeFileSync(file, `export {};\n${code}`);
        await import(/* @vite-ignore */ file);
      }
      expectations[name]!(lines, workDir);
    } finally {
      log.mockRestore();
      process.chdir(startDir);
      rmSync(workDir, { recursive: true, force: true });
    }
  });
});
