import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { compactSpec } from './fixtures.js';

const here = dirname(fileURLToPath(import.meta.url));

describe('on an engine without WebAssembly SIMD', () => {
  it("trains on tfjs's stock kernels, wasm and cpu, to an accuracy floor on real MNIST", async () => {
    const entry = join(here, '..', '..', 'dist', 'node.js');
    const script = join(here, 'without-simd', 'train.mjs');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--no-enable-sse4-1', script, entry, JSON.stringify(compactSpec), 'wasm', 'cpu'],
      { timeout: 90_000 },
    );
    const [wasm, cpu] = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(wasm.validatesSimd).toBe(false);
    expect(wasm.info).toMatchObject({ backend: 'wasm', simd: false, binary: 'tfjs-backend-wasm.wasm', kernels: [] });
    expect([wasm.info.kernelBuild, cpu.info.kernelBuild]).toEqual(['none', 'none']);
    expect(wasm.info.reason).toMatch(/lacks WebAssembly SIMD; tfjs's stock kernels run instead/);
    expect(cpu.info).toMatchObject({ backend: 'cpu', kernels: [] });
    expect(cpu.info.reason).toMatch(/lacks WebAssembly SIMD/);
    expect(wasm.accuracy).toBeGreaterThan(0.85);
    expect(cpu.accuracy).toBeGreaterThan(0.85);
  });
});
