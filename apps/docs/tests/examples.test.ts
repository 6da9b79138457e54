import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// The guides show these files verbatim (VitePress `<<<` includes), so what a reader copies is what runs here.
describe('the guide examples run as written', () => {
  const startDir = process.cwd();
  const workDir = mkdtempSync(join(tmpdir(), 'mnist-cnn-docs-example-'));
  beforeAll(() => process.chdir(workDir));
  afterAll(() => {
    process.chdir(startDir);
    rmSync(workDir, { recursive: true, force: true });
  });

  it('train-and-evaluate.ts trains on 10,000 images, passes 95% test accuracy and saves the model', async () => {
    const lines: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      lines.push(args.join(' '));
    });
    try {
      await import('../examples/train-and-evaluate.ts');
    } finally {
      log.mockRestore();
    }
    const accuracyLine = lines.find((line) => line.startsWith('test accuracy: '));
    expect(accuracyLine, lines.join('\n')).toMatch(/on 10000 images$/);
    expect(Number.parseFloat(accuracyLine!.slice('test accuracy: '.length))).toBeGreaterThan(95);
    expect(lines.filter((line) => line.startsWith('epoch '))).toHaveLength(1);
    const modelJson = JSON.parse(readFileSync(join(workDir, 'mnist-model', 'model.json'), 'utf8')) as {
      weightsManifest: { paths: string[] }[];
    };
    const weightFiles = modelJson.weightsManifest.flatMap((group) => group.paths);
    expect(weightFiles).toHaveLength(1);
    expect(existsSync(join(workDir, 'mnist-model', weightFiles[0]!))).toBe(true);
  });
});
