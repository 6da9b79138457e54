import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend } from './backend.js';
import { BackendError, TrainOptionsError } from './errors.js';

// Its own file: vitest gives each file a fresh module graph, and a failed WASM start cannot be retried in-process.
describe('initBackend auto', () => {
  it('falls back to cpu and says why when the WASM binaries cannot be loaded', async () => {
    const missing = '/nonexistent-wasm-dir/';
    const info = await initBackend('auto', {
      wasmPaths: {
        'tfjs-backend-wasm.wasm': `${missing}plain.wasm`,
        'tfjs-backend-wasm-simd.wasm': `${missing}simd.wasm`,
        'tfjs-backend-wasm-threaded-simd.wasm': `${missing}threaded.wasm`,
      },
    });
    expect(info.backend).toBe('cpu');
    expect(info.simd).toBe(false);
    expect(info.reason).toMatch(/^fell back to cpu: .*WASM/);
    expect(tf.getBackend()).toBe('cpu');
  });

  it('rejects unknown backend names, a simd that is not a boolean (not a fallback) and a second wasmPaths', async () => {
    await expect(initBackend('gpu' as never)).rejects.toBeInstanceOf(TrainOptionsError);
    await expect(initBackend('auto', { simd: 'no' } as never)).rejects.toMatchObject({ option: 'simd' });
    await expect(initBackend('wasm', { wasmPaths: '/elsewhere/' })).rejects.toBeInstanceOf(BackendError);
  });
});
