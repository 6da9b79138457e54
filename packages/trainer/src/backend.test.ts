import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
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
});

describe('fast kernels', () => {
  it('registers cnn-model fast kernels on cpu and wasm, and can turn them off', async () => {
    const cpu = await initBackend('cpu');
    expect(cpu.fastKernels.length).toBeGreaterThan(0);
    for (const name of cpu.fastKernels) expect(tf.getKernel(name, 'cpu')).toBeDefined();
    const stock = await initBackend('cpu', { fastKernels: false });
    expect(stock.fastKernels).toEqual([]);
    for (const name of cpu.fastKernels) expect(tf.getKernel(name, 'cpu')).toBeUndefined();
    const wasm = await initBackend('wasm');
    expect(wasm.fastKernels).toEqual([
      'MnistCnnMaxPoolBackprop',
      'MnistCnnReluBackprop',
      'MnistCnnRotateFilter',
      'MnistCnnAddPatches',
      'MnistCnnShortPatchFilterGradient',
    ]);
    for (const name of wasm.fastKernels) expect(tf.getKernel(name, 'wasm')).toBeDefined();
    expect((await initBackend('wasm', { fastKernels: false })).fastKernels).toEqual([]);
    for (const name of wasm.fastKernels) expect(tf.getKernel(name, 'wasm')).toBeUndefined();
  });
});
