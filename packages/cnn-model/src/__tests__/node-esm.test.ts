import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const builtEntry = path.resolve(here, '../../dist/index.js');

describe('the built package in a plain `node` ESM process', () => {
  for (const [backend, fast] of [
    ['cpu', false],
    ['wasm', false],
    ['cpu', true],
  ] as const) {
    it(`trains on ${backend}${fast ? ' with its kernel table' : ''} without any registered gradients and with one tfjs-core`, async () => {
      expect(existsSync(builtEntry), 'run `pnpm --filter @mnist-cnn/cnn-model build` first').toBe(true);
      const script = path.join(here, 'fixtures/train-step.mjs');
      const { stdout } = await run(process.execPath, [script, backend, fast ? 'fast' : 'stock'], { cwd: here });
      const result = JSON.parse(stdout.trim().split('\n').pop()!);
      expect(result.backend).toBe(backend);
      if (fast) expect(result.kernels).toContain('MnistCnnOptimizerUpdate');
      else expect(result.kernels).toEqual([]);
      expect(result.conv2dGradientRegistered).toBe(false);
      expect(result.sameVariablesRegistered).toBe(true);
      expect(result.reloadedParameters).toBe(225_034);
      expect(result.losses.every(Number.isFinite)).toBe(true);
      expect(result.losses[4]).toBeLessThan(result.losses[0]);
    });
  }
});
