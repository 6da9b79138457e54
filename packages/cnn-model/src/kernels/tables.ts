import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { layerKernelsFor } from '../fast-kernels.js';
import { kernelNames } from './names.js';
import { cpuOptimizerUpdate, wasmOptimizerUpdate } from './optimizer-update.js';
import { kernelModule } from './wasm/module.js';

/** Each backend's kernel table: our kernels for it, by name. A backend without a table runs the stock ops only. */
function tableFor(backendName: string): Record<string, KernelFunc> {
  switch (backendName) {
    case 'cpu':
      return { ...layerKernelsFor('cpu', tf.findBackend('cpu')), [kernelNames.optimizerUpdate]: cpuOptimizerUpdate };
    case 'wasm':
      return { ...layerKernelsFor('wasm', tf.findBackend('wasm')), [kernelNames.optimizerUpdate]: wasmOptimizerUpdate };
    default:
      return {};
  }
}

/**
 * Registers the kernel table of `backendName` (default: the active backend, which must be initialized) and returns the
 * names registered; [] for a backend without a table. Idempotent. Throws where the engine lacks WebAssembly SIMD, which
 * the compiled kernels need.
 */
export function registerKernels(backendName: string = tf.getBackend()): string[] {
  const table = tableFor(backendName);
  const names = Object.keys(table);
  if (names.length > 0) kernelModule();
  for (const name of names) {
    if (!tf.getKernel(name, backendName)) {
      tf.registerKernel({ kernelName: name, backendName, kernelFunc: table[name]! } as KernelConfig);
    }
  }
  return names;
}

/** Removes our kernels from `backendName` (default: the active backend); the layers fall back to stock ops. */
export function unregisterKernels(backendName: string = tf.getBackend()): void {
  for (const name of Object.values(kernelNames)) {
    if (tf.getKernel(name, backendName)) tf.unregisterKernel(name, backendName);
  }
}
