import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type BackendInfo, describeBackend } from './backend.js';
import { TrainOptionsError } from './errors.js';
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

  it('refuses a simd option that is not a boolean, on every backend, rather than taking it to mean SIMD on', async () => {
    for (const [simd, got] of [
      ['no', '"no"'],
      ['false', '"false"'],
      [0, '0'],
      [1, '1'],
      [null, 'null'],
    ] as const) {
      for (const backend of ['wasm', 'auto', 'cpu'] as const) {
        const error = await initBackend(backend, { simd } as never).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(TrainOptionsError);
        expect(error).toMatchObject({
          option: 'simd',
          message: `invalid option simd: expected true or false, got ${got}`,
        });
      }
    }
    await expect(initBackend('cpu', null as never)).rejects.toMatchObject({ option: 'options' });
    expect((await initBackend('wasm', { simd: true })).backend).toBe('wasm');
  });

  it('refuses wasmPaths it cannot use before starting anything, naming the option and what it expected', async () => {
    const names = 'tfjs-backend-wasm.wasm, tfjs-backend-wasm-simd.wasm, tfjs-backend-wasm-threaded-simd.wasm';
    const expected = `invalid option wasmPaths: expected a URL or directory prefix ending in "/", or an object mapping each of ${names} to a location; got`;
    const complete = {
      'tfjs-backend-wasm.wasm': '/a.wasm',
      'tfjs-backend-wasm-simd.wasm': '/b.wasm',
      'tfjs-backend-wasm-threaded-simd.wasm': '/c.wasm',
    };
    for (const [wasmPaths, got] of [
      ['/wasm', '"/wasm"'],
      [42, '42'],
      [null, 'null'],
      [['/wasm/'], 'an array'],
      [{ ...complete, 'tfjs-backend-wasm.wasm': '' }, '"" for tfjs-backend-wasm.wasm'],
      [{ 'tfjs-backend-wasm.wasm': '/a.wasm' }, 'no location for tfjs-backend-wasm-simd.wasm'],
      [{ ...complete, 'backend.wasm': '/d.wasm' }, 'the key "backend.wasm"'],
      [() => '/wasm/', 'a function'],
      [{ ...complete, 'tfjs-backend-wasm.wasm': { path: '/a.wasm' } }, 'an object for tfjs-backend-wasm.wasm'],
    ] as const) {
      for (const backend of ['wasm', 'auto'] as const) {
        const error = await initBackend(backend, { wasmPaths } as never).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(TrainOptionsError);
        expect(error).toMatchObject({ option: 'wasmPaths', message: `${expected} ${got}` });
      }
    }
  });

  it('describes the backend for people: SIMD, the kernel build, and why it differs from the request', async () => {
    expect(describeBackend(await initBackend('wasm'))).toBe('wasm (SIMD, relaxed-SIMD kernels)');
    const fellBack: BackendInfo = { backend: 'cpu', simd: false, kernels: [], kernelBuild: 'none', reason: 'no wasm' };
    expect(describeBackend(fellBack)).toBe('cpu (stock kernels) — no wasm');
  });
});
