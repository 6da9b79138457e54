import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { wasmConvFilterGradient, wasmConvForward, wasmConvInputGradient } from './convolution.js';
import { cpuConvKernels } from './cpu/conv.js';
import { cpuMaxPoolGradient, wasmMaxPoolGradient } from './max-pool.js';
import { kernelNames } from './names.js';
import { cpuOptimizerUpdate, wasmOptimizerUpdate } from './optimizer-update.js';
import { kernelModule } from './wasm/module.js';

/**
 * Each backend's kernel table: our kernels for it, by name. A kernel stays only while the step benchmark
 * (`pnpm --filter @mnist-cnn/cnn-model bench`) shows it saving at least 3% of a training step against the stock ops.
 * On wasm, XNNPACK's convolutions and matrix products stay; on cpu, whose stock kernels are generic JavaScript loops,
 * the convolutions and dense layers are ours too.
 */
const tables: Record<string, Record<string, KernelFunc>> = {
  cpu: {
    [kernelNames.conv2d]: cpuConvKernels.conv2d,
    [kernelNames.conv2dBackprop]: cpuConvKernels.conv2dBackprop,
    [kernelNames.dense]: cpuConvKernels.dense,
    [kernelNames.denseBackprop]: cpuConvKernels.denseBackprop,
    [kernelNames.maxPoolBackprop]: cpuMaxPoolGradient,
    [kernelNames.optimizerUpdate]: cpuOptimizerUpdate,
  },
  wasm: {
    [kernelNames.maxPoolBackprop]: wasmMaxPoolGradient,
    [kernelNames.optimizerUpdate]: wasmOptimizerUpdate,
    [kernelNames.convForward]: wasmConvForward,
    [kernelNames.convFilterGradient]: wasmConvFilterGradient,
    [kernelNames.convInputGradient]: wasmConvInputGradient,
  },
};

/**
 * Registers the kernel table of `backendName` (default: the active backend) and returns the names registered; [] for
 * a backend without a table. Idempotent. Throws where the engine lacks WebAssembly SIMD, which the compiled kernels
 * need.
 */
export function registerKernels(backendName: string = tf.getBackend()): string[] {
  const table = tables[backendName] ?? {};
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
