import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type BackendInfo, describeBackend } from './backend.js';
import { initBackend } from './node-backend.js';

describe('initBackend', () => {
  it('starts wasm from the installed binaries and reports SIMD', async () => {
    const info = await initBackend('wasm');
    expect(info.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.binary).toBe(info.simd ? 'tfjs-backend-wasm-simd.wasm' : 'tfjs-backend-wasm.wasm');
    const sum = tf.tidy(() => tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])).dataSync());
    expect(Array.from(sum)).toEqual([4, 6]);
  });

  it("registers cnn-model's kernel table of each backend, the optimizer update among them, on relaxed SIMD", async () => {
    for (const backend of ['cpu', 'wasm'] as const) {
      const info = await initBackend(backend);
      expect(info.kernels).toContain('MnistCnnOptimizerUpdate');
      // On Node 20 too, where initBackend turns V8's relaxed SIMD on before the kernels compile.
      expect(info.kernelBuild).toBe('relaxed-simd');
      for (const name of info.kernels) expect(tf.getKernel(name, backend)).toBeDefined();
    }
  });

  it('describes the backend for people: SIMD, the kernel build, and why it differs from the request', async () => {
    expect(describeBackend(await initBackend('wasm'))).toBe('wasm (SIMD, relaxed-SIMD kernels)');
    const fellBack: BackendInfo = { backend: 'cpu', simd: false, kernels: [], kernelBuild: 'none', reason: 'no wasm' };
    expect(describeBackend(fellBack)).toBe('cpu (stock kernels) — no wasm');
  });
});
